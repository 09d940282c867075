/**
 * Dialogs: run a pipeline with typed parameters, and "Schedule this notebook...". Each keeps
 * its form when the server refuses it and shows why beside the field.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { PathExt } from '@jupyterlab/coreutils';
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { OrchClient, OrchError } from '../api/api';
import { durationText } from '../common/format';
import { trans } from '../common/i18n';
import { fieldErrors } from '../api/errorText';
import { errorMessage } from '../common/notify';
import {
  collectValues,
  fieldsFromDefaults,
  IParamField,
  kindOfNotebookParameter,
  toText
} from '../common/params';
import {
  browserTimeZone,
  IOnceChoice,
  IScheduleValue,
  ScheduleEditor,
  scheduleProblem
} from '../common/scheduleEditor';
import type {
  INotebookParameters,
  INotebookSchedule,
  IRun,
  JSONObject
} from '../api/tokens';
import { CurrentSchedule } from './currentSchedule';
import { IScheduledNotebook, saveNotebookPipeline } from './notebookSchedule';
import { ParamInputs } from './paramInputs';

export type { IScheduledNotebook } from './notebookSchedule';

// --- Run a pipeline -----------------------------------------------------------------------

class RunBody extends ReactWidget implements Dialog.IBodyWidget<IParamField[]> {
  constructor(
    private _fields: IParamField[],
    private readonly _errors: Record<string, string>,
    private readonly _problem: string | null
  ) {
    super();
    this.addClass('jp-OrchDialog');
  }

  getValue(): IParamField[] {
    return this._fields;
  }

  protected render(): JSX.Element {
    return (
      <div>
        {this._fields.length === 0 ? (
          <p>{trans.__('This pipeline takes no parameters.')}</p>
        ) : (
          <p className="jp-OrchDialog-hint">
            {trans.__('Parameters start at the pipeline’s defaults.')}
          </p>
        )}
        <ParamInputs
          idPrefix="jp-orch-run"
          fields={this._fields}
          errors={this._errors}
          onChange={fields => {
            this._fields = fields;
            this.update();
          }}
        />
        {this._problem && (
          <div className="jp-OrchField-error" role="alert">
            {this._problem}
          </div>
        )}
      </div>
    );
  }
}

/**
 * Asks for a run's parameters (typed, prefilled with the defaults) and starts the run with
 * `start`; the run, or null when the user cancelled.
 */
export async function runPipelineDialog(
  client: OrchClient,
  name: string,
  start: (parameters: JSONObject) => Promise<IRun>
): Promise<IRun | null> {
  const pipeline = await client.getPipeline(name);
  let fields = fieldsFromDefaults(pipeline.parameters);
  let errors: Record<string, string> = {};
  let problem: string | null = null;
  for (;;) {
    const result = await showDialog({
      title: trans.__('Run %1', name),
      body: new RunBody(fields, errors, problem),
      buttons: [
        Dialog.cancelButton(),
        Dialog.okButton({ label: trans.__('Run') })
      ],
      focusNodeSelector: 'input, select'
    });
    if (!result.button.accept || result.value === null) {
      return null;
    }
    fields = result.value;
    const collected = collectValues(fields);
    if (!collected.ok) {
      errors = collected.errors;
      problem = null;
      continue;
    }
    try {
      return await start(collected.values);
    } catch (error) {
      errors = fieldErrors(error, 'parameters.');
      problem = errorMessage(error);
      if (!(error instanceof OrchError) || error.status >= 500) {
        throw error;
      }
    }
  }
}

// --- Schedule this notebook ---------------------------------------------------------------

/** The notebook dialog's first choice: no schedule, and a run now. */
function runOnce(): IOnceChoice {
  return {
    label: trans.__('Once (run now)'),
    hint: trans.__(
      'Saves the pipeline without a schedule and starts a run now.'
    )
  };
}

/** The class of the "Run now" button: how the dialog tells it from Save and Cancel. */
const RUN_NOW_CLASS = 'jp-OrchDialog-runNow';

interface IScheduleForm {
  schedule: IScheduleValue;
  fields: IParamField[];
  retries: string;
  timeout: string;
}

