/**
 * The run detail's header: pipeline, status, the actions, why the run failed, and the facts
 * (trigger, times, parameters).
 */
import * as React from 'react';

import { isExactReplay } from '../api/compare';
import { Sentence, StatusBadge } from '../common/components';
import { formatDuration, triggerLabel, zonedTime } from '../common/format';
import { trans } from '../common/i18n';
import { pinIcon } from '../common/icons';
import { CompareWithButton, ICompareWith } from '../compare/compareWith';
import { Rerun, RerunButtons } from './rerunButtons';
import { RunDetailModel } from './runDetailModel';
import {
  INotebookActions,
  NotebookLinks,
  RunLink,
  ValueList
} from './runSteps';
import {
  errorCell,
  errorTitle,
  failedSteps,
  IFailedStep,
  runActions,
  runSeconds,
  timeWithRelative
} from './runView';
import type { IRun, StepWake } from '../api/tokens';

/** What the view's buttons do (the widget turns failures into notifications). */
export interface IRunHandlers extends INotebookActions {
  cancel: () => void;
  /** A new run: of the unfinished steps only (`fromFailed`), of the run's own version (`exact`). */
  rerun: Rerun;
  setPinned: (pinned: boolean) => void;
  editPipeline: (name: string) => void;
  openRun?: (id: string) => void;
  /** "Compare with…": the pipeline's other runs, and opening a comparison. */
  compare?: ICompareWith;
  retry: () => void;
  /** Retry now or Fail now, for a step waiting for a retry. */
  wakeStep: (step: string, action: StepWake) => void;
}

/** What the parts of the run detail view (its header, its steps) are given. */
export interface IRunPartProps {
  model: RunDetailModel;
  run: IRun;
  now: Date;
  handlers: IRunHandlers;
}

export function RunHeader(props: IRunPartProps): JSX.Element {
  const { model, run, now, handlers } = props;
  const latestVersion = model.pipeline?.version;
  return (
    <div className="jp-OrchRunDetail-header">
      <div className="jp-OrchRunDetail-titleRow">
        <h2 className="jp-OrchRunDetail-title">{run.pipeline}</h2>
        <StatusBadge status={run.status} />
        {model.cancelRequested && (
          <span className="jp-OrchRunDetail-muted">
            {trans.__('Stopping…')}
          </span>
        )}
        <RunButtons model={model} run={run} handlers={handlers} />
      </div>
      <div className="jp-OrchRunDetail-subtitle">
        <Sentence
          text={trans.__('Run %1 · version %2', '%1', run.version)}
          nodes={[<code title={run.id}>{run.id}</code>]}
        />
        {latestVersion !== undefined && latestVersion !== run.version && (
          <span className="jp-OrchRunDetail-muted">
            {' '}
            {trans.__('(the pipeline is now at version %1)', latestVersion)}
          </span>
        )}
      </div>
      <FailureCallout run={run} handlers={handlers} />
      <RunFacts run={run} now={now} handlers={handlers} />
    </div>
  );
}

function RunButtons(props: {
  model: RunDetailModel;
  run: IRun;
  handlers: IRunHandlers;
}): JSX.Element {
  const { model, run, handlers } = props;
  const actions = runActions(run);
  const busy = model.busy;
  return (
    <div className="jp-OrchRunDetail-actions">
      {actions.cancel && (
        <button
          type="button"
          className="jp-mod-styled jp-mod-warn"
          disabled={busy !== null || model.cancelRequested}
          onClick={handlers.cancel}
        >
          {busy === 'cancel' ? trans.__('Cancelling…') : trans.__('Cancel')}
        </button>
      )}
      {actions.rerun && (
        <RerunButtons
          run={run}
          fromFailed={actions.rerunFromFailed}
          busy={busy !== null}
          rerun={handlers.rerun}
        />
      )}
      {handlers.compare && (
        <CompareWithButton run={run} actions={handlers.compare} />
      )}
      <PinButton
        pinned={run.pinned}
        busy={busy !== null}
        onPin={handlers.setPinned}
      />
      <button
        type="button"
        className="jp-mod-styled jp-OrchRunDetail-button"
        onClick={() => handlers.editPipeline(run.pipeline)}
      >
        {trans.__('Edit pipeline')}
      </button>
    </div>
  );
}

/**
 * Pin / Unpin: what a click does is the button's name (so no aria-pressed, which would
 * contradict it); the pin icon is in the brand colour while the run is pinned.
 */
function PinButton(props: {
  pinned: boolean;
  busy: boolean;
  onPin: (pinned: boolean) => void;
}): JSX.Element {
  const { pinned } = props;
  return (
    <button
      type="button"
      className={`jp-mod-styled jp-OrchRunDetail-button jp-OrchRunDetail-pin${pinned ? ' jp-mod-pinned' : ''}`}
      disabled={props.busy}
      title={trans.__('Pinned runs are never deleted by retention')}
      onClick={() => props.onPin(!pinned)}
    >
      <pinIcon.react tag="span" />
      {pinned ? trans.__('Unpin') : trans.__('Pin')}
    </button>
  );
}

