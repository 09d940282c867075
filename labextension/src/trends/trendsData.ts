/**
 * A pipeline's trends as the trends page shows them: its last finished runs, oldest first, each
 * with the time its steps took stacked (and each step's share of it); and the figures of the
 * stats route (`GET /orch/pipelines/{name}/stats`) per step, the slowest one marked. Pure:
 * unit-tested.
 */
import {
  formatBytes,
  formatDuration,
  localTime,
  runLabel,
  statusKind,
  statusLabel
} from '../common/format';
import { trans } from '../common/i18n';
import {
  groupSteps,
  IStepGroup,
  itemParentName,
  realSteps
} from '../run/forEach';
import { attemptSeconds } from '../run/runView';
import {
  FINISHED_RUN_STATUSES,
  IRun,
  IStepRun,
  RunStatus,
  StepStatus
} from '../api/tokens';

/** How long, how much memory and how often it failed (jupyter_orch/stats.py). */
export interface ISpread {
  duration_s: { median: number | null; p95: number | null };
  peak_memory_bytes: { median: number | null; max: number | null };
  /** Failed or timed out / ended (0 to 1); null when none ended. */
  failure_rate: number | null;
}

export interface IStepFigures extends ISpread {
  name: string;
  /** The runs in which it has a measured duration. */
  count: number;
}

/** The figures of some finished runs ("RunFigures" in the OpenAPI document). */
export interface IRunFigures extends ISpread {
  runs: number;
  from: string | null;
  to: string | null;
  slowest_step: string | null;
  steps: IStepFigures[];
}

/** `GET /orch/pipelines/{name}/stats?last=N` ("PipelineStats"): the last N finished runs, and
 * the N before them (`previous`), for the trend. */
export interface IPipelineStats extends IRunFigures {
  pipeline: string;
  last: number;
  previous: IRunFigures;
}

/** One step's part of one run's bar. */
export interface IStepSegment {
  step: string;
  /** The time its attempts took (retries included); 0 when it did not run. */
  seconds: number;
  /** The seconds of the steps stacked below it. */
  offset: number;
  /** Its part of the run's step time (0 to 1). */
  share: number;
  /** null: the run has no such step (the pipeline changed since). */
  status: StepStatus | null;
  /** The largest peak memory of its attempts, when measured. */
  peakBytes: number | null;
}

/** One finished run as the duration chart draws it. */
export interface IRunTrend {
  id: string;
  /** `#12`, as the run list names it. */
  label: string;
  createdAt: string | null;
  status: RunStatus;
  /** Failed or timed out (a cancelled run did not fail). */
  failed: boolean;
  /** The run's own duration, start to end. */
  seconds: number | null;
  /** The time of its steps together (more than `seconds` when steps ran side by side). */
  stepSeconds: number;
  /** One per step of the page, in its order. */
  segments: IStepSegment[];
}

/** One step's row: the stats route's figures, its share of the step time, and whether it is
 * the slowest (by median duration, as the server says). */
export interface IStepRow extends IStepFigures {
  slowest: boolean;
  /** Its part of all the step time of the runs shown (0 to 1); null when none was timed. */
  share: number | null;
}

/** The time a step's attempts took, retries included (as the server counts it). */
export function stepSeconds(step: IStepRun): number {
  return step.attempts.reduce((sum, a) => sum + (attemptSeconds(a) ?? 0), 0);
}

/** The largest peak memory of a step's attempts; null when none was measured. */
export function stepPeak(step: IStepRun): number | null {
  const peaks = step.attempts.flatMap(a =>
    a.resources ? [a.resources.peak_memory_bytes] : []
  );
  return peaks.length ? Math.max(...peaks) : null;
}

/** The steps the page shows, in the server's order, then any only the runs name; a for-each
 * step's items are part of their step's segment, no steps of their own. */
export function stepOrder(
  stats: Pick<IRunFigures, 'steps'> | null,
  runs: readonly Pick<IRun, 'steps'>[]
): string[] {
  const names = new Set(
    (stats?.steps ?? [])
      .map(s => s.name)
      .filter(name => itemParentName(name) === null)
  );
  for (const run of runs) {
    for (const step of realSteps(run.steps)) {
      names.add(step.name);
    }
  }
  return [...names];
}

/**
 * A step's time: its attempts'; a for-each step's, from its first item's start to its last
 * one's end (its items run side by side), as the server's stats count it.
 */
export function groupSeconds({ step, items }: IStepGroup): number {
  const attempts = items.flatMap(item => item.attempts);
  if (step.attempts.length > 0 || attempts.length === 0) {
    return stepSeconds(step);
  }
  const times = (key: 'started_at' | 'ended_at') =>
    attempts.map(a => Date.parse(a[key] ?? '')).filter(t => !isNaN(t));
  const starts = times('started_at');
  const ends = times('ended_at');
  return starts.length && ends.length
    ? Math.max(0, (Math.max(...ends) - Math.min(...starts)) / 1000)
    : 0;
}

/** A step with its items' attempts as its own: a for-each step's peak memory is its items'. */
function withItemAttempts({ step, items }: IStepGroup): IStepRun {
  return { ...step, attempts: [step, ...items].flatMap(s => s.attempts) };
}

