/**
 * "Backfill…": a scheduled pipeline run once per slot of its schedule over a range of past
 * days. As the range is edited the dialog asks the server what it would make (`dry_run`) and
 * says it before Start: how many runs, which slots, how many skipped. Start is disabled while
 * the range is refused or makes no run; a refusal shows beside the field it names.
 */
import { Dialog } from '@jupyterlab/apputils';
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { OrchClient, OrchError } from '../api/api';
import {
  IBackfill,
  IBackfillPreview,
  previewBackfill,
  startBackfill
} from '../api/backfills';
import { errorMessage, fieldErrors } from '../api/errorText';
import type { IPipeline } from '../api/tokens';
import { useDebouncedRequest } from '../common/hooks';
import { trans } from '../common/i18n';
import { showError } from '../common/notify';
import {
  collectValues,
  fieldsFromDefaults,
  IParamField
} from '../common/params';
import { GuardedDialog } from '../dialogs/guardedDialog';
import { ParamInputs } from '../dialogs/paramInputs';
import type { IOrchestration } from '../orchestration';
import {
  BackfillErrors,
  backfillErrors,
  backfillRequest,
  IBackfillForm,
  MAX_PARALLEL,
  previewText
} from './backfillText';

/** How long the dialog waits after the last change before it asks what the range makes. */
const PREVIEW_DELAY_MS = 300;

const ID = 'jp-orch-backfill';

/** What the dialog holds: the form, and the run parameters' inputs. */
interface IBackfillValue {
  form: IBackfillForm;
  fields: IParamField[];
}

/** The request the dialog's value stands for, or why it cannot be asked (by field). */
function plan(value: IBackfillValue) {
  const collected = collectValues(value.fields);
  const planned = backfillRequest(
    value.form,
    collected.ok ? collected.values : undefined
  );
  return {
    planned,
    paramErrors: collected.ok ? {} : collected.errors,
    ok: planned.ok && collected.ok
  };
}

/** The server's answer for one request (`key`): what it makes, or why not. */
interface IAnswer {
  key: string;
  preview: IBackfillPreview | null;
  errors: BackfillErrors;
  paramErrors: Record<string, string>;
}

function BackfillForm(props: {
  client: OrchClient;
  pipeline: IPipeline;
  initial: IBackfillValue;
  problem: string | null;
  onChange: (value: IBackfillValue, ready: boolean) => void;
}): JSX.Element {
  const { client, pipeline } = props;
  const [value, setValue] = React.useState(props.initial);
  const [answer, setAnswer] = React.useState<IAnswer | null>(null);
  const { planned, paramErrors, ok } = plan(value);
  const key = ok && planned.ok ? JSON.stringify(planned.request) : '';
  useDebouncedRequest(
    () =>
      planned.ok && ok
        ? {
            request: () =>
              previewBackfill(client, pipeline.name, planned.request),
            onResult: preview =>
              setAnswer({ key, preview, errors: {}, paramErrors: {} }),
            onError: error =>
              setAnswer({
                key,
                preview: null,
                errors: backfillErrors(error),
                paramErrors: fieldErrors(error, 'parameters.')
              })
          }
        : null,
    [key],
    PREVIEW_DELAY_MS
  );
  // What the server said about the fields as they are now, never about an earlier range
  const current = ok && answer?.key === key ? answer : null;
  const ready = (current?.preview?.runs ?? 0) > 0;
  React.useEffect(() => props.onChange(value, ready), [value, ready]);

  const form = value.form;
  const incomplete = !form.from || !form.to;
  const errors: BackfillErrors = planned.ok
    ? (current?.errors ?? {})
    : incomplete
      ? { maxParallel: planned.errors.maxParallel }
      : planned.errors;
  const setForm = (change: Partial<IBackfillForm>) =>
    setValue({ ...value, form: { ...form, ...change } });
  return (
    <div>
      <p className="jp-OrchDialog-hint">
        {trans.__(
          'One run of %1 per slot of its schedule (%2) between these days, both included.',
          pipeline.name,
          pipeline.schedule?.description ?? ''
        )}
      </p>
      <div className="jp-OrchBackfillDialog-range">
        <DateField
          id={`${ID}-from`}
          label={trans.__('From')}
          value={form.from}
          error={errors.from}
          onChange={from => setForm({ from })}
        />
        <DateField
          id={`${ID}-to`}
          label={trans.__('To')}
          value={form.to}
          error={errors.to}
          onChange={to => setForm({ to })}
        />
      </div>
      <div className="jp-OrchDialog-policy">
        <label htmlFor={`${ID}-parallel`}>{trans.__('Max parallel')}</label>
        <input
          id={`${ID}-parallel`}
          className="jp-mod-styled"
          type="number"
          min={1}
          max={MAX_PARALLEL}
          value={form.maxParallel}
          title={trans.__('How many of its runs may run at once')}
          onChange={e => setForm({ maxParallel: e.target.value })}
        />
      </div>
      <FieldError message={errors.maxParallel} />
      <label className="jp-OrchBackfillDialog-rerun">
        <input
          type="checkbox"
          checked={form.rerunSucceeded}
          onChange={e => setForm({ rerunSucceeded: e.target.checked })}
        />
        {trans.__('Re-run slots that already succeeded')}
      </label>
      {value.fields.length > 0 && (
        <>
          <h3 className="jp-OrchDialog-subtitle">{trans.__('Parameters')}</h3>
          <ParamInputs
            idPrefix={ID}
            fields={value.fields}
            errors={{ ...paramErrors, ...(current?.paramErrors ?? {}) }}
            onChange={fields => setValue({ ...value, fields })}
          />
        </>
      )}
      <div className="jp-OrchBackfillDialog-preview" aria-live="polite">
        {incomplete
          ? trans.__('Pick the first and last days to see the runs it makes.')
          : current?.preview
            ? previewText(
                current.preview,
                pipeline.schedule?.description ?? null
              )
            : ok && !current
              ? trans.__('Checking…')
              : null}
      </div>
      <FieldError message={errors.form ?? props.problem ?? undefined} />
    </div>
  );
}

