import { describe, expect, it } from 'vitest';

import { OrchClient } from '../src/api/api';

import {
  durationSummary,
  failureCount,
  IPipelineStats,
  IRunFigures,
  memorySummary,
  percent,
  runText,
  runTrends,
  stepOrder,
  stepRows,
  stepSeconds
} from '../src/trends/trendsData';
import { TrendsModel } from '../src/trends/trendsModel';
import type {
  IAttempt,
  IPipelineSummary,
  IRun,
  IStepRun,
  RunStatus
} from '../src/api/tokens';
import { FakeServer } from './fakeServer';
import { makeRun } from './fixtures';

function attempt(
  seconds: number,
  peak: number | null = null,
  status: IAttempt['status'] = 'succeeded'
): IAttempt {
  return {
    number: 1,
    status,
    started_at: '2026-01-02T09:00:00Z',
    ended_at: '2026-01-02T09:00:05Z',
    duration_s: seconds,
    outputs: {},
    error: null,
    output_notebook: null,
    resources:
      peak === null ? null : { peak_memory_bytes: peak, cpu_seconds: 0.1 }
  };
}

function step(
  name: string,
  attempts: IAttempt[],
  status: IStepRun['status'] = 'succeeded'
): IStepRun {
  return { name, status, attempts, needs: [] };
}

/** Run #n: extract `e` seconds then transform `t` seconds (none: it did not run). */
function run(
  n: number,
  e: number,
  t: number | null,
  status: RunStatus = 'succeeded'
): IRun {
  return makeRun({
    id: `run-${n}`,
    number: n,
    status,
    created_at: `2026-01-0${n}T09:00:00Z`,
    duration_s: e + (t ?? 0) + 0.5,
    steps: [
      step('extract', [attempt(e, 1_000_000)]),
      t === null
        ? step('transform', [], 'upstream_failed')
        : step(
            'transform',
            [attempt(t, 3_000_000)],
            status === 'failed' ? 'failed' : 'succeeded'
          )
    ]
  });
}

function figures(overrides: Partial<IRunFigures> = {}): IRunFigures {
  return {
    runs: 0,
    from: null,
    to: null,
    duration_s: { median: null, p95: null },
    peak_memory_bytes: { median: null, max: null },
    failure_rate: null,
    slowest_step: null,
    steps: [],
    ...overrides
  };
}

function stats(overrides: Partial<IPipelineStats> = {}): IPipelineStats {
  const spread = (median: number, peak: number) => ({
    duration_s: { median, p95: median * 1.5 },
    peak_memory_bytes: { median: peak, max: peak },
    failure_rate: 0
  });
  return {
    ...figures({
      runs: 3,
      duration_s: { median: 4.5, p95: 6 },
      peak_memory_bytes: { median: 3_000_000, max: 3_000_000 },
      failure_rate: 1 / 3,
      slowest_step: 'transform',
      steps: [
        { name: 'extract', count: 3, ...spread(1, 1_000_000) },
        { name: 'transform', count: 2, ...spread(3, 3_000_000) }
      ]
    }),
    pipeline: 'daily',
    last: 30,
    previous: figures(),
    ...overrides
  };
}

// Newest first, as GET /orch/runs lists them: #4 is still running.
const RUNS = [
  makeRun({ id: 'run-4', number: 4, status: 'running' }),
  run(3, 1, 3),
  run(2, 2, null, 'failed'),
  run(1, 1, 1)
];

describe('stepSeconds', () => {
  it('adds up the attempts, retries included', () => {
    expect(
      stepSeconds(step('s', [attempt(2), attempt(3, null, 'failed')]))
    ).toBe(5);
    expect(stepSeconds(step('s', []))).toBe(0);
  });
});

describe('stepOrder', () => {
  it('keeps the server’s order, then adds steps only the runs name', () => {
    const older = makeRun({ steps: [step('load', [])] });
    expect(stepOrder(stats(), [RUNS[1], older])).toEqual([
      'extract',
      'transform',
      'load'
    ]);
  });
});

describe('runTrends', () => {
  const trends = runTrends(RUNS, ['extract', 'transform'], 30);

  it('keeps the finished runs, oldest first', () => {
    expect(trends.map(t => t.label)).toEqual(['#1', '#2', '#3']);
    expect(trends.map(t => t.failed)).toEqual([false, true, false]);
    expect(trends[2].seconds).toBe(4.5);
  });

  it('stacks the steps in order, each with its share of the step time', () => {
    const [extract, transform] = trends[2].segments;
    expect(extract).toMatchObject({
      step: 'extract',
      seconds: 1,
      offset: 0,
      share: 0.25,
      peakBytes: 1_000_000
    });
    expect(transform).toMatchObject({
      step: 'transform',
      seconds: 3,
      offset: 1,
      share: 0.75,
      peakBytes: 3_000_000
    });
    expect(trends[2].stepSeconds).toBe(4);
  });

  it('gives a step that did not run no time, and one the run lacks no status', () => {
    const [extract, transform] = trends[1].segments;
    expect(extract.share).toBe(1);
    expect(transform).toMatchObject({
      seconds: 0,
      share: 0,
      status: 'upstream_failed',
      peakBytes: null
    });
    const [, missing] = runTrends([RUNS[1]], ['extract', 'gone'], 30)[0]
      .segments;
    expect(missing.status).toBeNull();
  });

  it('shows only the last ones', () => {
    expect(runTrends(RUNS, ['extract'], 2).map(t => t.label)).toEqual([
      '#2',
      '#3'
    ]);
  });

  it('reads a run in words', () => {
    expect(runText(trends[1])).toMatch(
      /^Run #2 on 2026-01-02 \d\d:00:00, failed, 2\.5 s: extract: 2\.0 s \(100%\); transform: did not run$/
    );
  });
});

