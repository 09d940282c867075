/**
 * Small pieces of the pipeline builder's form: a labelled field (text or a choice) with its
 * problems, and rows of `name: value` parameters.
 */
import * as React from 'react';

import { trans } from '../common/i18n';
import { IParamRow, newParamRow, typeWord } from './builderModel';

/** Problems shown under a field; an empty list shows nothing. */
export function FieldProblems(props: {
  id: string;
  messages: string[];
}): JSX.Element | null {
  if (!props.messages.length) {
    return null;
  }
  return (
    <div id={props.id} className="jp-OrchField-error">
      {props.messages.join('\n')}
    </div>
  );
}

export interface ITextFieldProps {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  problems: string[];
  placeholder?: string;
  hint?: string;
  readOnly?: boolean;
  multiline?: boolean;
  /** Lines of a multiline field (2 unless given). */
  rows?: number;
  /** Code (SQL): a monospace font, no wrapping. */
  monospace?: boolean;
  type?: 'text' | 'number';
  className?: string;
  /** Extra controls after the input (e.g. a Browse button). */
  children?: React.ReactNode;
}

/** What frames a field's control: its id, label, hint and problems. */
interface IFieldFrameProps {
  id: string;
  label: string;
  problems: string[];
  hint?: string;
  className?: string;
}

/** The `aria-describedby` of a field's control: its problems and its hint, when shown. */
function describedBy(props: IFieldFrameProps): string | undefined {
  return (
    [
      props.problems.length ? `${props.id}-problems` : '',
      props.hint ? `${props.id}-hint` : ''
    ]
      .filter(Boolean)
      .join(' ') || undefined
  );
}

/** A field: its label, its control in a row, its hint and its problems. */
function framed(
  props: IFieldFrameProps,
  control: React.ReactNode
): JSX.Element {
  return (
    <div className={`jp-OrchBuilder-field ${props.className ?? ''}`}>
      <label htmlFor={props.id}>{props.label}</label>
      <div className="jp-OrchBuilder-inputRow">{control}</div>
      {props.hint && (
        <div id={`${props.id}-hint`} className="jp-OrchBuilder-hint">
          {props.hint}
        </div>
      )}
      <FieldProblems id={`${props.id}-problems`} messages={props.problems} />
    </div>
  );
}

/** A labelled text input with a hint and the problems found in it. */
export function TextField(props: ITextFieldProps): JSX.Element {
  const common = {
    id: props.id,
    value: props.value,
    placeholder: props.placeholder,
    readOnly: props.readOnly,
    spellCheck: false,
    'aria-invalid': props.problems.length > 0,
    'aria-describedby': describedBy(props)
  };
  return framed(
    props,
    <>
      {props.multiline ? (
        <textarea
          {...common}
          className={`jp-mod-styled${props.monospace ? ' jp-OrchBuilder-code' : ''}`}
          rows={props.rows ?? 2}
          onChange={event => props.onChange(event.target.value)}
        />
      ) : (
        <input
          {...common}
          className="jp-mod-styled"
          type={props.type ?? 'text'}
          min={props.type === 'number' ? 0 : undefined}
          onChange={event => props.onChange(event.target.value)}
        />
      )}
      {props.children}
    </>
  );
}

export interface ISelectFieldProps<T extends string> {
  id: string;
  label: string;
  value: T;
  options: readonly { value: T; label: string }[];
  onChange: (value: T) => void;
  problems: string[];
  hint?: string;
}

/** A labelled choice with a hint and the problems found in it. */
export function SelectField<T extends string>(
  props: ISelectFieldProps<T>
): JSX.Element {
  return framed(
    props,
    <select
      id={props.id}
      className="jp-mod-styled"
      value={props.value}
      aria-invalid={props.problems.length > 0}
      aria-describedby={describedBy(props)}
      onChange={event => props.onChange(event.target.value as T)}
    >
      {props.options.map(option => (
        <option key={option.value} value={option.value}>
          {option.label}
        </option>
      ))}
    </select>
  );
}

export interface IParamRowsProps {
  idPrefix: string;
  /** Accessible name of the group, e.g. "Run parameters". */
  label: string;
  /** What the value column holds: a run parameter's default, or a step parameter's value. */
  values: 'default' | 'value';
  rows: IParamRow[];
  onChange: (rows: IParamRow[]) => void;
  problemsFor: (row: IParamRow) => string[];
  /** Problems about the whole mapping. */
  problems: string[];
  placeholder?: string;
}

/** Editable `name: value` rows with the type each value is read as. */
export function ParamRows(props: IParamRowsProps): JSX.Element {
  const { rows, onChange, idPrefix } = props;
  const update = (key: string, change: Partial<IParamRow>) =>
    onChange(rows.map(r => (r.key === key ? { ...r, ...change } : r)));
  const defaults = props.values === 'default';
  return (
    <div
      role="group"
      aria-label={props.label}
      className="jp-OrchBuilder-params"
    >
      {rows.length > 0 && (
        <div
          className="jp-OrchBuilder-paramRow jp-OrchBuilder-paramHead"
          aria-hidden="true"
        >
          <span>{trans.__('Name')}</span>
          <span>{defaults ? trans.__('Default') : trans.__('Value')}</span>
          <span>{trans.__('Type')}</span>
        </div>
      )}
      {rows.map((row, index) => {
        const n = index + 1;
        const problems = props.problemsFor(row);
        const kind = typeWord(row.text);
        return (
          <div key={row.key} className="jp-OrchBuilder-paramRow">
            <label
              htmlFor={`${idPrefix}-${row.key}-name`}
              className="jp-OrchBuilder-srOnly"
            >
              {trans.__('Parameter %1 name', n)}
            </label>
            <input
              id={`${idPrefix}-${row.key}-name`}
              className="jp-mod-styled"
              value={row.name}
              placeholder={trans.__('name')}
              spellCheck={false}
              aria-invalid={problems.length > 0}
              onChange={event => update(row.key, { name: event.target.value })}
            />
            <label
              htmlFor={`${idPrefix}-${row.key}-value`}
              className="jp-OrchBuilder-srOnly"
            >
              {defaults
                ? trans.__('Parameter %1 default', n)
                : trans.__('Parameter %1 value', n)}
            </label>
            <input
              id={`${idPrefix}-${row.key}-value`}
              className="jp-mod-styled"
              value={row.text}
              placeholder={props.placeholder ?? trans.__('value')}
              spellCheck={false}
              aria-invalid={problems.length > 0}
              onChange={event => update(row.key, { text: event.target.value })}
            />
            <span
              className="jp-OrchBuilder-kind"
              title={trans.__(
                'The type the value is read as (quote text to keep it a string)'
              )}
            >
              {kind ?? '?'}
            </span>
            <button
              type="button"
              className="jp-mod-styled jp-OrchBuilder-iconButton"
              aria-label={trans.__('Remove parameter %1', n)}
              title={trans.__('Remove this parameter')}
              onClick={() => onChange(rows.filter(r => r.key !== row.key))}
            >
              ✕
            </button>
            <FieldProblems
              id={`${idPrefix}-${row.key}-problems`}
              messages={problems}
            />
          </div>
        );
      })}
      <FieldProblems id={`${idPrefix}-problems`} messages={props.problems} />
      <button
        type="button"
        className="jp-mod-styled jp-OrchBuilder-addButton"
        onClick={() => onChange([...rows, newParamRow()])}
      >
        {trans.__('Add parameter')}
      </button>
    </div>
  );
}
