import { describe, expect, it } from 'vitest';

import {
  allowedAttempts,
  cellProgressText,
  countdown,
  IDLE_INTERVAL,
  LIVE_INTERVAL,
  outputTail,
  pollInterval,
  retryText,
  runProgress
} from '../src/run/liveProgress';
import type { ILogLine, IStepRun } from '../src/api/tokens';
import { makeAttempt, makeRun, makeStep } from './fixtures';

const NOW = new Date('2026-11-26T12:00:00Z');
/** An ISO time `seconds` after NOW (before it when negative). */
const at = (seconds: number) =>
  new Date(NOW.getTime() + seconds * 1000).toISOString();

/** Five steps in a chain, the first `done` succeeded and the next in `status`. */
function chain(done: number, status: IStepRun['status']): IStepRun[] {
  return ['extract', 'clean', 'transform', 'load', 'report'].map((name, i) =>
    makeStep(name, i < done ? 'succeeded' : i === done ? status : 'pending')
  );
}

function waiting(attempts: number, nextIn: number): IStepRun {
  const failed = Array.from({ length: attempts }, (_, i) =>
    makeAttempt(i + 1, { status: 'failed' })
  );
  return {
    ...makeStep('transform', 'retrying', failed),
    next_attempt_at: at(nextIn)
  };
}

describe('pollInterval', () => {
  it('polls live while a listed run is queued or running, slowly when all are finished', () => {
    expect(LIVE_INTERVAL).toBeLessThanOrEqual(1000);
    expect(pollInterval([{ status: 'queued' }])).toBe(LIVE_INTERVAL);
    expect(pollInterval([{ status: 'succeeded' }, { status: 'running' }])).toBe(
      LIVE_INTERVAL
    );
    expect(
      pollInterval([{ status: 'succeeded' }, { status: 'cancelled' }])
    ).toBe(IDLE_INTERVAL);
    expect(pollInterval([])).toBe(IDLE_INTERVAL);
  });

  it('polls live for another reason the caller knows (a watched run off the page)', () => {
    expect(pollInterval([{ status: 'failed' }], true)).toBe(LIVE_INTERVAL);
  });
});

describe('runProgress', () => {
  it("says which step of how many runs, and the running one's name", () => {
    expect(runProgress(makeRun({ steps: chain(2, 'running') }), NOW)).toBe(
      'step 3/5: transform'
    );
  });

  it('counts the others running beside it', () => {
    const steps = chain(2, 'running');
    steps[3] = makeStep('load', 'running');
    expect(runProgress(makeRun({ steps }), NOW)).toBe(
      'step 3/5: transform +1 more'
    );
  });

  it('counts down to a retry when no step runs', () => {
    const steps = chain(2, 'retrying');
    steps[2] = waiting(1, 40);
    expect(runProgress(makeRun({ steps }), NOW)).toBe('retrying in 40 s');
    expect(
      runProgress(makeRun({ steps }), new Date(NOW.getTime() + 39_500))
    ).toBe('retrying in 1 s');
    expect(
      runProgress(makeRun({ steps }), new Date(NOW.getTime() + 41_000))
    ).toBe('retrying now');
  });

  it('says nothing of a queued or finished run, or one between steps', () => {
    const steps = chain(5, 'pending');
    expect(
      runProgress(makeRun({ status: 'succeeded', steps }), NOW)
    ).toBeNull();
    expect(
      runProgress(
        makeRun({ status: 'queued', steps: chain(0, 'pending') }),
        NOW
      )
    ).toBeNull();
    expect(
      runProgress(makeRun({ steps: chain(2, 'pending') }), NOW)
    ).toBeNull();
  });
});

describe('countdown and retryText', () => {
  it('counts whole seconds down, then minutes', () => {
    expect(countdown(at(40), NOW)).toBe('in 40 s');
    expect(countdown(at(0.2), NOW)).toBe('in 1 s');
    expect(countdown(at(3600), NOW)).toBe('in 1 h 00 min');
    expect(countdown(at(-5), NOW)).toBe('now');
  });

  it('names the attempt it makes next, of those allowed', () => {
    expect(retryText(waiting(2, 40), 4, NOW)).toBe(
      'Retrying in 40 s (attempt 3 of 4)'
    );
    expect(retryText(waiting(1, 125), null, NOW)).toBe(
      'Retrying in 2 min 05 s (attempt 2)'
    );
  });
});

describe('cellProgressText', () => {
  it('says the cell of how many, and for how long it has run', () => {
    const progress = {
      cell: 3,
      cells: 5,
      cell_index: 4,
      source: 'df = load()',
      started_at: NOW.getTime() / 1000 - 12.7
    };
    expect(cellProgressText(progress, NOW)).toBe('cell 3 of 5 · 12 s');
    // The server's clock a little ahead of the browser's: never a negative time
    expect(
      cellProgressText(
        { ...progress, started_at: NOW.getTime() / 1000 + 1 },
        NOW
      )
    ).toBe('cell 3 of 5 · 0 s');
  });
});

describe('outputTail', () => {
  let id = 0;
  const line = (
    message: string,
    step: string | null = 'transform',
    stream = 'stdout',
    ts = at(-1)
  ): ILogLine => ({ id: ++id, ts, step, stream, message });

  it("keeps the step's last five printed lines, of stdout and stderr", () => {
    const lines = [
      line('row 1\nrow 2\n'),
      line('row 3\n'),
      line('transform started', 'transform', 'orch'),
      line('other step', 'load'),
      line('\x1b[31mwarning\x1b[0m: slow\n', 'transform', 'stderr'),
      line('row 4\n\nrow 5\n'),
      line('row 6')
    ];
    expect(outputTail(lines, 'transform', null)).toEqual([
      'row 3',
      'warning: slow',
      'row 4',
      'row 5',
      'row 6'
    ]);
    expect(outputTail(lines, 'transform', null, 2)).toEqual(['row 5', 'row 6']);
  });

  it("leaves out an earlier attempt's output", () => {
    const lines = [
      line('first attempt', 'transform', 'stdout', at(-60)),
      line('second attempt', 'transform', 'stdout', at(-1))
    ];
    expect(outputTail(lines, 'transform', at(-10))).toEqual(['second attempt']);
    expect(outputTail(lines, 'load', null)).toEqual([]);
  });
});

describe('allowedAttempts', () => {
  it("is each step's retries, else the defaults', plus the first attempt", () => {
    expect(
      allowedAttempts({
        defaults: { retries: 2 },
        steps: [
          { name: 'a', notebook: 'a.ipynb' },
          { name: 'b', python: 'b.py:f', retries: 0 },
          { name: 'c', python: 'c.py:f', retries: 5 }
        ]
      })
    ).toEqual({ a: 3, b: 1, c: 6 });
    expect(allowedAttempts({ steps: [{ name: 'a' }] })).toEqual({ a: 1 });
    expect(allowedAttempts(null)).toEqual({});
  });
});