/** Why the run failed: every failed step, its error, and its notebook one click away. */
function FailureCallout(props: {
  run: IRun;
  handlers: IRunHandlers;
}): JSX.Element | null {
  const { run, handlers } = props;
  const failed = failedSteps(run);
  if (!run.error && failed.length === 0) {
    return null;
  }
  const kind = run.status === 'cancelled' ? 'off' : 'bad';
  return (
    <div
      className={`jp-OrchRunDetail-failure jp-OrchRunDetail-failure-${kind}`}
    >
      {run.error && (
        <div className="jp-OrchRunDetail-runError">{run.error}</div>
      )}
      {failed.length > 0 && (
        <ul
          className="jp-OrchRunDetail-failedSteps"
          aria-label={trans.__('Failed steps')}
        >
          {failed.map(item => (
            <FailedStep key={item.step} failed={item} handlers={handlers} />
          ))}
        </ul>
      )}
    </div>
  );
}

/**
 * "count_region: ValueError: no rows (at In [3])" ("report[1] (apac): ..." for an item of a
 * for-each step), and its output notebook's links.
 */
function FailedStep(props: {
  failed: IFailedStep;
  handlers: IRunHandlers;
}): JSX.Element {
  const { step, item, error, notebook } = props.failed;
  const cell = error ? errorCell(error) : '';
  // '%1' for the step's name in bold: the bundle keeps it for Sentence to fill
  let text = '%1';
  if (error) {
    text = cell
      ? trans.__('%1: %2 (at %3)', '%1', errorTitle(error), cell)
      : trans.__('%1: %2', '%1', errorTitle(error));
  }
  return (
    <li className="jp-OrchRunDetail-failedStep" data-step={step}>
      <div className="jp-OrchRunDetail-stepError">
        <Sentence
          text={text}
          nodes={[
            <>
              <strong>{step}</strong>
              {item !== undefined && (
                <>
                  {' '}
                  <code className="jp-OrchRunDetail-itemValue">{item}</code>
                </>
              )}
            </>
          ]}
        />
      </div>
      {notebook && (
        <NotebookLinks
          actions={props.handlers}
          path={notebook}
          label={trans.__("Open failed step's output notebook")}
        />
      )}
    </li>
  );
}

function Fact(props: {
  label: string;
  children: React.ReactNode;
  wide?: boolean;
}): JSX.Element {
  return (
    <div className={`jp-OrchRunDetail-fact${props.wide ? ' jp-mod-wide' : ''}`}>
      <dt>{props.label}</dt>
      <dd>{props.children}</dd>
    </div>
  );
}

function RunFacts(props: {
  run: IRun;
  now: Date;
  handlers: IRunHandlers;
}): JSX.Element {
  const { run, now, handlers } = props;
  const seconds = runSeconds(run, now);
  return (
    <dl className="jp-OrchRunDetail-facts">
      <Fact label={trans.__('Trigger')}>
        {triggerLabel(run.trigger)}
        {run.scheduled_for && (
          <span className="jp-OrchRunDetail-muted">
            {' '}
            {trans.__('for %1', zonedTime(run.scheduled_for))}
          </span>
        )}
      </Fact>
      <Fact label={trans.__('Started')}>
        {run.started_at ? (
          timeWithRelative(run.started_at, now)
        ) : (
          <span className="jp-OrchRunDetail-muted">
            {trans.__(
              'Not yet (queued %1)',
              timeWithRelative(run.created_at, now)
            )}
          </span>
        )}
      </Fact>
      {run.ended_at && (
        <Fact label={trans.__('Ended')}>
          {timeWithRelative(run.ended_at, now)}
        </Fact>
      )}
      <Fact label={trans.__('Duration')}>
        {seconds === null ? '—' : formatDuration(seconds)}
      </Fact>
      {run.rerun_of && (
        <Fact
          label={
            isExactReplay(run)
              ? trans.__('Exact replay of')
              : trans.__('Rerun of')
          }
        >
          <RunLink id={run.rerun_of} openRun={handlers.openRun} />
          {isExactReplay(run) && (
            <span className="jp-OrchRunDetail-muted">
              {' '}
              {trans.__('(version %1, byte for byte)', run.version)}
            </span>
          )}
        </Fact>
      )}
      {run.event && (
        <Fact label={trans.__('Event')} wide>
          <ValueList values={run.event} label={trans.__('Event')} />
        </Fact>
      )}
      <Fact label={trans.__('Parameters')} wide>
        <ValueList
          values={run.parameters}
          label={trans.__('Parameters')}
          empty={trans.__('none')}
        />
      </Fact>
    </dl>
  );
}
