import { describe, expect, it } from 'vitest';

import { differenceCounts } from '../src/compare/compareData';
import {
  groupSteps,
  itemParentName,
  itemProgress,
  itemsOpenByDefault,
  itemsStatus,
  itemValueText,
  progressText,
  progressWords,
  realSteps
} from '../src/run/forEach';
import { runProgress } from '../src/run/liveProgress';
import { dagInput, failedSteps } from '../src/run/runView';
import { groupSeconds, runTrend, stepOrder } from '../src/trends/trendsData';
import type { IRunComparison } from '../src/api/compare';
import type { IStepRun, JSONValue, StepStatus } from '../src/api/tokens';
import { makeAttempt, makeRun, makeStep } from './fixtures';

/** An item of `parent`, as the server lists it: right after its step, needing nothing. */
function item(
  parent: string,
  index: number,
  value: JSONValue,
  status: StepStatus,
  changes: Partial<IStepRun> = {}
): IStepRun {
  return {
    ...makeStep(`${parent}[${index}]`, status),
    parent,
    item_index: index,
    item: value,
    ...changes
  };
}

const NOW = new Date('2026-01-02T09:01:00Z');
const ERROR = { ename: 'ValueError', evalue: 'no data for apac' };

/** regions -> report (for each region: emea succeeded, apac failed, amer succeeded) -> combine. */
function regionsRun(): IStepRun[] {
  return [
    makeStep('regions', 'succeeded', [makeAttempt(1)]),
    makeStep('report', 'failed', [], ['regions']),
    item('report', 0, 'emea', 'succeeded', {
      attempts: [makeAttempt(1, { output_notebook_name: 'report[0].ipynb' })]
    }),
    item('report', 1, 'apac', 'failed', {
      attempts: [
        makeAttempt(1, {
          status: 'failed',
          error: ERROR,
          output_notebook: null,
          output_notebook_name: 'report[1].ipynb'
        })
      ]
    }),
    item('report', 2, 'amer', 'succeeded', { attempts: [makeAttempt(1)] }),
    makeStep('combine', 'upstream_failed', [], ['report'])
  ];
}

describe('groupSteps', () => {
  it('puts each item under its step, in item order, and keeps the steps in pipeline order', () => {
    const steps = regionsRun();
    // Out of order, as a resumed run could list them
    [steps[2], steps[4]] = [steps[4], steps[2]];
    const groups = groupSteps(steps);
    expect(groups.map(g => g.step.name)).toEqual([
      'regions',
      'report',
      'combine'
    ]);
    expect(groups[1].items.map(i => i.name)).toEqual([
      'report[0]',
      'report[1]',
      'report[2]'
    ]);
    expect(groups[0].items).toEqual([]);
    expect(realSteps(steps).map(s => s.name)).toEqual([
      'regions',
      'report',
      'combine'
    ]);
  });

  it('reads a pending for-each step whose items have begun as running', () => {
    const steps = [
      makeStep('report', 'pending'),
      item('report', 0, 'emea', 'running'),
      item('report', 1, 'apac', 'pending')
    ];
    expect(groupSteps(steps)[0].step.status).toBe('running');
    expect(steps[0].status).toBe('pending');
    expect(itemsStatus({ status: 'pending' }, [{ status: 'pending' }])).toBe(
      'pending'
    );
    expect(itemsStatus({ status: 'failed' }, [{ status: 'failed' }])).toBe(
      'failed'
    );
  });

  it('keeps an item whose step is not listed as a step of its own', () => {
    const groups = groupSteps([item('gone', 0, 1, 'succeeded')]);
    expect(groups.map(g => [g.step.name, g.items.length])).toEqual([
      ['gone[0]', 0]
    ]);
  });
});

describe('itemProgress', () => {
  it('counts the items that succeeded, failed and run', () => {
    const items: Pick<IStepRun, 'status'>[] = [
      { status: 'succeeded' },
      { status: 'failed' },
      { status: 'timed_out' },
      { status: 'running' },
      { status: 'retrying' },
      { status: 'pending' }
    ];
    const progress = itemProgress(items);
    expect(progress).toEqual({
      total: 6,
      succeeded: 1,
      failed: 2,
      running: 2
    });
    expect(progressText(progress)).toBe('1/6');
    expect(progressWords(progress)).toBe(
      '1 of 6 items succeeded, 2 failed, 2 running'
    );
    expect(progressWords(itemProgress([{ status: 'succeeded' }]))).toBe(
      '1 of 1 item succeeded'
    );
  });

  it('reads 0/0 before any item exists', () => {
    expect(progressText(itemProgress([]))).toBe('0/0');
  });
});

describe('itemsOpenByDefault', () => {
  const many = (status: StepStatus) =>
    Array.from({ length: 6 }, () => ({ status }));

  it('shows a few items, hides many, and shows many once one failed', () => {
    expect(itemsOpenByDefault(many('succeeded').slice(0, 5))).toBe(true);
    expect(itemsOpenByDefault(many('succeeded'))).toBe(false);
    expect(
      itemsOpenByDefault([...many('running'), { status: 'timed_out' }])
    ).toBe(true);
  });
});

