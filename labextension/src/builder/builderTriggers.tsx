/**
 * The builder's event triggers (`on:`), beside the schedule: runs started when another
 * pipeline succeeds or fails, when a file matching a pattern changes, when a query's result
 * changes, or by a signed webhook request (its URL and an example to copy: builderWebhook.tsx).
 */
import * as React from 'react';

import { OrchClient } from '../api/api';
import { FieldProblems, SelectField, TextField } from './builderFields';
import { ConnectionPicker, IConnectionChoices } from './builderConnection';
import type { IBuilderForm } from './builderModel';
import { FieldIds } from './builderProblems';
import type { TriggerPart } from './builderTriggersChecks';
import {
  ITriggerRow,
  newTrigger,
  TRIGGER_KINDS,
  TRIGGER_LABELS,
  TriggerKind
} from './builderTriggersModel';
import { WebhookFields } from './builderWebhook';
import { useServerValue } from '../common/hooks';
import { trans } from '../common/i18n';

/** Placeholders that are code (a path, SQL), the same in every language. */
const EXAMPLES = {
  pattern: 'data/incoming/*.csv',
  query: 'select max(updated_at) from orders'
};

export interface ITriggerFieldsProps {
  client: OrchClient;
  idPrefix: string;
  /** Its name (the webhook's URL; not offered as a pipeline to watch) and its triggers. */
  form: IBuilderForm;
  connections: IConnectionChoices;
  problems: (id: string) => string[];
  /** The builder's edit of the form, and the ids of the fields it touched. */
  edit: (
    change: (form: IBuilderForm) => IBuilderForm,
    ...ids: string[]
  ) => void;
}

/** The names of the other registered pipelines (null until the server answers). */
function usePipelineNames(
  client: OrchClient,
  own: string
): { names: string[] | null; problem: string | null } {
  const { value, problem } = useServerValue(
    () => client.listPipelines(),
    [client]
  );
  const names = value?.map(p => p.name).filter(n => n !== own) ?? null;
  return { names, problem };
}

export function TriggerFields(props: ITriggerFieldsProps): JSX.Element {
  const { idPrefix, edit } = props;
  const rows = props.form.triggers;
  const [kind, setKind] = React.useState<TriggerKind>('pipeline_succeeded');
  const name = props.form.name.trim();
  const pipelines = usePipelineNames(props.client, name);
  const hasWebhook = rows.some(r => r.kind === 'webhook');
  const change = (
    next: (triggers: ITriggerRow[]) => ITriggerRow[],
    ...ids: string[]
  ) =>
    edit(
      f => ({ ...f, triggers: next(f.triggers) }),
      FieldIds.triggers,
      ...ids
    );
  const add = () => {
    const row = newTrigger(kind);
    change(triggers => [...triggers, row]);
    if (kind === 'webhook') {
      setKind('pipeline_succeeded'); // one webhook per pipeline
    }
  };
  return (
    <div
      role="group"
      aria-label={trans.__('Triggers')}
      className="jp-OrchTriggers"
    >
      <h4 className="jp-OrchBuilder-subheading">{trans.__('Triggers')}</h4>
      <div className="jp-OrchBuilder-hint">
        {trans.__(
          'Besides the schedule, each trigger starts one run per change, never for what existed when the pipeline was saved.'
        )}
      </div>
      <FieldProblems
        id={`${idPrefix}-problems`}
        messages={props.problems(FieldIds.triggers)}
      />
      {rows.map((row, index) => (
        <TriggerCard
          key={row.key}
          connections={props.connections}
          problems={props.problems}
          id={`${idPrefix}-${row.key}`}
          row={row}
          index={index}
          name={name}
          pipelines={pipelines}
          onEdit={fields =>
            change(
              triggers =>
                triggers.map(r =>
                  r.key === row.key ? { ...r, ...fields } : r
                ),
              FieldIds.trigger(row.key)
            )
          }
          onRemove={() =>
            change(triggers => triggers.filter(r => r.key !== row.key))
          }
        />
      ))}
      <div className="jp-OrchBuilder-addSteps">
        <select
          className="jp-mod-styled"
          aria-label={trans.__('Kind of the new trigger')}
          value={kind}
          onChange={event => setKind(event.target.value as TriggerKind)}
        >
          {TRIGGER_KINDS.map(k => (
            <option key={k} value={k} disabled={k === 'webhook' && hasWebhook}>
              {TRIGGER_LABELS[k]}
            </option>
          ))}
        </select>
        <button
          type="button"
          className="jp-mod-styled"
          disabled={kind === 'webhook' && hasWebhook}
          onClick={add}
        >
          {trans.__('Add trigger')}
        </button>
      </div>
    </div>
  );
}

