/**
 * What the run detail shows, decided without a DOM: which buttons apply, which step failed
 * first, how attempts, errors, values and log lines read. Pure functions: unit-tested.
 */
import { elapsedSeconds, localTime, relativeTime } from '../common/format';
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
  JSONValue,
  RERUNNABLE_STEP_STATUSES,
  StepKind,
  UNSUCCESSFUL_RUN_STATUSES
} from '../api/tokens';

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

/**
 * The step to look at when a run went wrong, in pipeline order: the first failed or timed-out
 * step; else (a retry is pending, or the run was cancelled) the first step whose latest
 * attempt failed.
 */
export function firstFailedStep(run: Pick<IRun, 'steps'>): IStepRun | null {
  const failed = run.steps.find(s => FAILED_STEP_STATUSES.has(s.status));
  if (failed) {
    return failed;
  }
  return (
    run.steps.find(s => {
      const status = latestAttempt(s)?.status;
      return status !== undefined && FAILED_ATTEMPT_STATUSES.has(status);
    }) ?? null
  );
}

/** The output notebook of the first failed step's latest attempt, if it wrote one. */
export function failedNotebook(
  run: Pick<IRun, 'steps'>
): { step: string; path: string } | null {
  const step = firstFailedStep(run);
  const path = step ? latestAttempt(step)?.output_notebook : null;
  return step && path ? { step: step.name, path } : null;
}

/** "ValueError: bad value". */
export function errorTitle(error: IAttemptError): string {
  return error.evalue ? `${error.ename}: ${error.evalue}` : error.ename;
}

/** "in cell 4" when the server knows the failing cell (papermill's cell index), else "". */
export function errorCell(error: IAttemptError): string {
  return typeof error.cell_index === 'number'
    ? `in cell ${error.cell_index}`
    : '';
}

/** The traceback as one text without colour codes ("" when there is none). */
export function tracebackText(error: IAttemptError): string {
  return stripAnsi((error.traceback ?? []).join('\n')).trimEnd();
}

/** A value as compact JSON: `"2024-03-31"`, `7`, `["a","b"]`. */
export function formatValue(value: JSONValue | undefined): string {
  if (value === undefined) {
    return '';
  }
  return JSON.stringify(value) ?? String(value);
}

/** `[name, compact JSON]` pairs, sorted by name, for key = value lists. */
export function valueEntries(
  values: JSONObject | null | undefined
): [string, string][] {
  return Object.entries(values ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => [key, formatValue(value)]);
}

/** Text cut to `max` characters with an ellipsis. */
export function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
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
  const local = localTime(iso);
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
        ? `Waiting for ${step.needs.join(', ')}`
        : 'Waiting to start';
    case 'skipped':
      return 'Skipped: its condition was not met';
    case 'upstream_failed':
      return 'Not run: a step it needs did not succeed';
    case 'cancelled':
      return step.attempts.length ? null : 'Cancelled before it started';
    case 'running':
      return step.attempts.length ? null : 'Starting';
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

/** The DAG's input: one node per step with its status (and kind, when known), and the needs. */
export function dagInput(
  run: Pick<IRun, 'steps'>,
  kinds: Readonly<Record<string, StepKind>> = {}
): {
  nodes: { id: string; status: string; kind?: StepKind }[];
  needs: Record<string, string[]>;
} {
  const needs: Record<string, string[]> = {};
  for (const step of run.steps) {
    needs[step.name] = step.needs;
  }
  return {
    nodes: run.steps.map(s =>
      kinds[s.name]
        ? { id: s.name, status: s.status, kind: kinds[s.name] }
        : { id: s.name, status: s.status }
    ),
    needs
  };
}