function DateField(props: {
  id: string;
  label: string;
  value: string;
  error?: string;
  onChange: (value: string) => void;
}): JSX.Element {
  return (
    <div className="jp-OrchBackfillDialog-date">
      <label htmlFor={props.id}>{props.label}</label>
      <input
        id={props.id}
        className={`jp-mod-styled${props.error ? ' jp-mod-error' : ''}`}
        type="date"
        value={props.value}
        aria-invalid={!!props.error}
        aria-describedby={props.error ? `${props.id}-error` : undefined}
        onChange={e => props.onChange(e.target.value)}
      />
      <FieldError id={`${props.id}-error`} message={props.error} />
    </div>
  );
}

function FieldError(props: {
  id?: string;
  message?: string;
}): JSX.Element | null {
  return props.message ? (
    <div id={props.id} className="jp-OrchField-error" role="alert">
      {props.message}
    </div>
  ) : null;
}

class BackfillBody
  extends ReactWidget
  implements Dialog.IBodyWidget<IBackfillValue>
{
  constructor(
    private readonly _client: OrchClient,
    private readonly _pipeline: IPipeline,
    private _value: IBackfillValue,
    private readonly _problem: string | null,
    private readonly _readyChanged: () => void
  ) {
    super();
    this.addClass('jp-OrchDialog');
    this.addClass('jp-OrchBackfillDialog');
  }

  /** Whether the server said the form as it is now makes runs. */
  get ready(): boolean {
    return this._ready;
  }

  getValue(): IBackfillValue {
    return this._value;
  }

  protected render(): JSX.Element {
    return (
      <BackfillForm
        client={this._client}
        pipeline={this._pipeline}
        initial={this._value}
        problem={this._problem}
        onChange={(value, ready) => {
          this._value = value;
          if (ready !== this._ready) {
            this._ready = ready;
            this._readyChanged();
          }
        }}
      />
    );
  }

  private _ready = false;
}

/**
 * Asks for the range (and parallelism, parameters) of a backfill of the scheduled pipeline
 * `name`, saying what it makes, and starts it; the backfill, or null when the user cancelled.
 */
export async function backfillDialog(
  client: OrchClient,
  name: string
): Promise<IBackfill | null> {
  const pipeline = await client.getPipeline(name);
  if (!pipeline.schedule) {
    throw new Error(
      trans.__(
        '%1 has no schedule: a backfill makes one run per slot of the schedule',
        name
      )
    );
  }
  let value: IBackfillValue = {
    form: { from: '', to: '', maxParallel: '1', rerunSucceeded: false },
    fields: fieldsFromDefaults(pipeline.parameters)
  };
  let problem: string | null = null;
  for (;;) {
    const body: BackfillBody = new BackfillBody(
      client,
      pipeline,
      value,
      problem,
      () => dialog.refresh()
    );
    const dialog = new GuardedDialog<IBackfillValue>(
      {
        title: trans.__('Backfill %1', name),
        body,
        buttons: [
          Dialog.cancelButton(),
          Dialog.okButton({ label: trans.__('Start') })
        ],
        focusNodeSelector: 'input'
      },
      () => body.ready
    );
    dialog.refresh(); // Start stays disabled until the server says what the range makes
    const result = await dialog.launch();
    if (!result.button.accept || result.value === null) {
      return null;
    }
    value = result.value;
    const { planned, ok } = plan(value);
    if (!planned.ok || !ok) {
      continue;
    }
    try {
      return await startBackfill(client, name, planned.request);
    } catch (error) {
      if (!(error instanceof OrchError) || error.status >= 500) {
        throw error;
      }
      problem = errorMessage(error);
    }
  }
}

/** Asks for a backfill of `name` and starts it; the panel then shows how it goes. */
export async function backfillAndShow(
  orch: Pick<IOrchestration, 'client' | 'model' | 'showPanel'>,
  name: string
): Promise<void> {
  try {
    const started = await backfillDialog(orch.client, name);
    if (started) {
      orch.model.backfills.add(started);
      orch.showPanel();
      await orch.model.refresh();
    }
  } catch (error) {
    showError(error, trans.__('Could not backfill %1', name));
  }
}
