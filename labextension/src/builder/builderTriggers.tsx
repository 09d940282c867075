/**
 * The builder's event triggers (`on:`), beside the schedule: runs started when another
 * pipeline succeeds or fails, when a file matching a pattern changes, when a query's result
 * changes, or by a signed webhook request, whose URL and an example to copy are shown.
 */
import { Clipboard, Notification } from '@jupyterlab/apputils';
import { ServerConnection } from '@jupyterlab/services';
import * as React from 'react';

import { OrchClient } from '../api/api';
import { FieldProblems, SelectField, TextField } from './builderFields';
import { ConnectionPicker, IConnectionChoices } from './builderKindFields';
import type { IBuilderForm } from './builderModel';
import { FieldIds } from './builderProblems';
import type { TriggerPart } from './builderTriggersChecks';
import {
  ITriggerRow,
  newTrigger,
  TRIGGER_KINDS,
  TRIGGER_LABELS,
  TriggerKind,
  webhookExample,
  webhookUrl
} from './builderTriggersModel';
import { useServerValue } from '../common/hooks';

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
    <div role="group" aria-label="Triggers" className="jp-OrchTriggers">
      <h4 className="jp-OrchBuilder-subheading">Triggers</h4>
      <div className="jp-OrchBuilder-hint">
        Besides the schedule, each trigger starts one run per change, never for
        what existed when the pipeline was saved.
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
          aria-label="Kind of the new trigger"
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
          Add trigger
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
      return `When pipeline ${pipeline} succeeds`;
    case 'pipeline_failed':
      return `When pipeline ${pipeline} fails`;
    case 'file':
      return `When a file matching ${row.pattern.trim() || '…'} changes`;
    case 'sql':
      return "When a SQL query's result changes";
    case 'webhook':
      return 'Webhook';
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
      aria-label={`Trigger ${n}`}
    >
      <div className="jp-OrchTriggers-head">
        <span className="jp-OrchTriggers-title">{title(row)}</span>
        <button
          type="button"
          className="jp-mod-styled jp-OrchBuilder-iconButton"
          aria-label={`Remove trigger ${n}`}
          title="Remove this trigger"
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
          label="File pattern"
          placeholder="data/incoming/*.csv"
          hint="A glob relative to this pipeline file's folder (** for any folders); each new or changed file starts a run once its writes settle"
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
            label="Query"
            multiline
            monospace
            rows={3}
            placeholder="select max(updated_at) from orders"
            hint="Run on the connection at each interval; a new result starts a run"
          />
          <TextField
            {...text('every', 'every')}
            label="Every"
            placeholder="60 (seconds), or 30s, 5m, 1h"
            hint="How often the query runs (60 seconds unless given)"
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
        label="Pipeline"
        hint={`Could not list the pipelines (${choices.problem}): type its name`}
      />
    );
  }
  const names = choices.names ?? [];
  const options = [
    ...(value === ''
      ? [
          {
            value: '',
            label: choices.names ? 'Choose a pipeline…' : 'Loading…'
          }
        ]
      : []),
    ...names.map(name => ({ value: name, label: name })),
    ...(value !== '' && !names.includes(value)
      ? [{ value, label: `${value} (not registered here)` }]
      : [])
  ];
  return (
    <SelectField
      {...props}
      label="Pipeline"
      options={options}
      hint={
        choices.names && !names.length
          ? 'No other pipeline is registered yet'
          : 'Each of its runs that ends so starts a run of this one'
      }
    />
  );
}

/** The webhook's variable, its URL and a signed request to copy. */
function WebhookFields(props: {
  id: string;
  value: string;
  problems: string[];
  onChange: (value: string) => void;
  pipeline: string;
}): JSX.Element {
  const url = props.pipeline
    ? webhookUrl(ServerConnection.makeSettings().baseUrl, props.pipeline)
    : '';
  const example = webhookExample(url, props.value);
  return (
    <>
      <TextField
        {...props}
        label="Secret variable"
        placeholder="SALES_HOOK_SECRET"
        hint="The environment variable, where the server runs, that holds the secret (the secret itself never goes in the file); during a rotation it holds new,old"
      />
      {url ? (
        <>
          <TextField
            id={`${props.id}-url`}
            label="Webhook URL"
            value={url}
            readOnly
            problems={[]}
            hint="POST here after saving; no Jupyter token: each request is signed instead"
            onChange={() => undefined}
          />
          <div className="jp-OrchBuilder-field">
            <span className="jp-OrchTriggers-exampleHead">
              <span id={`${props.id}-example-label`}>Signed request</span>
              <button
                type="button"
                className="jp-mod-styled"
                onClick={() => {
                  Clipboard.copyToSystem(example);
                  Notification.success('Copied the signed request', {
                    autoClose: 3000
                  });
                }}
              >
                Copy
              </button>
            </span>
            <pre
              id={`${props.id}-example`}
              className="jp-OrchTriggers-example"
              aria-labelledby={`${props.id}-example-label`}
              tabIndex={0}
            >
              {example}
            </pre>
            <div className="jp-OrchBuilder-hint">
              X-Orch-Signature is sha256= and the hex HMAC-SHA256 of the
              timestamp, a dot and the raw body, keyed with the secret; the
              timestamp must be within 5 minutes of the server&apos;s clock and
              each delivery id is used once. The body&apos;s parameters become
              the run&apos;s.
            </div>
          </div>
        </>
      ) : (
        <div className="jp-OrchBuilder-hint">
          Name the pipeline to see its webhook&apos;s URL.
        </div>
      )}
    </>
  );
}
