import { describe, expect, it } from 'vitest';

import { OrchClient } from '../src/api/api';
import { OrchModel } from '../src/panel/model';
import {
  PipelineWatchList,
  sortPipelineRuns,
  StorageLike,
  WATCH_STORAGE_KEY
} from '../src/panel/pipelineWatch';
import type { IRun, RunStatus } from '../src/api/tokens';
import { FakeServer } from './fakeServer';
import { makeRun } from './fixtures';

/** localStorage as a map (named as a fake). */
class FakeStorage implements StorageLike {
  readonly items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
}

/** A run of `pipeline` created `minute` minutes after 09:00. */
function run(
  id: string,
  status: RunStatus,
  pipeline: string,
  minute: number
): IRun {
  const created = `2026-11-26T09:${String(minute).padStart(2, '0')}:00Z`;
  return makeRun({ id, status, pipeline, created_at: created });
}

const T = (minute: number) =>
  Date.parse(`2026-11-26T09:${String(minute).padStart(2, '0')}:00Z`);

describe('the watched pipelines', () => {
  it('persist in the browser under a namespaced key', () => {
    const storage = new FakeStorage();
    const list = new PipelineWatchList(storage);
    list.set('daily', true);
    list.set('weekly', true);
    list.set('weekly', false);
    expect(storage.getItem(WATCH_STORAGE_KEY)).toBe('["daily"]');
    expect(new PipelineWatchList(storage).has('daily')).toBe(true);
    expect(new PipelineWatchList(storage).has('weekly')).toBe(false);
  });

  it('read an unreadable entry as none, and work without storage', () => {
    const storage = new FakeStorage();
    storage.setItem(WATCH_STORAGE_KEY, '{oops');
    expect(new PipelineWatchList(storage).names.size).toBe(0);
    const memory = new PipelineWatchList(null);
    memory.set('daily', true);
    expect(memory.has('daily')).toBe(true);
  });
});

describe('which runs of watched pipelines are told of', () => {
  const watched = new Set(['daily']);

  it('tells nothing on the first look, and watches what is still going', () => {
    const outcome = sortPipelineRuns(
      [
        run('a', 'running', 'daily', 5),
        run('b', 'failed', 'daily', 4),
        run('c', 'running', 'other', 3)
      ],
      watched,
      new Set(),
      null
    );
    expect(outcome.watch.map(r => r.id)).toEqual(['a']);
    expect(outcome.tell).toEqual([]);
    expect(outcome.newest).toBe(T(5));
  });

  it("takes the browser's time as the baseline when no run was seen yet", () => {
    const first = sortPipelineRuns([], watched, new Set(), null, T(5));
    expect(first.newest).toBe(T(5));
    const next = sortPipelineRuns(
      [run('new', 'failed', 'daily', 6), run('old', 'failed', 'daily', 4)],
      watched,
      new Set(),
      first.newest
    );
    expect(next.tell.map(r => r.id)).toEqual(['new']);
  });

  it('tells a run that started and finished between two looks', () => {
    const outcome = sortPipelineRuns(
      [
        run('new', 'succeeded', 'daily', 7),
        run('other', 'failed', 'other', 6),
        run('old', 'failed', 'daily', 4)
      ],
      watched,
      new Set(),
      T(5)
    );
    expect(outcome.tell.map(r => r.id)).toEqual(['new']);
    expect(outcome.watch).toEqual([]);
    expect(outcome.newest).toBe(T(7));
  });

  it('leaves runs already watched (started here) to that watch', () => {
    const outcome = sortPipelineRuns(
      [run('mine', 'failed', 'daily', 7), run('go', 'queued', 'daily', 8)],
      watched,
      new Set(['mine', 'go']),
      T(5)
    );
    expect(outcome.tell).toEqual([]);
    expect(outcome.watch).toEqual([]);
  });
});

describe('OrchModel with watched pipelines', () => {
  function setup(runs: IRun[]) {
    const server = new FakeServer()
      .on('GET', /^orch\/pipelines$/, () => ({
        status: 200,
        body: { pipelines: [] }
      }))
      .on('GET', /^orch\/runs(\?|$)/, () => ({
        status: 200,
        body: { runs: runs.slice(), next_cursor: null }
      }));
    const storage = new FakeStorage();
    const model = new OrchModel(
      new OrchClient(server.transport),
      new PipelineWatchList(storage)
    );
    const told: string[] = [];
    model.runFinished.connect((_, r) => told.push(`${r.id} ${r.status}`));
    return { model, told, storage };
  }

  it('tells of any finished run of a watched pipeline, once', async () => {
    const runs = [
      run('s1', 'running', 'daily', 1),
      run('x1', 'running', 'other', 1)
    ];
    const { model, told, storage } = setup(runs);
    model.setPipelineWatched('daily', true);
    expect(model.isPipelineWatched('daily')).toBe(true);
    expect(storage.getItem(WATCH_STORAGE_KEY)).toBe('["daily"]');
    await model.refresh();
    expect(told).toEqual([]);
    runs[0] = { ...runs[0], status: 'failed' };
    runs[1] = { ...runs[1], status: 'failed' };
    // A run started (by a schedule, elsewhere) and finished between two polls
    runs.unshift(run('s2', 'succeeded', 'daily', 2));
    await model.refresh();
    await model.refresh();
    expect(told).toEqual(['s1 failed', 's2 succeeded']);
    model.dispose();
  });

  it('stops telling once the pipeline is no longer watched', async () => {
    const runs = [run('s1', 'running', 'daily', 1)];
    const { model, told } = setup(runs);
    model.setPipelineWatched('daily', true);
    await model.refresh();
    model.setPipelineWatched('daily', false);
    runs[0] = { ...runs[0], status: 'succeeded' };
    runs.unshift(run('s2', 'failed', 'daily', 2));
    await model.refresh();
    expect(told).toEqual([]);
    model.dispose();
  });
});
