/**
 * The part of a builder step that says what it runs, by kind: the notebook (with Browse), the
 * SQL (text or a .sql file) and its connection, the function, or the export's source and
 * target. Connections are picked from the names the server defines, or typed (`${ENV}`, a
 * SQLite URL).
 */
import * as React from 'react';

import { FieldProblems, SelectField, TextField } from './builderFields';
import { describeConnection, IF_EXISTS, IfExists } from './builderKinds';
import type { IStepForm } from './builderModel';
import type { StepPart } from './builderProblems';
import { KIND_LABELS } from '../common/stepKinds';
import { STEP_KINDS, StepKind } from '../api/tokens';
import type { IConnection } from '../api/tokens';

/** The choices of a step's kind, in the order the builder offers them. */
export const KIND_OPTIONS = STEP_KINDS.map(kind => ({
  value: kind,
  label: KIND_LABELS[kind]
}));

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
    ? 'A ${VARIABLE} holding the URL, or a URL without a password (e.g. sqlite:///data/w.sqlite)'
    : chosen
      ? `${describeConnection(chosen)} (defined by ${chosen.defined_by})`
      : choices.problem
        ? `Could not list the connections: ${choices.problem}`
        : choices.connections && !defined.length
          ? 'No connection is defined on this server: set JUPYTER_ORCH_CONN_<NAME> or c.OrchApp.connections, or choose Other'
          : undefined;
  return (
    <div className="jp-OrchBuilder-field">
      <label htmlFor={props.id}>Connection</label>
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
                ? 'Choose a connection…'
                : 'Loading…'}
            </option>
          )}
          {defined.map(c => (
            <option key={c.name} value={c.name}>
              {c.problem ? `${c.name} (cannot be used)` : c.name}
            </option>
          ))}
          {isName && choices.connections && !chosen && (
            <option value={value}>{`${value} (not defined here)`}</option>
          )}
          {isName && !choices.connections && value !== '' && (
            <option value={value}>{value}</option>
          )}
          <option value={OTHER}>Other: ${'{VARIABLE}'} or URL…</option>
        </select>
      </div>
      {other && (
        <div className="jp-OrchBuilder-inputRow">
          <input
            id={`${props.id}-other`}
            className="jp-mod-styled"
            aria-label="Connection URL or variable"
            value={value}
            placeholder="${WAREHOUSE_URL} or sqlite:///data/w.sqlite"
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

export interface IKindFieldsProps {
  id: string;
  step: IStepForm;
  connections: IConnectionChoices;
  problems: (part: StepPart) => string[];
  onChange: (change: Partial<IStepForm>) => void;
  /** Picks the notebook in a file dialog. */
  onBrowse: () => void;
}

/** What a field of a kind's form is given by `bind`: its id, value, problems and change. */
interface IBoundField<V> {
  id: string;
  value: V;
  problems: string[];
  onChange: (value: V) => void;
}

/**
 * `bind(key, {part, id})`: the field of `form[key]`, its id the step's and then `id` (else the
 * key), its problems those of `part` (none without).
 */
type Bind<F> = <K extends keyof F & string>(
  key: K,
  where?: { part?: StepPart; id?: string }
) => IBoundField<F[K]>;

/** Binds fields to `form`, whose changes (one field's value) go to `change`. */
function fieldBinder<F>(
  props: Pick<IKindFieldsProps, 'id' | 'problems'>,
  form: F,
  change: (part: Partial<F>) => void
): Bind<F> {
  return (key, where = {}) => ({
    id: `${props.id}-${where.id ?? key}`,
    value: form[key],
    problems: where.part ? props.problems(where.part) : [],
    onChange: value => {
      const part: Partial<F> = {};
      part[key] = value;
      change(part);
    }
  });
}

/** Binds fields to the step's query or export form, which a change of a field replaces. */
function subFormBinder<N extends 'query' | 'export'>(
  props: IKindFieldsProps,
  name: N
): Bind<IStepForm[N]> {
  const form = props.step[name];
  return fieldBinder(props, form, part => {
    const change: Partial<IStepForm> = {};
    change[name] = { ...form, ...part };
    props.onChange(change);
  });
}

const IN_FOLDER = "Relative to the pipeline file's folder";

/** The fields of the step's kind. */
export function KindFields(props: IKindFieldsProps): JSX.Element {
  const bind = fieldBinder(props, props.step, props.onChange);
  switch (props.step.kind) {
    case 'notebook':
      return (
        <TextField
          {...bind('notebook', { part: 'notebook' })}
          label="Notebook"
          placeholder="e.g. clean.ipynb"
          hint={IN_FOLDER}
        >
          <button
            type="button"
            className="jp-mod-styled"
            title="Choose the notebook in a file dialog"
            onClick={props.onBrowse}
          >
            Browse…
          </button>
        </TextField>
      );
    case 'query':
      return <QueryFields {...props} />;
    case 'function':
      return (
        <TextField
          {...bind('python', { part: 'python' })}
          label="Function"
          placeholder="e.g. transforms.py:per_day"
          hint="FILE.py:FUNCTION (the file relative to the pipeline file's folder) or package.module:function; the step's parameters are its arguments"
        />
      );
    case 'export':
      return <ExportFields {...props} />;
  }
}

function QueryFields(props: IKindFieldsProps): JSX.Element {
  const bind = subFormBinder(props, 'query');
  return (
    <div className="jp-OrchBuilder-kindFields">
      <div className="jp-OrchBuilder-pair">
        <SelectField
          {...bind('source', { id: 'sqlSource' })}
          label="SQL from"
          options={[
            { value: 'text', label: 'Written here' },
            { value: 'file', label: 'A .sql file' }
          ]}
        />
        <ConnectionPicker
          {...bind('connection', { part: 'connection' })}
          choices={props.connections}
        />
      </div>
      {props.step.query.source === 'text' ? (
        <TextField
          {...bind('text', { part: 'sql', id: 'sql' })}
          label="SQL"
          multiline
          monospace
          rows={5}
          placeholder="SELECT user_id, created_at FROM users WHERE created_at > :since"
          hint="Give each :name a value under Parameters"
        />
      ) : (
        <TextField
          {...bind('file', { part: 'sql', id: 'sqlFile' })}
          label="SQL file"
          placeholder="e.g. queries/new_users.sql"
          hint={IN_FOLDER}
        />
      )}
    </div>
  );
}

const IF_EXISTS_LABELS: Record<IfExists, string> = {
  append: 'Append the rows',
  replace: 'Replace the table',
  fail: 'Fail'
};

function ExportFields(props: IKindFieldsProps): JSX.Element {
  const form = props.step.export;
  const bind = subFormBinder(props, 'export');
  return (
    <div className="jp-OrchBuilder-kindFields">
      <FieldProblems
        id={`${props.id}-export-problems`}
        messages={props.problems('export')}
      />
      {form.target !== 'notify' && (
        <TextField
          {...bind('from', { part: 'export.from' })}
          label="From"
          placeholder="{{ steps.per_day.outputs.path }}"
          hint="A .csv, .parquet or .jsonl file, usually a step's output"
        />
      )}
      <SelectField
        {...bind('target', { part: 'export.to' })}
        label="Export to"
        options={[
          { value: 'table', label: 'A database table' },
          { value: 'file', label: 'A file' },
          // Offered for a step whose file sends one: the form does not edit messages
          ...(form.target === 'notify'
            ? [{ value: 'notify' as const, label: 'Notification channels' }]
            : [])
        ]}
      />
      {form.target === 'notify' ? (
        <div className="jp-OrchBuilder-hint">
          A message to notification channels (<code>to: {'{notify: …}'}</code>,{' '}
          <code>message</code>, <code>attach</code>): kept as the file says;
          edit it with Edit as YAML.
        </div>
      ) : form.target === 'file' ? (
        <TextField
          {...bind('file', { part: 'export.to.file', id: 'toFile' })}
          label="Target file"
          placeholder="{{ run.dir }}/users_per_day.csv"
          hint="Its extension (.csv, .parquet, .jsonl) says the format"
        />
      ) : (
        <>
          <div className="jp-OrchBuilder-pair">
            <TextField
              {...bind('table', { part: 'export.to.table' })}
              label="Table"
              placeholder="e.g. users_per_day"
            />
            <ConnectionPicker
              {...bind('connection', {
                part: 'export.to.connection',
                id: 'toConnection'
              })}
              choices={props.connections}
            />
          </div>
          <div className="jp-OrchBuilder-pair">
            <SelectField<IfExists | ''>
              {...bind('ifExists', { part: 'export.to.if_exists' })}
              label="If the table exists"
              options={[
                { value: '', label: `${IF_EXISTS_LABELS.append} (default)` },
                ...IF_EXISTS.filter(o => o !== 'append' || form.ifExists).map(
                  o => ({ value: o, label: IF_EXISTS_LABELS[o] })
                )
              ]}
            />
            <TextField
              {...bind('key', { part: 'export.to.key' })}
              label="Key columns"
              placeholder="optional, e.g. day, region"
              hint="Comma separated: rows with the same key are updated (upsert)"
            />
          </div>
        </>
      )}
    </div>
  );
}

/** The kind of a step, or of the next one added. */
export function KindSelect(props: {
  id: string;
  label: string;
  value: StepKind;
  problems?: string[];
  onChange: (kind: StepKind) => void;
}): JSX.Element {
  return (
    <SelectField
      id={props.id}
      label={props.label}
      value={props.value}
      options={KIND_OPTIONS}
      problems={props.problems ?? []}
      onChange={props.onChange}
    />
  );
}
