/**
 * The parts of the run detail below the header: one card per step with its kind, what it is
 * doing now (a retry's countdown, a notebook's cell) and its attempts (latest first), their
 * summary, errors and outputs; key = value lists. The run log is runLog.tsx.
 */
import * as React from 'react';

import { Sentence, StatusBadge } from '../common/components';
import { trans } from '../common/i18n';
import { KIND_LABELS } from '../common/stepKinds';
import {
  clip,
  formatDuration,
  formatValue,
  zonedTime,
  relativeTime,
  shortId
} from '../common/format';
import { outputNotebookPath } from '../output/outputNotebook';
import { isItem, itemValueText } from './forEach';
import {
  attemptSeconds,
  attemptsLatestFirst,
  errorCell,
  errorTitle,
  stepCardId,
  stepNote,
  tracebackText,
  valueEntries
} from './runView';
import { outputTail } from './liveProgress';
import { CellProgressView, RetryWait } from './liveStep';
import type { RunAction } from './runDetailModel';
import { resourceSummary, stepSummary } from './stepSummary';
import type {
  IAttempt,
  IAttemptError,
  ILogLine,
  IStepRun,
  JSONObject,
  StepKind,
  StepWake
} from '../api/tokens';

/** How long a value may get in a key = value list before it is cut (full text in its tooltip). */
const VALUE_MAX = 160;

/** `key = value` chips; `empty` when there are none. */
export function ValueList(props: {
  values: JSONObject | null | undefined;
  label: string;
  empty?: string;
}): JSX.Element | null {
  const entries = valueEntries(props.values);
  if (entries.length === 0) {
    return props.empty ? (
      <span className="jp-OrchRunDetail-muted">{props.empty}</span>
    ) : null;
  }
  return (
    <ul className="jp-OrchRunDetail-values" aria-label={props.label}>
      {entries.map(([key, value]) => (
        <li key={key} title={value.length > VALUE_MAX ? value : undefined}>
          <span className="jp-OrchRunDetail-valueKey">{key}</span>
          {' = '}
          <span className="jp-OrchRunDetail-valueText">
            {clip(value, VALUE_MAX)}
          </span>
        </li>
      ))}
    </ul>
  );
}

/** A link-looking button that opens another run. */
export function RunLink(props: {
  id: string;
  openRun?: (id: string) => void;
}): JSX.Element {
  const { id, openRun } = props;
  if (!openRun) {
    return (
      <code className="jp-OrchRunDetail-runId" title={id}>
        {shortId(id)}
      </code>
    );
  }
  return (
    <button
      type="button"
      className="jp-OrchRunDetail-link"
      title={trans.__('Open run %1', id)}
      onClick={event => {
        event.stopPropagation();
        openRun(id);
      }}
    >
      {shortId(id)}
    </button>
  );
}

/** What the links to an output notebook do. */
export interface INotebookActions {
  /** Opens it read-only, with no kernel, at the cell where it failed. */
  openNotebook: (path: string) => void;
  /** Opens a copy of it to edit and run (the run's own file stays as it is). */
  copyNotebook: (path: string) => void;
}

/** "Open output notebook" (or `label`) and, beside it, "Open as a copy to edit". */
export function NotebookLinks(props: {
  path: string;
  label: string;
  actions: INotebookActions;
}): JSX.Element {
  const { path, actions } = props;
  const click =
    (action: (path: string) => void) => (event: React.MouseEvent) => {
      event.stopPropagation();
      action(path);
    };
  return (
    <span className="jp-OrchRunDetail-notebookLinks">
      <button
        type="button"
        className="jp-OrchRunDetail-button jp-OrchRunDetail-notebookButton"
        title={trans.__('%1: read-only, with no kernel', path)}
        onClick={click(actions.openNotebook)}
      >
        {props.label}
      </button>
      <button
        type="button"
        className="jp-OrchRunDetail-button jp-OrchRunDetail-notebookButton"
        title={trans.__(
          'A copy of %1 in your home folder, opened with a kernel',
          path
        )}
        onClick={click(actions.copyNotebook)}
      >
        {trans.__('Open as a copy to edit')}
      </button>
    </span>
  );
}

function AttemptErrorView(props: {
  error: IAttemptError;
  /** A cancelled attempt's "error" says why it stopped: neutral, not an error's colour. */
  cancelled?: boolean;
}): JSX.Element {
  const { error, cancelled } = props;
  const cell = errorCell(error);
  const traceback = tracebackText(error);
  return (
    <div
      className={
        cancelled
          ? 'jp-OrchRunDetail-error jp-OrchRunDetail-error-neutral'
          : 'jp-OrchRunDetail-error'
      }
    >
      <div className="jp-OrchRunDetail-errorTitle">
        <span className="jp-OrchRunDetail-errorText">{errorTitle(error)}</span>
        {cell && (
          <span className="jp-OrchRunDetail-errorCell">
            {trans.__('at %1', cell)}
          </span>
        )}
      </div>
      {traceback && (
        <details className="jp-OrchRunDetail-traceback">
          <summary>{trans.__('Traceback')}</summary>
          <pre>{traceback}</pre>
        </details>
      )}
    </div>
  );
}

