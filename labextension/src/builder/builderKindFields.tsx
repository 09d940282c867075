/**
 * The part of a builder step that says what it runs, by kind: the notebook (with Browse), the
 * SQL (text or a .sql file) and its connection, the function, or the export's source and
 * target. Connections are picked with builderConnection.tsx.
 */
import * as React from 'react';

import { ConnectionPicker, IConnectionChoices } from './builderConnection';
import { FieldProblems, SelectField, TextField } from './builderFields';
import { IF_EXISTS, IfExists } from './builderKinds';
import type { IStepForm } from './builderModel';
import type { StepPart } from './builderProblems';
import { Sentence } from '../common/components';
import { trans } from '../common/i18n';
import { KIND_LABELS } from '../common/stepKinds';
import { STEP_KINDS, StepKind } from '../api/tokens';

/** The choices of a step's kind, in the order the builder offers them, in the user's words. */
export function kindOptions(): { value: StepKind; label: string }[] {
  return STEP_KINDS.map(kind => ({ value: kind, label: KIND_LABELS[kind] }));
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

/** Placeholders that are code (SQL, templates), the same in every language. */
const EXAMPLES = {
  sql: 'SELECT user_id, created_at FROM users WHERE created_at > :since',
  from: '{{ steps.per_day.outputs.path }}',
  toFile: '{{ run.dir }}/users_per_day.csv'
};

function inFolder(): string {
  return trans.__("Relative to the pipeline file's folder");
}

/** The fields of the step's kind. */
export function KindFields(props: IKindFieldsProps): JSX.Element {
  const bind = fieldBinder(props, props.step, props.onChange);
  switch (props.step.kind) {
    case 'notebook':
      return (
        <TextField
          {...bind('notebook', { part: 'notebook' })}
          label={trans.__('Notebook')}
          placeholder={trans.__('e.g. %1', 'clean.ipynb')}
          hint={inFolder()}
        >
          <button
            type="button"
            className="jp-mod-styled"
            title={trans.__('Choose the notebook in a file dialog')}
            onClick={props.onBrowse}
          >
            {trans.__('Browse…')}
          </button>
        </TextField>
      );
    case 'query':
      return <QueryFields {...props} />;
    case 'function':
      return (
        <TextField
          {...bind('python', { part: 'python' })}
          label={trans.__('Function')}
          placeholder={trans.__('e.g. %1', 'transforms.py:per_day')}
          hint={trans.__(
            "FILE.py:FUNCTION (the file relative to the pipeline file's folder) or package.module:function; the step's parameters are its arguments"
          )}
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
          label={trans.__('SQL from')}
          options={[
            { value: 'text', label: trans.__('Written here') },
            { value: 'file', label: trans.__('A .sql file') }
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
          label={trans.__('SQL')}
          multiline
          monospace
          rows={5}
          placeholder={EXAMPLES.sql}
          hint={trans.__('Give each %1 a value under Parameters', ':name')}
        />
      ) : (
        <TextField
          {...bind('file', { part: 'sql', id: 'sqlFile' })}
          label={trans.__('SQL file')}
          placeholder={trans.__('e.g. %1', 'queries/new_users.sql')}
          hint={inFolder()}
        />
      )}
    </div>
  );
}

/** What each `if_exists` does, in words. */
function ifExistsLabel(choice: IfExists): string {
  switch (choice) {
    case 'append':
      return trans.__('Append the rows');
    case 'replace':
      return trans.__('Replace the table');
    case 'fail':
      return trans._p('if the table exists', 'Fail');
  }
}

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
          label={trans.__('From')}
          placeholder={EXAMPLES.from}
          hint={trans.__(
            "A .csv, .parquet or .jsonl file, usually a step's output"
          )}
        />
      )}
      <SelectField
        {...bind('target', { part: 'export.to' })}
        label={trans.__('Export to')}
        options={[
          { value: 'table', label: trans.__('A database table') },
          { value: 'file', label: trans.__('A file') },
          // Offered for a step whose file sends one: the form does not edit messages
          ...(form.target === 'notify'
            ? [
                {
                  value: 'notify' as const,
                  label: trans.__('Notification channels')
                }
              ]
            : [])
        ]}
      />
      {form.target === 'notify' ? (
        <div className="jp-OrchBuilder-hint">
          <Sentence
            text={trans.__(
              'A message to notification channels (%1, %2, %3): kept as the file says; edit it with Edit as YAML.',
              '%1',
              '%2',
              '%3'
            )}
            nodes={['to: {notify: …}', 'message', 'attach'].map(key => (
              <code>{key}</code>
            ))}
          />
        </div>
      ) : form.target === 'file' ? (
        <TextField
          {...bind('file', { part: 'export.to.file', id: 'toFile' })}
          label={trans.__('Target file')}
          placeholder={EXAMPLES.toFile}
          hint={trans.__(
            'Its extension (.csv, .parquet, .jsonl) says the format'
          )}
        />
      ) : (
        <>
          <div className="jp-OrchBuilder-pair">
            <TextField
              {...bind('table', { part: 'export.to.table' })}
              label={trans.__('Table')}
              placeholder={trans.__('e.g. %1', 'users_per_day')}
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
              label={trans.__('If the table exists')}
              options={[
                {
                  value: '',
                  label: trans.__('%1 (default)', ifExistsLabel('append'))
                },
                ...IF_EXISTS.filter(o => o !== 'append' || form.ifExists).map(
                  o => ({ value: o, label: ifExistsLabel(o) })
                )
              ]}
            />
            <TextField
              {...bind('key', { part: 'export.to.key' })}
              label={trans.__('Key columns')}
              placeholder={trans.__('optional, e.g. %1', 'day, region')}
              hint={trans.__(
                'Comma separated: rows with the same key are updated (upsert)'
              )}
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
      options={kindOptions()}
      problems={props.problems ?? []}
      onChange={props.onChange}
    />
  );
}
