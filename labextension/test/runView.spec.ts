import { describe, expect, it } from 'vitest';

import {
  attemptSeconds,
  attemptsLatestFirst,
  dagInput,
  errorCell,
  errorTitle,
  failedSteps,
  formatLogLine,
  latestAttempt,
  logParts,
  runActions,
  runSeconds,
  stepCardId,
  stepNote,
  stripAnsi,
  tracebackText,
  valueEntries
} from '../src/run/runView';
import type { IRun, IStepRun, RunStatus } from '../src/api/tokens';
import { clip, formatValue } from '../src/common/format';
import { makeAttempt as attempt, makeRun, makeStep as step } from './fixtures';

function run(status: RunStatus, steps: IStepRun[]): IRun {
  return makeRun({ status, steps });
}

describe('stripAnsi', () => {
  it('removes colour codes from an IPython traceback', () => {
    const line =
      '\x1b[0;31mValueError\x1b[0m                                Traceback';
    expect(stripAnsi(line)).toBe(
      'ValueError                                Traceback'
    );
    expect(stripAnsi('\x1b[1;32mok\x1b[39;49m done')).toBe('ok done');
  });

  it('removes cursor moves and OSC titles and links but keeps plain text', () => {
    expect(stripAnsi('a\x1b[2Kb\x1b[1Ac')).toBe('abc');
    expect(stripAnsi('\x1b]0;title\x07text')).toBe('text');
    expect(stripAnsi('\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\')).toBe('link');
    expect(stripAnsi('[1] plain [brackets] stay')).toBe(
      '[1] plain [brackets] stay'
    );
  });
});

describe('runActions', () => {
  it('offers cancel only while queued or running', () => {
    expect(runActions(run('queued', [])).cancel).toBe(true);
    expect(runActions(run('running', [])).cancel).toBe(true);
    for (const status of ['succeeded', 'failed', 'timed_out', 'cancelled']) {
      expect(runActions(run(status as RunStatus, [])).cancel).toBe(false);
    }
  });

  it('offers rerun from failed step when a finished run has a step that did not succeed', () => {
    const failed = [step('a', 'succeeded'), step('b', 'failed')];
    expect(runActions(run('failed', failed)).rerunFromFailed).toBe(true);
    expect(
      runActions(run('timed_out', [step('a', 'timed_out')])).rerunFromFailed
    ).toBe(true);
    expect(
      runActions(run('cancelled', [step('a', 'cancelled')])).rerunFromFailed
    ).toBe(true);
    expect(
      runActions(run('failed', [step('a', 'upstream_failed')])).rerunFromFailed
    ).toBe(true);
  });

  it('does not offer rerun from failed step while running or after success', () => {
    const failed = [step('a', 'failed')];
    expect(runActions(run('running', failed)).rerunFromFailed).toBe(false);
    expect(
      runActions(run('succeeded', [step('a', 'succeeded')])).rerunFromFailed
    ).toBe(false);
    // A run that failed before any step failed (e.g. its parameters): nothing to resume.
    expect(
      runActions(run('failed', [step('a', 'succeeded'), step('b', 'skipped')]))
        .rerunFromFailed
    ).toBe(false);
  });

  it('always offers a plain rerun', () => {
    expect(runActions(run('succeeded', [])).rerun).toBe(true);
    expect(runActions(run('running', [])).rerun).toBe(true);
  });
});

describe('attempts', () => {
  it('puts the latest attempt first', () => {
    const s = step('a', 'failed', [attempt(1), attempt(3), attempt(2)]);
    expect(attemptsLatestFirst(s).map(a => a.number)).toEqual([3, 2, 1]);
    expect(latestAttempt(s)?.number).toBe(3);
    expect(s.attempts.map(a => a.number)).toEqual([1, 3, 2]);
    expect(latestAttempt(step('b', 'pending'))).toBeNull();
  });

  it('counts a running attempt on and keeps a finished one', () => {
    const now = new Date('2026-01-02T09:01:00Z');
    const running = attempt(1, {
      status: 'running',
      ended_at: null,
      duration_s: null
    });
    expect(attemptSeconds(running, now)).toBe(60);
    expect(attemptSeconds(attempt(2), now)).toBe(5);
  });
});

describe('failedSteps', () => {
  it('lists every failed step in pipeline order, with its latest error and notebook', () => {
    const error = { ename: 'ValueError', evalue: 'bad', exec_count: 4 };
    const r = run('failed', [
      step('load', 'succeeded', [attempt(1)]),
      step('totals', 'failed', [
        attempt(1, { status: 'failed', output_notebook: 'old.ipynb' }),
        attempt(2, {
          status: 'failed',
          output_notebook: 'totals-2.ipynb',
          error
        })
      ]),
      step('trends', 'timed_out', [
        attempt(1, { status: 'timed_out', output_notebook: 'trends.ipynb' })
      ]),
      step('report', 'upstream_failed')
    ]);
    expect(failedSteps(r)).toEqual([
      { step: 'totals', error, notebook: 'totals-2.ipynb' },
      { step: 'trends', error: null, notebook: 'trends.ipynb' }
    ]);
  });

  it('lists a step whose latest attempt failed (a retry is pending)', () => {
    const r = run('running', [
      step('load', 'succeeded', [attempt(1)]),
      step('flaky', 'retrying', [
        attempt(1, { status: 'failed', output_notebook: 'flaky-1.ipynb' })
      ]),
      step('late', 'failed', [attempt(1, { status: 'failed' })])
    ]);
    expect(failedSteps(r).map(f => [f.step, f.notebook])).toEqual([
      ['flaky', 'flaky-1.ipynb'],
      ['late', 'runs/r1/step_1.ipynb']
    ]);
  });

  it('lists nothing when nothing failed, and no notebook when none was written', () => {
    expect(
      failedSteps(run('succeeded', [step('a', 'succeeded', [attempt(1)])]))
    ).toEqual([]);
    const noNotebook = run('failed', [
      step('a', 'failed', [
        attempt(1, { status: 'failed', output_notebook: null })
      ])
    ]);
    expect(failedSteps(noNotebook)).toEqual([
      { step: 'a', error: null, notebook: null }
    ]);
  });
});

describe('errors', () => {
  const error = {
    ename: 'ValueError',
    evalue: 'no sales on 2024-04-01',
    traceback: ['\x1b[0;31mValueError\x1b[0m Traceback', 'line 2\n'],
    cell_index: 4
  };

  it('reads as ename: evalue', () => {
    expect(errorTitle(error)).toBe('ValueError: no sales on 2024-04-01');
    expect(errorTitle({ ename: 'DeadKernelError', evalue: '' })).toBe(
      'DeadKernelError'
    );
  });

  it('names the failing cell as the notebook shows it: In [n]', () => {
    expect(errorCell({ ...error, exec_count: 3 })).toBe('In [3]');
    expect(errorCell({ ...error, exec_count: 0 })).toBe('In [0]');
  });

  it('counts the cell from 1 when its execution count is not known', () => {
    expect(errorCell(error)).toBe('cell 5');
    expect(errorCell({ ...error, cell_index: 0, exec_count: null })).toBe(
      'cell 1'
    );
    expect(errorCell({ ...error, cell_index: null })).toBe('');
    expect(errorCell({ ename: 'X', evalue: 'y' })).toBe('');
  });

  it('joins the traceback without colour codes', () => {
    expect(tracebackText(error)).toBe('ValueError Traceback\nline 2');
    expect(tracebackText({ ename: 'X', evalue: 'y' })).toBe('');
  });
});

describe('values', () => {
  it('shows values as compact JSON sorted by name', () => {
    expect(
      valueEntries({ days: 7, report_date: '2024-03-31', to: ['a', 'b'] })
    ).toEqual([
      ['days', '7'],
      ['report_date', '"2024-03-31"'],
      ['to', '["a","b"]']
    ]);
    expect(valueEntries(null)).toEqual([]);
    expect(formatValue({ a: null })).toBe('{"a":null}');
  });

  it('clips long text with an ellipsis', () => {
    expect(clip('abcdef', 4)).toBe('abc…');
    expect(clip('abc', 4)).toBe('abc');
  });
});

describe('runSeconds', () => {
  const now = new Date('2026-01-02T09:02:00Z');
  it('counts on while the run is running, and is null before it starts', () => {
    const base = {
      started_at: '2026-01-02T09:00:00Z',
      ended_at: null,
      duration_s: null
    };
    expect(runSeconds({ ...base, status: 'running' }, now)).toBe(120);
    expect(
      runSeconds({ ...base, status: 'queued', started_at: null }, now)
    ).toBeNull();
    expect(
      runSeconds({ ...base, status: 'succeeded', duration_s: 42.5 }, now)
    ).toBe(42.5);
  });
});

describe('stepNote', () => {
  it('says why a step has no attempt', () => {
    expect(stepNote(step('r', 'pending', [], ['a', 'b']))).toBe(
      'Waiting for a, b'
    );
    expect(stepNote(step('r', 'upstream_failed'))).toMatch(/did not succeed/);
    expect(stepNote(step('r', 'skipped'))).toBe(
      'Skipped: its condition was not met'
    );
    expect(stepNote({ ...step('r', 'skipped'), for_each: true })).toBe(
      'Skipped: its for_each list had no items'
    );
    expect(stepNote(step('r', 'cancelled'))).toBe(
      'Cancelled before it started'
    );
    expect(stepNote(step('r', 'succeeded', [attempt(1)]))).toBeNull();
  });
});

describe('log lines', () => {
  it('formats HH:MM:SS [step] message in local time', () => {
    const ts = new Date(2026, 0, 2, 9, 5, 7).toISOString();
    expect(
      formatLogLine({
        id: 1,
        ts,
        step: 'load',
        stream: 'stdout',
        message: 'loaded 120 rows'
      })
    ).toBe('09:05:07 [load] loaded 120 rows');
    expect(
      formatLogLine({
        id: 1,
        ts,
        step: null,
        stream: 'orch',
        message: 'Pipeline started'
      })
    ).toBe('09:05:07 Pipeline started');
  });

  it('marks stderr lines as errors and strips colours', () => {
    const parts = logParts({
      id: 1,
      ts: null,
      step: 'load',
      stream: 'stderr',
      message: '\x1b[31mWarning\x1b[0m: slow'
    });
    expect(parts).toEqual({
      time: '',
      step: 'load',
      message: 'Warning: slow',
      isError: true
    });
    expect(
      logParts({ id: 2, ts: null, step: null, stream: 'stdout', message: 'x' })
        .isError
    ).toBe(false);
  });
});

describe('dagInput and card ids', () => {
  it('turns steps into DAG nodes with statuses and needs', () => {
    const r = run('running', [
      step('load', 'succeeded'),
      step('totals', 'running', [], ['load'])
    ]);
    expect(dagInput(r)).toEqual({
      nodes: [
        { id: 'load', status: 'succeeded' },
        { id: 'totals', status: 'running' }
      ],
      needs: { load: [], totals: ['load'] }
    });
  });

  it('makes a safe DOM id', () => {
    expect(stepCardId('abc-1', 'my step.v2')).toBe(
      'jp-OrchRunDetail-step-abc-1-my_step_v2'
    );
  });
});
