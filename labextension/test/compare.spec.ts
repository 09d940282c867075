import { describe, expect, it } from 'vitest';

import { OrchClient } from '../src/api/api';
import {
  compareRuns,
  compareStepNotebooks,
  IComparedRun,
  IRunComparison,
  IStepComparison,
  isExactReplay
} from '../src/api/compare';
import type { IRun } from '../src/api/tokens';
import {
  compareCandidates,
  comparePair,
  differenceCounts,
  durationDelta,
  isOlder,
  outputRows,
  parameterRows,
  sameJSON,
  stepDiffers
} from '../src/compare/compareData';
import { rerunItems } from '../src/run/rerunChoices';
import { RunClient, RunDetailModel } from '../src/run/runDetailModel';
import { FakeServer } from './fakeServer';
import { makeRun } from './fixtures';

function run(id: string, number: number | null, created: string): IRun {
  return makeRun({ id, number, created_at: created });
}

function side(id: string, number: number): IComparedRun {
  return {
    id,
    number,
    pipeline: 'daily',
    version: 3,
    status: 'succeeded',
    trigger: 'manual',
    started_at: '2026-12-01T09:00:00Z',
    ended_at: '2026-12-01T09:00:05Z',
    duration_seconds: 5,
    parameters: {},
    exact: false
  };
}

function step(changes: Partial<IStepComparison> = {}): IStepComparison {
  const attempt = {
    status: 'succeeded' as const,
    duration_seconds: 2,
    peak_memory_bytes: 1e6,
    outputs: { rows: 3, name: 'x' },
    output_notebook: 'runs/a/extract.ipynb'
  };
  return {
    name: 'extract',
    a: attempt,
    b: { ...attempt, outputs: { rows: 3, name: 'x' } },
    changed_outputs: [],
    notebooks: true,
    ...changes
  };
}

