import { describe, expect, it } from 'vitest';

import { OrchClient, OrchError } from '../src/api/api';
import { activityPath, IActivityEntry } from '../src/api/activity';
import { ActivityModel, PAGE_SIZE } from '../src/activity/activityModel';
import {
  describeAction,
  filtersQuery,
  NO_FILTERS,
  originLabel,
  originTitle,
  sinceChoices
} from '../src/activity/activityText';
import { FakeServer } from './fakeServer';

function entry(
  id: number,
  changes: Partial<IActivityEntry> = {}
): IActivityEntry {
  return {
    id,
    at: '2026-12-06T09:00:00+00:00',
    actor: 'alice',
    origin: 'lab',
    address: '127.0.0.1',
    action: 'pause',
    pipeline: 'daily',
    run_id: null,
    detail: {},
    ...changes
  };
}

describe('describeAction', () => {
  const said = (action: string, detail: Record<string, unknown> = {}) =>
    describeAction({ action, detail });

  it('says what was done to a pipeline', () => {
    expect(said('pause')).toBe('paused');
    expect(said('resume')).toBe('resumed');
    expect(said('archive')).toBe('archived');
    expect(said('unarchive')).toBe('unarchived');
    expect(said('delete')).toBe('deleted');
    expect(said('register', { version: 1 })).toBe('registered (version 1)');
    expect(said('register')).toBe('registered');
    expect(said('apply', { version: 2 })).toBe('applied (version 2)');
    expect(
      said('edit', { version: 3, summary: 'transform.ipynb changed' })
    ).toBe('edited (version 3): transform.ipynb changed');
    expect(said('edit', { version: 3 })).toBe('edited (version 3)');
    expect(said('rollback', { to: 2, version: 4, edits: null })).toBe(
      'rolled back to version 2 (as version 4)'
    );
    expect(said('rollback', { to: 2 })).toBe('rolled back to version 2');
    expect(said('prune', { runs: 1 })).toBe('pruned 1 run');
    expect(said('prune', { runs: 7 })).toBe('pruned 7 runs');
  });

  it('says what was done to a run', () => {
    expect(said('run', { trigger: 'manual' })).toBe('ran');
    expect(said('run')).toBe('ran');
    expect(said('run', { trigger: 'schedule' })).toBe('ran (schedule)');
    expect(said('run', { trigger: 'webhook' })).toBe('ran (webhook)');
    expect(said('replay', { of: 'run-20261206-abcdef12' })).toBe(
      'replayed run abcdef12'
    );
    expect(said('rerun', { of: '1234' })).toBe('reran run 1234');
    expect(said('rerun')).toBe('reran a run');
    expect(said('cancel')).toBe('cancelled the run');
    expect(said('retry_now', { step: 'load' })).toBe('retried step load now');
    expect(said('fail_now', { step: 'load' })).toBe('failed step load now');
    expect(said('pin')).toBe('pinned the run');
    expect(said('unpin')).toBe('unpinned the run');
  });

  it('says the rest, and an action newer than this code as its name', () => {
    expect(said('channel_test', { channel: 'ops', ok: true })).toBe(
      'tested channel ops'
    );
    expect(said('channel_test', { channel: 'ops', ok: false })).toBe(
      'tested channel ops (failed)'
    );
    expect(said('some_new_thing')).toBe('some new thing');
    // A detail of the wrong shape is left out, not shown as "undefined"
    expect(said('edit', { version: '3', summary: 42 })).toBe('edited');
  });
});

describe('origins', () => {
  it('names each origin and says where from on hover', () => {
    expect(
      ['cli', 'api', 'lab', 'scheduler', 'webhook', 'x'].map(originLabel)
    ).toEqual(['CLI', 'API', 'Lab', 'Scheduler', 'Webhook', 'Unknown']);
    expect(originTitle({ origin: 'lab', address: '10.0.0.5' })).toBe(
      'From JupyterLab, address 10.0.0.5'
    );
    expect(originTitle({ origin: 'scheduler', address: null })).toBe(
      'By the scheduler'
    );
  });
});

describe('filters as a query', () => {
  it('leaves out what is not filtered', () => {
    expect(filtersQuery(NO_FILTERS)).toEqual({ limit: 50 });
    expect(activityPath(filtersQuery(NO_FILTERS))).toBe('activity?limit=50');
    expect(activityPath({})).toBe('activity');
  });

  it('sends the pipeline, the actor, since and the cursor', () => {
    const query = filtersQuery(
      { pipeline: ' daily ', actor: 'token:1a2b3c4d', since: '24h' },
      '812',
      20
    );
    expect(query).toEqual({
      pipeline: 'daily',
      actor: 'token:1a2b3c4d',
      since: '24h',
      cursor: '812',
      limit: 20
    });
    expect(activityPath(query)).toBe(
      'activity?pipeline=daily&actor=token%3A1a2b3c4d&since=24h&limit=20&cursor=812'
    );
  });

  it('offers 24 hours, 7 days, 30 days and all time', () => {
    expect(sinceChoices().map(c => c.value)).toEqual(['24h', '7d', '30d', '']);
    expect(sinceChoices()[0].label).toBe('Last 24 hours');
  });
});

describe('ActivityModel', () => {
  it('reads the first page, then follows next_cursor with Load more', async () => {
    const server = new FakeServer().on('GET', /^orch\/activity/, request =>
      request.path.includes('cursor=2')
        ? { status: 200, body: { entries: [entry(1)], next_cursor: null } }
        : {
            status: 200,
            body: { entries: [entry(3), entry(2)], next_cursor: '2' }
          }
    );
    const model = new ActivityModel(new OrchClient(server.transport), {
      pipeline: 'daily'
    });
    await model.refresh();
    expect(model.entries?.map(e => e.id)).toEqual([3, 2]);
    expect(model.hasMore).toBe(true);
    await model.loadMore();
    expect(model.entries?.map(e => e.id)).toEqual([3, 2, 1]);
    expect(model.hasMore).toBe(false);
    expect(server.requests.map(r => r.path)).toEqual([
      `orch/activity?pipeline=daily&limit=${PAGE_SIZE}`,
      `orch/activity?pipeline=daily&limit=${PAGE_SIZE}&cursor=2`
    ]);
    // The lab's requests say they are the lab's (the log's origin "lab")
    expect(server.requests[0].headers['X-Orch-Client']).toBe('jupyterlab');
  });

  it('starts again from the newest when a filter changes', async () => {
    const server = new FakeServer().on('GET', /^orch\/activity/, () => ({
      status: 200,
      body: { entries: [entry(5)], next_cursor: null }
    }));
    const model = new ActivityModel(new OrchClient(server.transport));
    await model.refresh();
    await model.setFilters({ since: '7d', actor: 'bob' });
    expect(model.filters).toEqual({ pipeline: '', actor: 'bob', since: '7d' });
    expect(server.requests[1].path).toBe(
      'orch/activity?actor=bob&since=7d&limit=50'
    );
    expect(model.entries?.map(e => e.id)).toEqual([5]);
  });

  it('shows the server’s message for a bad filter', async () => {
    const server = new FakeServer().on('GET', /^orch\/activity/, () => ({
      status: 400,
      body: { error: 'since: ‘x’ is neither a duration nor an ISO time' }
    }));
    const model = new ActivityModel(new OrchClient(server.transport));
    await model.refresh();
    expect(model.error).toContain('since:');
    expect(model.entries).toEqual([]);
    await expect(
      new OrchClient(server.transport).request('activity')
    ).rejects.toBeInstanceOf(OrchError);
  });
});
