/**
 * The part of a builder step that says what it runs, by kind: the notebook (with Browse), the
 * SQL (text or a .sql file) and its connection, the function, or the export's source and
 * target. Connections are picked from the names the server defines, or typed (`${ENV}`, a
 * SQLite URL).
 */
import * as React from 'react';

import { FieldProblems, SelectField, TextField } from './builderFields';
import {
  describeConnection,
  IExportForm,
  IF_EXISTS,
  IfExists,
  IQueryForm
} from './builderKinds';
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

/** The fields of the step's kind. */
export function KindFields(props: IKindFieldsProps): JSX.Element {
  const { id, step, problems, onChange } = props;
  switch (step.kind) {
    case 'notebook':
      return (
        <TextField
          id={`${id}-notebook`}
          label="Notebook"
          value={step.notebook}
          placeholder="e.g. clean.ipynb"
          hint="Relative to the pipeline file's folder"
          problems={problems('notebook')}
          onChange={notebook => onChange({ notebook })}
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
          id={`${id}-python`}
          label="Function"
          value={step.python}
          placeholder="e.g. transforms.py:per_day"
          hint="FILE.py:FUNCTION (the file relative to the pipeline file's folder) or package.module:function; the step's parameters are its arguments"
          problems={problems('python')}
          onChange={python => onChange({ python })}
        />
      );
    case 'export':
      return <ExportFields {...props} />;
  }
}

function QueryFields(props: IKindFieldsProps): JSX.Element {
  const { id, step, problems } = props;
  const query = step.query;
  const change = (part: Partial<IQueryForm>) =>
    props.onChange({ query: { ...query, ...part } });
  return (
    <div className="jp-OrchBuilder-kindFields">
      <div className="jp-OrchBuilder-pair">
        <SelectField
          id={`${id}-sqlSource`}
          label="SQL from"
          value={query.source}
          options={[
            { value: 'text', label: 'Written here' },
            { value: 'file', label: 'A .sql file' }
          ]}
          problems={[]}
          onChange={source => change({ source })}
        />
        <ConnectionPicker
          id={`${id}-connection`}
          value={query.connection}
          choices={props.connections}
          problems={problems('connection')}
          onChange={connection => change({ connection })}
        />
      </div>
      {query.source === 'text' ? (
        <TextField
          id={`${id}-sql`}
          label="SQL"
          multiline
          monospace
          rows={5}
          value={query.text}
          placeholder="SELECT user_id, created_at FROM users WHERE created_at > :since"
          hint="Give each :name a value under Parameters"
          problems={problems('sql')}
          onChange={text => change({ text })}
        />
      ) : (
        <TextField
          id={`${id}-sqlFile`}
          label="SQL file"
          value={query.file}
          placeholder="e.g. queries/new_users.sql"
          hint="Relative to the pipeline file's folder"
          problems={problems('sql')}
          onChange={file => change({ file })}
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
  const { id, step, problems } = props;
  const form = step.export;
  const change = (part: Partial<IExportForm>) =>
    props.onChange({ export: { ...form, ...part } });
  return (
    <div className="jp-OrchBuilder-kindFields">
      <FieldProblems
        id={`${id}-export-problems`}
        messages={problems('export')}
      />
      <TextField
        id={`${id}-from`}
        label="From"
        value={form.from}
        placeholder="{{ steps.per_day.outputs.path }}"
        hint="A .csv, .parquet or .jsonl file, usually a step's output"
        problems={problems('export.from')}
        onChange={from => change({ from })}
      />
      <SelectField
        id={`${id}-target`}
        label="Export to"
        value={form.target}
        options={[
          { value: 'table', label: 'A database table' },
          { value: 'file', label: 'A file' }
        ]}
        problems={problems('export.to')}
        onChange={target => change({ target })}
      />
      {form.target === 'file' ? (
        <TextField
          id={`${id}-toFile`}
          label="Target file"
          value={form.file}
          placeholder="{{ run.dir }}/users_per_day.csv"
          hint="Its extension (.csv, .parquet, .jsonl) says the format"
          problems={problems('export.to.file')}
          onChange={file => change({ file })}
        />
      ) : (
        <>
          <div className="jp-OrchBuilder-pair">
            <TextField
              id={`${id}-table`}
              label="Table"
              value={form.table}
              placeholder="e.g. users_per_day"
              problems={problems('export.to.table')}
              onChange={table => change({ table })}
            />
            <ConnectionPicker
              id={`${id}-toConnection`}
              value={form.connection}
              choices={props.connections}
              problems={problems('export.to.connection')}
              onChange={connection => change({ connection })}
            />
          </div>
          <div className="jp-OrchBuilder-pair">
            <SelectField<IfExists | ''>
              id={`${id}-ifExists`}
              label="If the table exists"
              value={form.ifExists}
              options={[
                { value: '', label: `${IF_EXISTS_LABELS.append} (default)` },
                ...IF_EXISTS.filter(o => o !== 'append' || form.ifExists).map(
                  o => ({ value: o, label: IF_EXISTS_LABELS[o] })
                )
              ]}
              problems={problems('export.to.if_exists')}
              onChange={ifExists => change({ ifExists })}
            />
            <TextField
              id={`${id}-key`}
              label="Key columns"
              value={form.key}
              placeholder="optional, e.g. day, region"
              hint="Comma separated: rows with the same key are updated (upsert)"
              problems={problems('export.to.key')}
              onChange={key => change({ key })}
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