/** A finished run as a bar of stacked steps (`steps`: the page's order). */
export function runTrend(run: IRun, steps: readonly string[]): IRunTrend {
  const groups = new Map(groupSteps(run.steps).map(g => [g.step.name, g]));
  const byName = new Map(
    [...groups].map(([name, g]) => [name, withItemAttempts(g)])
  );
  const times = steps.map(name => {
    const group = groups.get(name);
    return group ? groupSeconds(group) : 0;
  });
  const total = times.reduce((sum, t) => sum + t, 0);
  let offset = 0;
  const segments = steps.map((name, i) => {
    const step = byName.get(name);
    const segment: IStepSegment = {
      step: name,
      seconds: times[i],
      offset,
      share: total > 0 ? times[i] / total : 0,
      status: step?.status ?? null,
      peakBytes: step ? stepPeak(step) : null
    };
    offset += times[i];
    return segment;
  });
  return {
    id: run.id,
    label: runLabel(run),
    createdAt: run.created_at,
    status: run.status,
    failed: statusKind(run.status) === 'bad',
    seconds: run.duration_s,
    stepSeconds: total,
    segments
  };
}

/** The `last` newest finished runs of `runs` (newest first, as the server lists them), as bars
 * oldest first: time goes left to right. */
export function runTrends(
  runs: readonly IRun[],
  steps: readonly string[],
  last: number
): IRunTrend[] {
  return runs
    .filter(r => FINISHED_RUN_STATUSES.has(r.status))
    .slice(0, last)
    .reverse()
    .map(r => runTrend(r, steps));
}

/** The step rows: the server's figures per step, each one's share of the step time over
 * `trends`, the slowest marked. */
export function stepRows(
  stats: Pick<IRunFigures, 'steps' | 'slowest_step'>,
  trends: readonly IRunTrend[]
): IStepRow[] {
  const spent = new Map<string, number>();
  let total = 0;
  for (const run of trends) {
    for (const segment of run.segments) {
      spent.set(segment.step, (spent.get(segment.step) ?? 0) + segment.seconds);
      total += segment.seconds;
    }
  }
  return stats.steps.map(step => ({
    ...step,
    slowest: step.name === stats.slowest_step,
    share: total > 0 ? (spent.get(step.name) ?? 0) / total : null
  }));
}

/** 0.2 -> "20%", 0.125 -> "12.5%", null -> "–". */
export function percent(rate: number | null | undefined): string {
  if (rate === null || rate === undefined || !isFinite(rate)) {
    return '–';
  }
  return `${Math.round(rate * 1000) / 10}%`;
}

/** "2 of 10 runs failed": the failed runs among those that ended (cancelled ones do not
 * count), as the failure rate counts them. */
export function failureCount(trends: readonly IRunTrend[]): string {
  const ended = trends.filter(t => t.status !== 'cancelled');
  const failed = ended.filter(t => t.failed).length;
  return trans._n(
    '%2 of %1 run failed',
    '%2 of %1 runs failed',
    ended.length,
    failed
  );
}

/** How a figure was over the runs before: "before: 1.2 s"; '' when they had none. */
export function before(
  previous: IRunFigures,
  value: number | null,
  format: (value: number) => string
): string {
  return previous.runs > 0 && value !== null
    ? trans.__('before: %1', format(value))
    : '';
}

/** A step's part of a run in words: "0.5 s (15%)", "did not run", "not in this run". */
export function segmentTime(segment: IStepSegment): string {
  if (segment.status === null) {
    return trans.__('not in this run');
  }
  if (segment.seconds === 0) {
    return trans.__('did not run');
  }
  return `${formatDuration(segment.seconds)} (${percent(segment.share)})`;
}

/** A run's bar in words: "Run #12, failed, 3.2 s: extract 0.5 s (15%), transform ...". */
export function runText(run: IRunTrend): string {
  const head = run.createdAt
    ? trans.__('Run %1 on %2', run.label, localTime(run.createdAt))
    : trans.__('Run %1', run.label);
  const status = statusLabel(run.status).toLowerCase();
  const took = run.seconds === null ? '' : `, ${formatDuration(run.seconds)}`;
  const steps = run.segments
    .map(s => `${s.step}: ${segmentTime(s)}`)
    .join('; ');
  return `${head}, ${status}${took}: ${steps}`;
}

/** The duration chart in words, for screen readers (and anyone): its span, the median and
 * p95, the slowest step and the failures. */
export function durationSummary(
  stats: IPipelineStats,
  trends: readonly IRunTrend[]
): string {
  const { median, p95 } = stats.duration_s;
  const rows = stepRows(stats, trends);
  const slowest = rows.find(r => r.slowest);
  const parts = [
    trends.length
      ? trans._n(
          '%1 finished run from %2 to %3',
          '%1 finished runs from %2 to %3',
          trends.length,
          localTime(trends[0].createdAt),
          localTime(trends[trends.length - 1].createdAt)
        )
      : trans._n('%1 finished run', '%1 finished runs', trends.length),
    trans.__(
      'median duration %1, p95 %2',
      formatDuration(median),
      formatDuration(p95)
    ),
    slowest
      ? trans.__(
          'slowest step %1 (median %2, %3 of the step time)',
          slowest.name,
          formatDuration(slowest.duration_s.median),
          percent(slowest.share)
        )
      : '',
    failureCount(trends)
  ];
  return `${parts.filter(Boolean).join('; ')}.`;
}

/** The memory chart in words: each step's median and largest peak. */
export function memorySummary(rows: readonly IStepRow[]): string {
  const measured = rows.filter(r => r.peak_memory_bytes.max !== null);
  if (!measured.length) {
    return trans.__('No step’s memory was measured.');
  }
  return `${measured
    .map(r =>
      trans.__(
        '%1: median peak %2, largest %3',
        r.name,
        formatBytes(r.peak_memory_bytes.median),
        formatBytes(r.peak_memory_bytes.max)
      )
    )
    .join('; ')}.`;
}