describe('stepRows', () => {
  const trends = runTrends(RUNS, ['extract', 'transform'], 30);

  it('marks the slowest step the server names, with each step’s share', () => {
    const rows = stepRows(stats(), trends);
    expect(rows.map(r => [r.name, r.slowest, r.share])).toEqual([
      ['extract', false, 0.5],
      ['transform', true, 0.5]
    ]);
  });

  it('marks none when the server names none', () => {
    const rows = stepRows(stats({ slowest_step: null }), []);
    expect(rows.some(r => r.slowest)).toBe(false);
    expect(rows[0].share).toBeNull();
  });
});

describe('the figures in words', () => {
  const trends = runTrends(RUNS, ['extract', 'transform'], 30);

  it('says rates as percentages', () => {
    expect(percent(0.2)).toBe('20%');
    expect(percent(1 / 3)).toBe('33.3%');
    expect(percent(null)).toBe('–');
  });

  it('counts failures among the runs that ended, not the cancelled ones', () => {
    expect(failureCount(trends)).toBe('1 of 3 runs failed');
    const cancelled = runTrends(
      [run(5, 1, 1, 'cancelled'), run(6, 1, 1)],
      ['extract'],
      30
    );
    expect(failureCount(cancelled)).toBe('0 of 1 run failed');
  });

  it('summarises the duration chart and the memory chart', () => {
    const text = durationSummary(stats(), trends);
    expect(text).toContain('3 finished runs from 2026-01-01');
    expect(text).toContain('median duration 4.5 s, p95 6.0 s');
    expect(text).toContain(
      'slowest step transform (median 3.0 s, 50% of the step time)'
    );
    expect(text).toContain('1 of 3 runs failed.');
    expect(memorySummary(stepRows(stats(), trends))).toBe(
      'extract: median peak 1.0 MB, largest 1.0 MB; transform: median peak 3.0 MB, largest 3.0 MB.'
    );
  });
});

describe('TrendsModel', () => {
  function serve(status = 200): FakeServer {
    return new FakeServer()
      .on('GET', /^orch\/pipelines\/daily\/stats\?last=30$/, () =>
        status === 200
          ? { status, body: stats() }
          : { status, body: { error: 'no pipeline named daily' } }
      )
      .on('GET', /^orch\/runs\?pipeline=daily&limit=50$/, () => ({
        status: 200,
        body: { runs: RUNS, next_cursor: null }
      }));
  }

  function summary(changes: Partial<IPipelineSummary>): IPipelineSummary {
    return {
      name: 'daily',
      last_run_at: '2026-01-03T09:00:00Z',
      last_status: 'succeeded',
      ...changes
    } as IPipelineSummary;
  }

  it('reads the figures and the finished runs', async () => {
    const model = new TrendsModel(new OrchClient(serve().transport), 'daily');
    let changes = 0;
    model.changed.connect(() => changes++);
    await model.refresh();
    expect(model.error).toBeNull();
    expect(model.loading).toBe(false);
    expect(model.stats?.slowest_step).toBe('transform');
    expect(model.steps).toEqual(['extract', 'transform']);
    expect(model.runs.map(r => r.label)).toEqual(['#1', '#2', '#3']);
    expect(model.stepRows.find(r => r.slowest)?.name).toBe('transform');
    expect(changes).toBe(2); // loading, then loaded
    model.dispose();
  });

  it('says why it could not read them', async () => {
    const model = new TrendsModel(
      new OrchClient(serve(404).transport),
      'daily'
    );
    await model.refresh();
    expect(model.error).toBe('no pipeline named daily');
    expect(model.stats).toBeNull();
    model.dispose();
  });

  it('reads them again when the pipeline’s last run has finished', async () => {
    const server = serve();
    const model = new TrendsModel(new OrchClient(server.transport), 'daily');
    const reads = () =>
      server.requests.filter(r => r.path.includes('/stats')).length;
    model.noticePipelines([summary({ last_status: 'running' })]);
    model.noticePipelines([summary({ last_status: 'running' })]);
    expect(reads()).toBe(0);
    model.noticePipelines([summary({ last_status: 'failed' })]);
    await Promise.resolve();
    expect(reads()).toBe(1);
    model.noticePipelines([summary({ last_status: 'failed' })]);
    model.noticePipelines([summary({ name: 'other', last_status: 'queued' })]);
    expect(reads()).toBe(1);
    model.dispose();
  });
});
