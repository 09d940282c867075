/**
 * What the run detail shows, decided without a DOM: which buttons apply, which steps failed,
 * how attempts, errors, values and log lines read. Pure functions: unit-tested.
 */
import {
  elapsedSeconds,
  formatValue,
  localTime,
  relativeTime,
  zonedTime
} from '../common/format';
import { trans } from '../common/i18n';
import {
  ACTIVE_RUN_STATUSES,
  FAILED_ATTEMPT_STATUSES,
  FAILED_STEP_STATUSES,
  FINISHED_RUN_STATUSES,
  IAttempt,
  IAttemptError,
  ILogLine,
  IRun,
  IStepRun,
  JSONObject,
  RERUNNABLE_STEP_STATUSES,
  StepKind,
  UNSUCCESSFUL_RUN_STATUSES
} from '../api/tokens';
import { outputNotebookPath } from '../output/outputNotebook';
import type { IDagInput, IDagNode } from '../dag/dag';
import { groupSteps, isItem, itemProgress, itemValueText } from './forEach';

// ESC [ ... final byte (colours, cursor moves), ESC ] ... BEL/ST (titles, links), lone ESC x.
const ANSI =
  // eslint-disable-next-line no-control-regex
  /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;

/** The text without ANSI escape codes (IPython colours its tracebacks). */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

export function isFinished(status: string): boolean {
  return FINISHED_RUN_STATUSES.has(status);
}

/** Which run actions the header offers. */
export interface IRunActions {
  cancel: boolean;
  rerun: boolean;
  rerunFromFailed: boolean;
}

export function runActions(run: Pick<IRun, 'status' | 'steps'>): IRunActions {
  return {
    cancel: ACTIVE_RUN_STATUSES.has(run.status),
    rerun: true,
    rerunFromFailed:
      UNSUCCESSFUL_RUN_STATUSES.has(run.status) &&
      run.steps.some(s => RERUNNABLE_STEP_STATUSES.has(s.status))
  };
}

/** The attempt made last (the highest number), or null before the first. */
export function latestAttempt(step: IStepRun): IAttempt | null {
  let latest: IAttempt | null = null;
  for (const attempt of step.attempts) {
    if (latest === null || attempt.number > latest.number) {
      latest = attempt;
    }
  }
  return latest;
}

/** The attempts, latest first. */
export function attemptsLatestFirst(step: IStepRun): IAttempt[] {
  return [...step.attempts].sort((a, b) => b.number - a.number);
}

/** A step that failed, as the failure banner lists it. */
export interface IFailedStep {
  step: string;
  /** An item of a for-each step (`report[1]`): its value, as its row shows it. */
  item?: string;
  /** Its latest attempt's error, if it recorded one. */
  error: IAttemptError | null;
  /** Its latest attempt's output notebook, if it wrote one (the path the lab opens). */
  notebook: string | null;
}

/**
 * The steps that went wrong, in pipeline order: those that failed or timed out, and those whose
 * latest attempt did (a retry is pending, or the run was cancelled meanwhile). A for-each step
 * with items is there as the items that went wrong (`report[1]`), which hold the errors.
 */
export function failedSteps(run: Pick<IRun, 'id' | 'steps'>): IFailedStep[] {
  const withItems = new Set(run.steps.map(step => step.parent));
  return run.steps
    .filter(step => !withItems.has(step.name))
    .map(step => ({ step, attempt: latestAttempt(step) }))
    .filter(
      ({ step, attempt }) =>
        FAILED_STEP_STATUSES.has(step.status) ||
        FAILED_ATTEMPT_STATUSES.has(attempt?.status ?? '')
    )
    .map(({ step, attempt }) => ({
      step: step.name,
      ...(isItem(step) ? { item: itemValueText(step.item) } : {}),
      error: attempt?.error ?? null,
      notebook: attempt ? outputNotebookPath(run.id, attempt) : null
    }));
}

/** "ValueError: bad value". */
export function errorTitle(error: IAttemptError): string {
  return error.evalue ? `${error.ename}: ${error.evalue}` : error.ename;
}

/** An attempt's error as the server gives it; `exec_count` from servers that record it. */
export type AttemptErrorWithCell = IAttemptError & {
  /** The failing cell's execution count, which the notebook shows as `In [4]`. */
  exec_count?: number | null;
};

/**
 * The failing cell as the output notebook shows it, "In [4]" (its execution count); "cell 5",
 * counted from 1, when only its index is known; "" when neither is.
 */