class ScheduleBody
  extends ReactWidget
  implements Dialog.IBodyWidget<IScheduleForm>
{
  constructor(
    private readonly _client: OrchClient,
    private readonly _notebook: INotebookParameters,
    private _form: IScheduleForm,
    private readonly _errors: Record<string, string>,
    private readonly _problem: string | null
  ) {
    super();
    this.addClass('jp-OrchDialog');
    this.addClass('jp-OrchScheduleDialog');
  }

  getValue(): IScheduleForm {
    return this._form;
  }

  private _set(form: Partial<IScheduleForm>): void {
    this._form = { ...this._form, ...form };
    this.update();
  }

  protected render(): JSX.Element {
    const form = this._form;
    const nb = this._notebook;
    const current = nb.scheduled;
    return (
      <div>
        {current && <CurrentSchedule current={current} />}
        <ScheduleEditor
          client={this._client}
          idPrefix="jp-orch-schedule"
          once={runOnce()}
          value={form.schedule}
          error={this._errors['schedule']}
          onChange={schedule => this._set({ schedule })}
        />
        <h3 className="jp-OrchDialog-subtitle">{trans.__('Parameters')}</h3>
        {nb.problem && <div className="jp-OrchField-error">{nb.problem}</div>}
        {!nb.problem && form.fields.length === 0 && (
          <p className="jp-OrchDialog-hint">
            {nb.has_parameters_cell
              ? trans.__('The parameters cell declares no parameters.')
              : trans.__(
                  'This notebook has no cell tagged “parameters”; tag one to pass values to scheduled runs.'
                )}
          </p>
        )}
        <ParamInputs
          idPrefix="jp-orch-schedule"
          fields={form.fields}
          errors={this._errors}
          onChange={fields => this._set({ fields })}
        />
        <div className="jp-OrchDialog-policy">
          <label htmlFor="jp-orch-schedule-retries">
            {trans.__('Retries')}
          </label>
          <input
            id="jp-orch-schedule-retries"
            className="jp-mod-styled"
            type="number"
            min={0}
            max={100}
            value={form.retries}
            onChange={e => this._set({ retries: e.target.value })}
          />
          <label htmlFor="jp-orch-schedule-timeout">
            {trans.__('Timeout')}
          </label>
          <input
            id="jp-orch-schedule-timeout"
            className="jp-mod-styled"
            value={form.timeout}
            placeholder={trans.__('e.g. 30m (none: no limit)')}
            spellCheck={false}
            onChange={e => this._set({ timeout: e.target.value })}
          />
        </div>
        {(this._errors['retries'] || this._errors['timeout']) && (
          <div className="jp-OrchField-error" role="alert">
            {[this._errors['retries'], this._errors['timeout']]
              .filter(Boolean)
              .join('\n')}
          </div>
        )}
        {this._problem && (
          <div className="jp-OrchField-error" role="alert">
            {this._problem}
          </div>
        )}
      </div>
    );
  }
}

/**
 * "Schedule this notebook...": the schedule (or "once"), the parameters its parameters cell
 * declares (with their defaults), retries and timeout. Save writes and registers the one-step
 * pipeline, and for "once" starts a run; "Run now" starts one in any case. Null when the user
 * cancelled.
 */
export async function scheduleNotebookDialog(
  client: OrchClient,
  path: string
): Promise<IScheduledNotebook | null> {
  const notebook = await client.notebookParameters(path);
  // Scheduled before: start from how it is scheduled now
  const current = notebook.scheduled ?? null;
  let form: IScheduleForm = {
    schedule: startingSchedule(current),
    fields: notebook.parameters.map(param => {
      const kind = kindOfNotebookParameter(param);
      const value =
        current && param.name in current.parameters
          ? current.parameters[param.name]
          : param.default;
      return {
        name: param.name,
        kind,
        text: toText(value, kind),
        placeholder: param.default_source,
        help: param.help
      };
    }),
    retries: String(current?.retries ?? 0),
    timeout: durationText(current?.timeout)
  };
  let errors: Record<string, string> = {};
  let problem: string | null = null;
  for (;;) {
    const result = await showDialog({
      title: trans.__('Schedule %1', PathExt.basename(path)),
      body: new ScheduleBody(client, notebook, form, errors, problem),
      buttons: [
        Dialog.cancelButton(),
        Dialog.createButton({
          label: trans.__('Run now'),
          className: RUN_NOW_CLASS
        }),
        Dialog.okButton({ label: trans.__('Save') })
      ],
      focusNodeSelector: 'select'
    });
    // Told apart by their class, not their words (which are the user's language)
    const runNow = result.button.className === RUN_NOW_CLASS;
    if (result.value === null || (!result.button.accept && !runNow)) {
      return null;
    }
    form = result.value;
    const collected = collectValues(form.fields);
    errors = collected.ok ? {} : collected.errors;
    problem = null;
    const retries = Number(form.retries || '0');
    if (!Number.isInteger(retries) || retries < 0) {
      errors['retries'] = trans.__('retries: give a whole number, 0 or more');
    }
    const unfinished = scheduleProblem(form.schedule);
    if (unfinished) {
      errors['schedule'] = unfinished;
    }
    if (!collected.ok || Object.keys(errors).length) {
      continue;
    }
    try {
      return await saveNotebookPipeline(
        client,
        {
          path,
          parameters: collected.values,
          retries,
          ...(form.timeout.trim() ? { timeout: form.timeout.trim() } : {})
        },
        form.schedule,
        runNow
      );
    } catch (error) {
      if (!(error instanceof OrchError) || error.status >= 500) {
        throw error;
      }
      errors = {
        ...fieldErrors(error, 'parameters.'),
        ...topLevelErrors(error)
      };
      problem = errorMessage(error);
    }
  }
}

/** How the dialog starts: as the notebook is scheduled now, else every day at 09:00. */
function startingSchedule(current: INotebookSchedule | null): IScheduleValue {
  if (!current) {
    return { cron: '0 9 * * *', timezone: browserTimeZone() };
  }
  const { schedule } = current;
  return schedule
    ? { cron: schedule.cron, timezone: schedule.timezone }
    : { cron: '', timezone: browserTimeZone() };
}

/** Messages for `schedule...`, `retries`, `timeout`, keyed by the top-level field. */
function topLevelErrors(error: OrchError): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const detail of error.details) {
    const top = detail.field.split(/[.[]/)[0];
    if (top === 'schedule' || top === 'retries' || top === 'timeout') {
      errors[top] = detail.message;
    }
  }
  return errors;
}