describe('itemValueText and itemParentName', () => {
  it('shows a string as it is and anything else as compact JSON, shortened', () => {
    expect(itemValueText('emea')).toBe('emea');
    expect(itemValueText({ region: 'emea', year: 2026 })).toBe(
      '{"region":"emea","year":2026}'
    );
    expect(itemValueText(7)).toBe('7');
    expect(itemValueText('x'.repeat(50))).toBe(`${'x'.repeat(39)}…`);
  });

  it('tells an item by its name', () => {
    expect(itemParentName('report[12]')).toBe('report');
    expect(itemParentName('report')).toBeNull();
  });
});

describe('a run with a for-each step', () => {
  it('draws the step as one DAG node with its progress, the edges naming steps only', () => {
    const dag = dagInput({ steps: regionsRun() }, { report: 'notebook' });
    expect(dag.nodes.map(n => n.id)).toEqual(['regions', 'report', 'combine']);
    expect(dag.nodes[1]).toEqual({
      id: 'report',
      status: 'failed',
      kind: 'notebook',
      progress: { total: 3, succeeded: 2, failed: 1, running: 0 }
    });
    expect(dag.nodes[0].progress).toBeUndefined();
    expect(dag.needs).toEqual({
      regions: [],
      report: ['regions'],
      combine: ['report']
    });
  });

  it('names the failed item in the failure banner, with its value, error and notebook', () => {
    expect(failedSteps(makeRun({ id: 'r1', steps: regionsRun() }))).toEqual([
      {
        step: 'report[1]',
        item: 'apac',
        error: ERROR,
        notebook: 'OrchRuns:r1/report[1].ipynb'
      }
    ]);
  });

  it('lists a for-each step whose list could not be resolved as the step', () => {
    const refused = makeStep('report', 'failed', [
      makeAttempt(1, {
        status: 'failed',
        error: { ename: 'TemplateError', evalue: 'for_each: gives str' },
        output_notebook: null
      })
    ]);
    expect(failedSteps(makeRun({ steps: [refused] }))).toEqual([
      {
        step: 'report',
        error: { ename: 'TemplateError', evalue: 'for_each: gives str' },
        notebook: null
      }
    ]);
  });

  it("counts steps, not items, in a run row's progress", () => {
    const steps = [
      makeStep('regions', 'succeeded'),
      // As the server has it while the items run
      makeStep('report', 'pending', [], ['regions']),
      item('report', 0, 'emea', 'succeeded'),
      item('report', 1, 'apac', 'running'),
      item('report', 2, 'amer', 'pending'),
      makeStep('combine', 'pending', [], ['report'])
    ];
    expect(runProgress(makeRun({ steps }), NOW)).toBe(
      'step 2/3: report (1 of 3 items)'
    );
  });

  it("gives a for-each step its items' time in the trends, and lists no item as a step", () => {
    const run = makeRun({ status: 'failed', steps: regionsRun() });
    const names = stepOrder(
      {
        steps: [
          { name: 'regions' },
          { name: 'report' },
          { name: 'report[0]' }
        ] as never
      },
      [run]
    );
    expect(names).toEqual(['regions', 'report', 'combine']);
    const trend = runTrend(run, names);
    // Each attempt of the fixtures took 5 s, the items side by side: 5 s
    expect(trend.segments.map(s => [s.step, s.seconds, s.status])).toEqual([
      ['regions', 5, 'succeeded'],
      ['report', 5, 'failed'],
      ['combine', 0, 'upstream_failed']
    ]);
  });

  it("times a for-each step from its first item's start to its last one's end", () => {
    const at = (start: string, end: string) =>
      makeAttempt(1, {
        started_at: `2026-01-02T09:00:${start}Z`,
        ended_at: `2026-01-02T09:00:${end}Z`
      });
    const items = [
      item('report', 0, 'emea', 'succeeded', { attempts: [at('00', '04')] }),
      item('report', 1, 'apac', 'succeeded', { attempts: [at('02', '09')] })
    ];
    expect(groupSeconds({ step: makeStep('report', 'succeeded'), items })).toBe(
      9
    );
    expect(
      groupSeconds({ step: makeStep('report', 'skipped'), items: [] })
    ).toBe(0);
  });

  it('counts the items that differ between two runs apart from the steps', () => {
    const compared = (name: string, a: StepStatus, b: StepStatus) => ({
      name,
      a: { status: a, outputs: {} },
      b: { status: b, outputs: {} },
      changed_outputs: [],
      notebooks: false
    });
    const comparison = {
      parameters: [],
      version: { a: 1, b: 1, same: true },
      steps: [
        compared('report', 'failed', 'succeeded'),
        compared('report[0]', 'succeeded', 'succeeded'),
        compared('report[1]', 'failed', 'succeeded')
      ]
    } as unknown as IRunComparison;
    expect(differenceCounts(comparison)).toEqual({
      parameters: 0,
      steps: 1,
      items: 1,
      version: false
    });
  });
});
