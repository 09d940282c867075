/**
 * A builder field for a connection (a query step's, an export's, a SQL trigger's): one of the
 * names the server defines, or typed (`${ENV}`, a SQLite URL).
 */
import * as React from 'react';

import { trans } from '../common/i18n';
import { FieldProblems } from './builderFields';
import { describeConnection } from './builderKinds';
import type { IConnection } from '../api/tokens';

/** What `useConnections` gives: the server's connections (null until known) or its error. */
export interface IConnectionChoices {
  connections: IConnection[] | null;
  problem: string | null;
}

const OTHER = '\u0000other';
const CONNECTION_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

/** A connection: one of the server's names, or (Other) a `${ENV}` or URL typed in. */
export function ConnectionPicker(props: {
  id: string;
  value: string;
  choices: IConnectionChoices;
  problems: string[];
  onChange: (value: string) => void;
}): JSX.Element {
  const { value, choices } = props;
  const defined = choices.connections ?? [];
  const isName = CONNECTION_NAME.test(value);
  const [typing, setTyping] = React.useState(value !== '' && !isName);
  const other = typing || (value !== '' && !isName);
  const chosen = defined.find(c => c.name === value);
  const hint = other
    ? trans.__(
        'A %1 holding the URL, or a URL without a password (e.g. %2)',
        '${VARIABLE}',
        'sqlite:///data/w.sqlite'
      )
    : chosen
      ? trans.__(
          '%1 (defined by %2)',
          describeConnection(chosen),
          chosen.defined_by
        )
      : choices.problem
        ? trans.__('Could not list the connections: %1', choices.problem)
        : choices.connections && !defined.length
          ? trans.__(
              'No connection is defined on this server: set %1 or %2, or choose Other',
              'JUPYTER_ORCH_CONN_<NAME>',
              'c.OrchApp.connections'
            )
          : undefined;
  return (
    <div className="jp-OrchBuilder-field">
      <label htmlFor={props.id}>{trans.__('Connection')}</label>
      <div className="jp-OrchBuilder-inputRow">
        <select
          id={props.id}
          className="jp-mod-styled"
          value={other ? OTHER : value}
          aria-invalid={props.problems.length > 0}
          onChange={event => {
            const next = event.target.value;
            setTyping(next === OTHER);
            props.onChange(next === OTHER ? (isName ? '' : value) : next);
          }}
        >
          {value === '' && !other && (
            <option value="">
              {choices.connections || choices.problem
                ? trans.__('Choose a connection…')
                : trans.__('Loading…')}
            </option>
          )}
          {defined.map(c => (
            <option key={c.name} value={c.name}>
              {c.problem ? trans.__('%1 (cannot be used)', c.name) : c.name}
            </option>
          ))}
          {isName && choices.connections && !chosen && (
            <option value={value}>
              {trans.__('%1 (not defined here)', value)}
            </option>
          )}
          {isName && !choices.connections && value !== '' && (
            <option value={value}>{value}</option>
          )}
          <option value={OTHER}>
            {trans.__('Other: %1 or URL…', '${VARIABLE}')}
          </option>
        </select>
      </div>
      {other && (
        <div className="jp-OrchBuilder-inputRow">
          <input
            id={`${props.id}-other`}
            className="jp-mod-styled"
            aria-label={trans.__('Connection URL or variable')}
            value={value}
            placeholder={trans.__(
              '%1 or %2',
              '${WAREHOUSE_URL}',
              'sqlite:///data/w.sqlite'
            )}
            spellCheck={false}
            onChange={event => props.onChange(event.target.value)}
          />
        </div>
      )}
      {hint && <div className="jp-OrchBuilder-hint">{hint}</div>}
      <FieldProblems id={`${props.id}-problems`} messages={props.problems} />
    </div>
  );
}
