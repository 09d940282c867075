/**
 * What a run says while it goes on: which step of how many runs ("step 3/5: transform"), how
 * long until a retry ("retrying in 40 s"), which cell a notebook runs ("cell 3 of 5 · 12 s")
 * and its last lines of output; and how often the UI asks the server. Pure functions, with the
 * clock passed in: unit-tested.
 */
import { formatWholeSeconds } from '../common/format';
import { trans } from '../common/i18n';
import { groupSteps, IStepGroup, itemProgress } from './forEach';
import { latestAttempt, stripAnsi } from './runView';
import {
  FINISHED_RUN_STATUSES,
  ICellProgress,
  ILogLine,
  IRun,
  IStepRun
} from '../api/tokens';

/*
 * Poll intervals (ms). The UI polls rather than being told: the server has no websocket or
 * event-stream route, and a poll is one or two cheap indexed reads. While a run is active the
 * sidebar and the run detail ask every LIVE_INTERVAL, so that what they show is at most about
 * a second behind (the server itself updates a cell's progress at most twice a second); when
 * every listed run is finished, the sidebar asks only every IDLE_INTERVAL.
 */
export const LIVE_INTERVAL = 750;
export const IDLE_INTERVAL = 10_000;

/**
 * How long the sidebar waits between two polls: LIVE_INTERVAL while any of `runs` is not
 * finished (queued, or running, which includes a step waiting for a retry) or `active` says
 * so for another reason; IDLE_INTERVAL otherwise.
 */
export function pollInterval(
  runs: readonly Pick<IRun, 'status'>[],
  active = false
): number {
  return active || runs.some(run => !FINISHED_RUN_STATUSES.has(run.status))
    ? LIVE_INTERVAL
    : IDLE_INTERVAL;
}

/** Whole seconds from `now` until an ISO time, rounded up; 0 once it has passed. */
export function secondsUntil(iso: string, now: Date): number {
  const then = Date.parse(iso);
  return isNaN(then)
    ? 0
    : Math.max(Math.ceil((then - now.getTime()) / 1000), 0);
}

/** "in 40 s", "in 2 min 05 s"; "now" once the time has come. */
export function countdown(iso: string, now: Date): string {
  const seconds = secondsUntil(iso, now);
  return seconds > 0
    ? trans.__('in %1', formatWholeSeconds(seconds))
    : trans.__('now');
}

/**
 * A run row's progress: "step 3/5: transform" (the running step's place among the run's steps
 * and its name, "+1 more" when others run beside it; a for-each step's items are no steps:
 * "step 2/3: report (1 of 3 items)"); else "retrying in 40 s" when a step waits for a retry;
 * null for a run that is queued, finished, or between steps.
 */
export function runProgress(
  run: Pick<IRun, 'status' | 'steps'>,
  now: Date
): string | null {
  if (run.status !== 'running') {
    return null;
  }
  const groups = groupSteps(run.steps);
  const running = groups.filter(group => group.step.status === 'running');
  if (running.length > 0) {
    const place = groups.indexOf(running[0]) + 1;
    const total = groups.length;
    const name = groupName(running[0]);
    return running.length > 1
      ? trans._n(
          'step %2/%3: %4 +%1 more',
          'step %2/%3: %4 +%1 more',
          running.length - 1,
          place,
          total,
          name
        )
      : trans.__('step %1/%2: %3', place, total, name);
  }
  const waiting = run.steps.find(
    step => step.status === 'retrying' && step.next_attempt_at
  );
  if (!waiting?.next_attempt_at) {
    return null;
  }
  const seconds = secondsUntil(waiting.next_attempt_at, now);
  return seconds > 0
    ? trans.__('retrying in %1', formatWholeSeconds(seconds))
    : trans.__('retrying now');
}

/** A step's name, and a for-each step's items that succeeded: "report (1 of 3 items)". */
function groupName({ step, items }: IStepGroup): string {
  if (items.length === 0) {
    return step.name;
  }
  const { succeeded, total } = itemProgress(items);
  return trans._n(
    '%2 (%3 of %1 item)',
    '%2 (%3 of %1 items)',
    total,
    step.name,
    succeeded
  );
}

/**
 * A retrying step's wait: "Retrying in 40 s (attempt 3 of 4)", the attempt it makes next of
 * the `allowed` attempts ("(attempt 3)" when that number is not known).
 */
export function retryText(
  step: IStepRun,
  allowed: number | null,
  now: Date
): string {
  const next = (latestAttempt(step)?.number ?? 0) + 1;
  const attempt = allowed
    ? trans.__('attempt %1 of %2', next, allowed)
    : trans.__('attempt %1', next);
  if (!step.next_attempt_at) {
    return trans.__('Retrying soon (%1)', attempt);
  }
  const seconds = secondsUntil(step.next_attempt_at, now);
  return seconds > 0
    ? trans.__('Retrying in %1 (%2)', formatWholeSeconds(seconds), attempt)
    : trans.__('Retrying now (%1)', attempt);
}

/** "cell 3 of 5 · 12 s": the code cell a notebook step runs, and for how long it has. */
export function cellProgressText(progress: ICellProgress, now: Date): string {
  const seconds = now.getTime() / 1000 - progress.started_at;
  return trans.__(
    'cell %1 of %2 · %3',
    progress.cell,
    progress.cells,
    formatWholeSeconds(seconds)
  );
}

/** How many lines of a running step's output the run detail shows. */
export const OUTPUT_TAIL_LINES = 5;

/**
 * The last `max` lines a step printed (stdout and stderr, without colour codes), from its
 * lines of the run log at or after `since` (its current attempt's start: not an earlier
 * attempt's). Read from the end, stopping once it has them.
 */
export function outputTail(
  lines: readonly ILogLine[],
  step: string,
  since: string | null,
  max = OUTPUT_TAIL_LINES
): string[] {
  const from = since ? Date.parse(since) : NaN;
  const tail: string[] = [];
  for (let i = lines.length - 1; i >= 0 && tail.length < max; i--) {
    const line = lines[i];
    if (
      line.step !== step ||
      !OUTPUT_STREAMS.has(line.stream) ||
      (line.ts !== null && Date.parse(line.ts) < from)
    ) {
      continue;
    }
    // A line of the log is what one write printed: it may hold several lines, or none.
    const printed = stripAnsi(line.message)
      .split('\n')
      .filter(text => text.trim() !== '');
    tail.unshift(...printed.slice(-(max - tail.length)));
  }
  return tail;
}

const OUTPUT_STREAMS: ReadonlySet<string> = new Set(['stdout', 'stderr']);

/**
 * How many attempts each step of a stored definition may make: its `retries` (else the
 * definition's `defaults.retries`, else none) plus the first.
 */
export function allowedAttempts(definition: unknown): Record<string, number> {
  const data = (definition ?? {}) as {
    steps?: unknown;
    defaults?: { retries?: unknown } | null;
  };
  const fallback = retriesOf(data.defaults?.retries) ?? 0;
  const allowed: Record<string, number> = {};
  for (const step of Array.isArray(data.steps) ? data.steps : []) {
    const { name, retries } = (step ?? {}) as {
      name?: unknown;
      retries?: unknown;
    };
    if (typeof name === 'string') {
      allowed[name] = (retriesOf(retries) ?? fallback) + 1;
    }
  }
  return allowed;
}

function retriesOf(value: unknown): number | null {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0
    ? value
    : null;
}