export function errorCell(error: AttemptErrorWithCell): string {
  if (typeof error.exec_count === 'number') {
    return `In [${error.exec_count}]`;
  }
  return typeof error.cell_index === 'number'
    ? trans.__('cell %1', error.cell_index + 1)
    : '';
}

/** The traceback as one text without colour codes ("" when there is none). */
export function tracebackText(error: IAttemptError): string {
  return stripAnsi((error.traceback ?? []).join('\n')).trimEnd();
}

/** `[name, compact JSON]` pairs, sorted by name, for key = value lists. */
export function valueEntries(
  values: JSONObject | null | undefined
): [string, string][] {
  return Object.entries(values ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => [key, formatValue(value)]);
}

/** An attempt's duration, counting on while it runs. */
export function attemptSeconds(
  attempt: IAttempt,
  now: Date = new Date()
): number | null {
  if (attempt.duration_s !== null && attempt.duration_s !== undefined) {
    return attempt.duration_s;
  }
  return attempt.status === 'running'
    ? elapsedSeconds(attempt.started_at, null, now)
    : null;
}

/** The run's duration, counting on while it runs. */
export function runSeconds(
  run: Pick<IRun, 'status' | 'started_at' | 'ended_at' | 'duration_s'>,
  now: Date = new Date()
): number | null {
  if (run.duration_s !== null && run.duration_s !== undefined) {
    return run.duration_s;
  }
  if (!run.started_at) {
    return null;
  }
  return elapsedSeconds(
    run.started_at,
    isFinished(run.status) ? run.ended_at : null,
    now
  );
}

/** "2026-11-26 09:00:05 (5 min ago)". */
export function timeWithRelative(
  iso: string | null | undefined,
  now: Date = new Date()
): string {
  const local = zonedTime(iso);
  if (!local) {
    return '';
  }
  const relative = relativeTime(iso, now);
  return relative ? `${local} (${relative})` : local;
}

/** Why a step has no attempt to show, in words; null when its attempts say it all. */
export function stepNote(step: IStepRun): string | null {
  if (step.attempts.length > 0 && !step.reused_from) {
    return null;
  }
  switch (step.status) {
    case 'pending':
      return step.needs.length
        ? trans.__('Waiting for %1', step.needs.join(', '))
        : trans.__('Waiting to start');
    case 'skipped':
      return step.for_each
        ? trans.__('Skipped: its for_each list had no items')
        : trans.__('Skipped: its condition was not met');
    case 'upstream_failed':
      return trans.__('Not run: a step it needs did not succeed');
    case 'cancelled':
      return step.attempts.length
        ? null
        : trans.__('Cancelled before it started');
    case 'running':
      return step.attempts.length ? null : trans.__('Starting');
    default:
      return null;
  }
}

/** The parts of one log line: local "HH:MM:SS", the step, the text, whether it is stderr. */
export interface ILogParts {
  time: string;
  step: string | null;
  message: string;
  isError: boolean;
}

export function logParts(line: ILogLine): ILogParts {
  return {
    time: localTime(line.ts).slice(11),
    step: line.step,
    message: stripAnsi(line.message),
    isError: line.stream === 'stderr'
  };
}

/** "09:00:05 [load_sales] message" (no brackets for pipeline-wide lines). */
export function formatLogLine(line: ILogLine): string {
  const parts = logParts(line);
  return [parts.time, parts.step ? `[${parts.step}]` : '', parts.message]
    .filter(Boolean)
    .join(' ');
}

/** The DOM id of a step's card (run ids and step names are plain, but be safe). */
export function stepCardId(runId: string, step: string): string {
  const safe = (text: string) => text.replace(/[^A-Za-z0-9_-]/g, '_');
  return `jp-OrchRunDetail-step-${safe(runId)}-${safe(step)}`;
}

/**
 * The DAG's input: one node per step with its status (and kind, when known), a for-each step's
 * items' progress ("2/3"; its items are no nodes of their own), and the needs.
 */
export function dagInput(
  run: Pick<IRun, 'steps'>,
  kinds: Readonly<Record<string, StepKind>> = {}
): IDagInput {
  const needs: Record<string, string[]> = {};
  const nodes = groupSteps(run.steps).map(({ step, items }) => {
    needs[step.name] = step.needs;
    const node: IDagNode = { id: step.name, status: step.status };
    if (kinds[step.name]) {
      node.kind = kinds[step.name];
    }
    if (items.length > 0) {
      node.progress = itemProgress(items);
    }
    return node;
  });
  return { nodes, needs };
}