describe('sameJSON', () => {
  it('compares values deeply, object keys in any order', () => {
    expect(
      sameJSON({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 })
    ).toBe(true);
    expect(sameJSON([1, 2], [2, 1])).toBe(false);
    expect(sameJSON({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(sameJSON(null, undefined)).toBe(false);
    expect(sameJSON('1', 1)).toBe(false);
    expect(sameJSON([], {})).toBe(false);
  });
});

describe('which runs to compare', () => {
  const r40 = run('r40', 40, '2026-12-01T09:00:00Z');
  const r41 = run('r41', 41, '2026-12-02T09:00:00Z');
  const r42 = run('r42', 42, '2026-12-03T09:00:00Z');
  const r43 = run('r43', 43, '2026-12-04T09:00:00Z');

  it('orders runs by number, else by creation time', () => {
    expect(isOlder(r41, r42)).toBe(true);
    expect(isOlder(r42, r41)).toBe(false);
    const old = run('zz', null, '2026-01-01T00:00:00Z');
    const recent = run('aa', null, '2026-02-01T00:00:00Z');
    expect(isOlder(old, recent)).toBe(true);
    expect(comparePair(r42, r41)).toEqual({ a: 'r41', b: 'r42' });
    expect(comparePair(r41, r42)).toEqual({ a: 'r41', b: 'r42' });
  });

  it('offers the previous run first, then the others newest first, never the run itself', () => {
    const { previous, others } = compareCandidates(r42, [r43, r42, r41, r40]);
    expect(previous?.id).toBe('r41');
    expect(others.map(r => r.id)).toEqual(['r43', 'r40']);
  });

  it('has no previous run for the first run', () => {
    const { previous, others } = compareCandidates(r40, [r41, r40]);
    expect(previous).toBeNull();
    expect(others.map(r => r.id)).toEqual(['r41']);
    expect(compareCandidates(r40, [r40])).toEqual({
      previous: null,
      others: []
    });
  });
});

describe('what differs', () => {
  it('marks the parameters the server says differ', () => {
    const comparison = {
      parameters: [
        { name: 'n', a: 1, b: 2, same: false },
        { name: 'region', a: 'eu', b: 'eu', same: true },
        { name: 'extra', a: null, b: true, same: false }
      ]
    } as IRunComparison;
    expect(parameterRows(comparison)).toEqual([
      { name: 'n', a: 1, b: 2, changed: true },
      { name: 'region', a: 'eu', b: 'eu', changed: false },
      { name: 'extra', a: undefined, b: true, changed: true }
    ]);
  });

  it("lines up a step's outputs by name and marks the changed ones", () => {
    const changed = step({
      b: { ...step().b!, outputs: { rows: 4, name: 'x', more: [1] } },
      changed_outputs: ['rows']
    });
    expect(outputRows(changed)).toEqual([
      { name: 'more', a: undefined, b: [1], changed: true },
      { name: 'name', a: 'x', b: 'x', changed: false },
      { name: 'rows', a: 3, b: 4, changed: true }
    ]);
    expect(stepDiffers(changed)).toBe(true);
    expect(stepDiffers(step())).toBe(false);
  });

  it('counts a step missing from one run, or that ended otherwise, as different', () => {
    expect(stepDiffers(step({ b: null }))).toBe(true);
    expect(stepDiffers(step({ b: { ...step().b!, status: 'failed' } }))).toBe(
      true
    );
    expect(outputRows(step({ a: null }))).toEqual([
      { name: 'name', a: undefined, b: 'x', changed: true },
      { name: 'rows', a: undefined, b: 3, changed: true }
    ]);
  });

  it('sums up the differences', () => {
    const comparison: IRunComparison = {
      a: side('r41', 41),
      b: side('r42', 42),
      parameters: [{ name: 'n', a: 1, b: 2, same: false }],
      version: { a: 3, b: 5, same: false },
      steps: [step(), step({ name: 'load', b: null })]
    };
    expect(differenceCounts(comparison)).toEqual({
      parameters: 1,
      steps: 1,
      items: 0,
      version: true
    });
  });

  it('says how much longer or shorter run b took', () => {
    expect(durationDelta(2, 3.5)).toBe('+1.5 s');
    expect(durationDelta(130, 5)).toBe('−2 min 05 s');
    expect(durationDelta(2, 2.01)).toBe('');
    expect(durationDelta(null, 2)).toBe('');
  });
});

describe('rerun and replay', () => {
  it('offers rerun with current files and an exact replay, each from the failed step when that applies', () => {
    const calls: [boolean, boolean][] = [];
    const rerun = (fromFailed: boolean, exact: boolean) =>
      calls.push([fromFailed, exact]);
    const plain = rerunItems({ version: 4 }, false, rerun);
    expect(plain.map(i => i.key)).toEqual(['rerun', 'replay']);
    expect(plain[1].description).toContain('Version 4');
    const failed = rerunItems({ version: 4 }, true, rerun);
    expect(failed.map(i => i.label)).toEqual([
      'Rerun with current files',
      'Replay exactly',
      'Rerun from failed step with current files',
      'Replay exactly from failed step'
    ]);
    failed.forEach(item => item.onSelect());
    expect(calls).toEqual([
      [false, false],
      [false, true],
      [true, false],
      [true, true]
    ]);
  });

  it('passes exact on from the run detail model', async () => {
    const calls: unknown[][] = [];
    const client = {
      rerun: async (...args: unknown[]) => {
        calls.push(args);
        return makeRun({ id: 'r2' });
      }
    } as unknown as RunClient;
    const model = new RunDetailModel(client, 'r1');
    await model.rerun(true, true);
    await model.rerun(false);
    expect(calls).toEqual([
      ['r1', true, true],
      ['r1', false, false]
    ]);
    model.dispose();
  });

  it('reads whether a run replays its version exactly', () => {
    expect(isExactReplay(makeRun())).toBe(false);
    expect(isExactReplay({ ...makeRun(), exact: true } as IRun)).toBe(true);
  });

  it('sends exact with a rerun', async () => {
    const server = new FakeServer().on(
      'POST',
      /^orch\/runs\/r1\/rerun$/,
      () => ({
        status: 201,
        body: makeRun({ id: 'r2' })
      })
    );
    const client = new OrchClient(server.transport);
    await client.rerun('r1', true, true);
    await client.rerun('r1', false);
    expect(server.requests.map(r => r.body)).toEqual([
      { from_failed: true, exact: true },
      { from_failed: false, exact: false }
    ]);
  });
});

describe('comparison requests', () => {
  it('asks for two runs side by side and for a step’s notebooks', async () => {
    const server = new FakeServer()
      .on('GET', /^orch\/runs\/r1\/compare\/r2$/, () => ({
        status: 200,
        body: { a: side('r1', 1) }
      }))
      .on(
        'GET',
        /^orch\/runs\/r1\/compare\/r2\/steps\/my%20step\/notebooks$/,
        () => ({
          status: 200,
          body: { step: 'my step', diff: [] }
        })
      );
    const client = new OrchClient(server.transport);
    expect((await compareRuns(client, 'r1', 'r2')).a.id).toBe('r1');
    expect(
      (await compareStepNotebooks(client, 'r1', 'r2', 'my step')).step
    ).toBe('my step');
  });
});
