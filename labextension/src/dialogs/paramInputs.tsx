/**
 * The parameter inputs of both dialogs (run a pipeline, schedule a notebook): one typed input
 * per parameter, with its kind, help and the server's message for it.
 */
import * as React from 'react';

import type { IParamField } from '../common/params';

/** A bool parameter's choices: the values as the parameter gets them, not words to translate. */
const BOOLEANS = ['true', 'false'];

/** Parameter inputs, one per field, each labelled by its name. */
export function ParamInputs(props: {
  idPrefix: string;
  fields: IParamField[];
  errors: Record<string, string>;
  onChange: (fields: IParamField[]) => void;
}): JSX.Element {
  const { fields, errors, idPrefix } = props;
  const update = (index: number, text: string) =>
    props.onChange(fields.map((f, i) => (i === index ? { ...f, text } : f)));
  return (
    <div className="jp-OrchParams">
      {fields.map((field, index) => {
        const id = `${idPrefix}-param-${field.name}`;
        return (
          <div className="jp-OrchParams-row" key={field.name}>
            <label htmlFor={id}>{field.name}</label>
            {field.kind === 'bool' ? (
              <select
                id={id}
                className="jp-mod-styled"
                value={field.text}
                onChange={e => update(index, e.target.value)}
              >
                {BOOLEANS.map(value => (
                  <option key={value} value={value}>
                    {value}
                  </option>
                ))}
              </select>
            ) : (
              <input
                id={id}
                className="jp-mod-styled"
                type={
                  field.kind === 'int' || field.kind === 'float'
                    ? 'number'
                    : 'text'
                }
                step={field.kind === 'float' ? 'any' : undefined}
                value={field.text}
                placeholder={field.placeholder}
                spellCheck={false}
                onChange={e => update(index, e.target.value)}
              />
            )}
            <span className="jp-OrchParams-kind">{field.kind}</span>
            {field.help && (
              <div className="jp-OrchParams-help">{field.help}</div>
            )}
            {errors[field.name] && (
              <div className="jp-OrchField-error" role="alert">
                {errors[field.name]}
              </div>
            )}
          </div>
        );
      })}
    </div>
  );
}