function AttemptView(props: {
  runId: string;
  attempt: IAttempt;
  kind: StepKind | null;
  latest: boolean;
  now: Date;
  notebooks: INotebookActions;
}): JSX.Element {
  const { attempt, now } = props;
  const seconds = attemptSeconds(attempt, now);
  const notebook = outputNotebookPath(props.runId, attempt);
  const summary = stepSummary(props.kind, attempt.outputs);
  const used = resourceSummary(attempt.resources);
  return (
    <div
      className="jp-OrchRunDetail-attempt"
      data-attempt={attempt.number}
      data-status={attempt.status}
    >
      <div className="jp-OrchRunDetail-attemptHeader">
        <span className="jp-OrchRunDetail-attemptName">
          {trans.__('Attempt %1', attempt.number)}
        </span>
        {props.latest && (
          <span className="jp-OrchRunDetail-tag">
            {trans._p('attempt', 'latest')}
          </span>
        )}
        <StatusBadge status={attempt.status} />
        {seconds !== null && (
          <span className="jp-OrchRunDetail-muted">
            {formatDuration(seconds)}
          </span>
        )}
        {attempt.started_at && (
          <span
            className="jp-OrchRunDetail-muted"
            title={relativeTime(attempt.started_at, now)}
          >
            {trans.__('started %1', zonedTime(attempt.started_at))}
          </span>
        )}
        {summary && (
          <span className="jp-OrchRunDetail-summary" title={summary.title}>
            {summary.text}
          </span>
        )}
        {used && (
          <span className="jp-OrchRunDetail-resources" title={used.title}>
            {used.text}
          </span>
        )}
        {notebook && (
          <NotebookLinks
            actions={props.notebooks}
            path={notebook}
            label={trans.__('Open output notebook')}
          />
        )}
      </div>
      {attempt.error && (
        <AttemptErrorView
          error={attempt.error}
          cancelled={attempt.status === 'cancelled'}
        />
      )}
      <ValueList values={attempt.outputs} label={trans.__('Outputs')} />
    </div>
  );
}

export interface IStepCardProps {
  runId: string;
  step: IStepRun;
  /** What the step runs, when known. */
  kind: StepKind | null;
  selected: boolean;
  now: Date;
  onSelect: (step: string) => void;
  notebooks: INotebookActions;
  openRun?: (id: string) => void;
  /** The attempts it may make, when known. */
  allowed: number | null;
  /** The run log: a running notebook step shows its last lines of output. */
  logs: readonly ILogLine[];
  /** What the run detail is doing for the user. */
  busy: RunAction | null;
  onWake: (step: string, action: StepWake) => void;
  /** The files its attempts wrote (the run detail's artifacts view). */
  artifacts?: React.ReactNode;
  /** A for-each step's items (their progress and cards): shown in place of a note about
   * its having no attempts. */
  items?: React.ReactNode;
}

/**
 * One step, or one item of a for-each step (`report[1]`, with its value): its status, why it
 * did not run, what it is doing now, and its attempts, the latest first; a for-each step's
 * items below.
 */
export function StepCard(props: IStepCardProps): JSX.Element {
  const { step, now } = props;
  const node = React.useRef<HTMLElement>(null);
  React.useEffect(() => {
    if (props.selected) {
      node.current?.scrollIntoView?.({ block: 'nearest', behavior: 'smooth' });
    }
  }, [props.selected]);
  const [latest, ...earlier] = attemptsLatestFirst(step);
  const note = props.items ? null : stepNote(step);
  const item = isItem(step);
  const Heading = item ? 'h4' : 'h3';
  const attempt = (a: IAttempt, isLatest: boolean) => (
    <AttemptView
      key={a.number}
      runId={props.runId}
      attempt={a}
      kind={props.kind}
      latest={isLatest}
      now={now}
      notebooks={props.notebooks}
    />
  );
  return (
    <section
      ref={node}
      id={stepCardId(props.runId, step.name)}
      className={`jp-OrchRunDetail-step${item ? ' jp-OrchRunDetail-item' : ''}${props.selected ? ' jp-mod-selected' : ''}`}
      data-step={step.name}
      data-status={step.status}
      aria-label={
        item ? trans.__('Item %1', step.name) : trans.__('Step %1', step.name)
      }
      onClick={event => {
        // An item's card lies in its step's: the click selects the item only
        event.stopPropagation();
        props.onSelect(step.name);
      }}
    >
      <div className="jp-OrchRunDetail-stepHeader">
        <Heading className="jp-OrchRunDetail-stepName">{step.name}</Heading>
        {item && (
          <code
            className="jp-OrchRunDetail-itemValue"
            title={formatValue(step.item)}
          >
            {itemValueText(step.item)}
          </code>
        )}
        {props.kind && (
          <span className="jp-OrchStepKind" data-kind={props.kind}>
            {KIND_LABELS[props.kind]}
          </span>
        )}
        <StatusBadge status={step.status} />
        {step.reused_from && (
          <span className="jp-OrchRunDetail-muted">
            <Sentence
              text={trans.__('reused from run %1', '%1')}
              nodes={[
                <RunLink id={step.reused_from} openRun={props.openRun} />
              ]}
            />
          </span>
        )}
        {step.needs.length > 0 && (
          <span className="jp-OrchRunDetail-needs">
            {trans.__('needs %1', step.needs.join(', '))}
          </span>
        )}
      </div>
      {note && <p className="jp-OrchRunDetail-note">{note}</p>}
      {step.status === 'retrying' && (
        <RetryWait
          step={step}
          allowed={props.allowed}
          now={now}
          busy={props.busy}
          onWake={props.onWake}
        />
      )}
      {step.status === 'running' && step.progress && (
        <CellProgressView
          progress={step.progress}
          output={outputTail(props.logs, step.name, latest?.started_at ?? null)}
          now={now}
        />
      )}
      {latest && attempt(latest, earlier.length > 0)}
      {earlier.length > 0 && (
        <details className="jp-OrchRunDetail-earlier">
          <summary>{trans.__('Earlier attempts (%1)', earlier.length)}</summary>
          {earlier.map(a => attempt(a, false))}
        </details>
      )}
      {props.artifacts}
      {props.items}
    </section>
  );
}