/** A row's title: "When pipeline load succeeds". */
function title(row: ITriggerRow): string {
  const pipeline = row.pipeline.trim() || '…';
  switch (row.kind) {
    case 'pipeline_succeeded':
      return trans.__('When pipeline %1 succeeds', pipeline);
    case 'pipeline_failed':
      return trans.__('When pipeline %1 fails', pipeline);
    case 'file':
      return trans.__(
        'When a file matching %1 changes',
        row.pattern.trim() || '…'
      );
    case 'sql':
      return trans.__("When a SQL query's result changes");
    case 'webhook':
      return trans.__('Webhook');
  }
}

interface ITriggerCardProps extends Pick<
  ITriggerFieldsProps,
  'connections' | 'problems'
> {
  id: string;
  row: ITriggerRow;
  index: number;
  /** This pipeline's name, and those it may watch. */
  name: string;
  pipelines: { names: string[] | null; problem: string | null };
  onEdit: (change: Partial<ITriggerRow>) => void;
  onRemove: () => void;
}

function TriggerCard(props: ITriggerCardProps): JSX.Element {
  const { row, id, onEdit } = props;
  const problems = (part?: TriggerPart) =>
    props.problems(FieldIds.trigger(row.key, part));
  const text = (
    field: 'pattern' | 'query' | 'every' | 'secretEnv',
    part: TriggerPart
  ) => ({
    id: `${id}-${part}`,
    value: row[field],
    problems: problems(part),
    onChange: (value: string) => onEdit({ [field]: value })
  });
  const n = props.index + 1;
  return (
    <div
      role="group"
      className="jp-OrchTriggers-trigger"
      aria-label={trans.__('Trigger %1', n)}
    >
      <div className="jp-OrchTriggers-head">
        <span className="jp-OrchTriggers-title">{title(row)}</span>
        <button
          type="button"
          className="jp-mod-styled jp-OrchBuilder-iconButton"
          aria-label={trans.__('Remove trigger %1', n)}
          title={trans.__('Remove this trigger')}
          onClick={props.onRemove}
        >
          ✕
        </button>
      </div>
      <FieldProblems id={`${id}-problems`} messages={problems()} />
      {(row.kind === 'pipeline_succeeded' ||
        row.kind === 'pipeline_failed') && (
        <PipelinePicker
          id={`${id}-pipeline`}
          value={row.pipeline}
          choices={props.pipelines}
          problems={problems('pipeline')}
          onChange={pipeline => onEdit({ pipeline })}
        />
      )}
      {row.kind === 'file' && (
        <TextField
          {...text('pattern', 'pattern')}
          label={trans.__('File pattern')}
          placeholder={EXAMPLES.pattern}
          hint={trans.__(
            "A glob relative to this pipeline file's folder (%1 for any folders); each new or changed file starts a run once its writes settle",
            '**'
          )}
        />
      )}
      {row.kind === 'sql' && (
        <>
          <ConnectionPicker
            id={`${id}-connection`}
            value={row.connection}
            choices={props.connections}
            problems={problems('connection')}
            onChange={connection => onEdit({ connection })}
          />
          <TextField
            {...text('query', 'query')}
            label={trans.__('Query')}
            multiline
            monospace
            rows={3}
            placeholder={EXAMPLES.query}
            hint={trans.__(
              'Run on the connection at each interval; a new result starts a run'
            )}
          />
          <TextField
            {...text('every', 'every')}
            label={trans.__('Every')}
            placeholder={trans.__('%1 (seconds), or %2', 60, '30s, 5m, 1h')}
            hint={trans.__(
              'How often the query runs (%1 seconds unless given)',
              60
            )}
          />
        </>
      )}
      {row.kind === 'webhook' && (
        <WebhookFields
          {...text('secretEnv', 'secret_env')}
          pipeline={props.name}
        />
      )}
    </div>
  );
}

/** The watched pipeline: one of the registered ones (typed when they cannot be listed). */
function PipelinePicker(props: {
  id: string;
  value: string;
  choices: { names: string[] | null; problem: string | null };
  problems: string[];
  onChange: (value: string) => void;
}): JSX.Element {
  const { value, choices } = props;
  if (choices.problem) {
    return (
      <TextField
        {...props}
        label={trans.__('Pipeline')}
        hint={trans.__(
          'Could not list the pipelines (%1): type its name',
          choices.problem
        )}
      />
    );
  }
  const names = choices.names ?? [];
  const options = [
    ...(value === ''
      ? [
          {
            value: '',
            label: choices.names
              ? trans.__('Choose a pipeline…')
              : trans.__('Loading…')
          }
        ]
      : []),
    ...names.map(name => ({ value: name, label: name })),
    ...(value !== '' && !names.includes(value)
      ? [{ value, label: trans.__('%1 (not registered here)', value) }]
      : [])
  ];
  return (
    <SelectField
      {...props}
      label={trans.__('Pipeline')}
      options={options}
      hint={
        choices.names && !names.length
          ? trans.__('No other pipeline is registered yet')
          : trans.__('Each of its runs that ends so starts a run of this one')
      }
    />
  );
}
