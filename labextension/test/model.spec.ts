import { afterEach, describe, expect, it, vi } from 'vitest';

import { OrchClient } from '../src/api/api';
import { OrchModel } from '../src/panel/model';
import { IDLE_INTERVAL, LIVE_INTERVAL } from '../src/run/liveProgress';
import type { IRun } from '../src/api/tokens';
import { FakeServer, fakeRun } from './fakeServer';

function pipeline(name: string) {
  return {
    name,
    path: `${name}.yaml`,
    version: 1,
    description: '',
    active: true,
    paused: false,
    schedule: null,
    on: {},
    next_run_at: null,
    last_status: null,
    last_run_at: null,
    missed_ticks: 0,
    archived: false
  };
}

/** A promise and the function that resolves it (to answer a request late). */
function gate(): { opened: Promise<void>; open: () => void } {
  let open = () => {};
  const opened = new Promise<void>(resolve => {
    open = resolve;
  });
  return { opened, open };
}

/**
 * A fake server holding runs newest first, paging by cursor like the real one. `hold` may
 * return a promise for a runs request: its answer waits for it (a slow server).
 */
function serverWith(
  runs: IRun[],
  hold: (path: string) => Promise<void> | undefined = () => undefined
): FakeServer {
  return new FakeServer()
    .on('GET', /^orch\/pipelines$/, () => ({
      status: 200,
      body: { pipelines: [pipeline('daily')] }
    }))
    .on('GET', /^orch\/runs(\?|$)/, async request => {
      await hold(request.path);
      const query = new URLSearchParams(request.path.split('?')[1] ?? '');
      const limit = Number(query.get('limit') ?? 25);
      const status = query.get('status');
      let matching = runs.filter(r => !status || r.status === status);
      const cursor = query.get('cursor');
      if (cursor) {
        matching = matching.slice(matching.findIndex(r => r.id === cursor) + 1);
      }
      const page = matching.slice(0, limit);
      return {
        status: 200,
        body: {
          runs: page,
          next_cursor: matching.length > limit ? page[page.length - 1].id : null
        }
      };
    });
}

describe('OrchModel', () => {
  it('says when no scheduler runs the applied pipelines, and when one does again', async () => {
    const message =
      'Jobs not running on schedule: 1 applied pipeline but no scheduler has been alive';
    let problems = [{ code: 'no_scheduler', message, pipelines: ['daily'] }];
    const server = serverWith([]).on('GET', /^orch\/health$/, () => ({
      status: 200,
      body: {
        status: 'degraded',
        schedulers: [],
        applied_pipelines: 1,
        problems
      }
    }));
    const model = new OrchModel(new OrchClient(server.transport));
    await model.refresh();
    await vi.waitFor(() => expect(model.healthProblem).toBe(message));
    problems = [];
    await model.refresh(); // within HEALTH_EVERY_MS: not asked again
    expect(server.requests.filter(r => r.path === 'orch/health')).toHaveLength(
      1
    );
    model.dispose();
  });

  it('pages runs newest first and appends older ones on demand', async () => {
    const runs = Array.from({ length: 30 }, (_, i) =>
      fakeRun(`r${String(30 - i).padStart(2, '0')}`, 'succeeded')
    );
    const model = new OrchModel(new OrchClient(serverWith(runs).transport));
    await model.refresh();
    expect(model.runs).toHaveLength(25);
    expect(model.runs[0].id).toBe('r30');
    expect(model.hasMore).toBe(true);
    await model.loadMore();
    expect(model.runs).toHaveLength(30);
    expect(model.runs[29].id).toBe('r01');
    expect(model.hasMore).toBe(false);
    // a refresh keeps every row that is shown
    await model.refresh();
    expect(model.runs).toHaveLength(30);
    model.dispose();
  });

  it('filters by status on the server', async () => {
    const server = serverWith([
      fakeRun('b', 'failed'),
      fakeRun('a', 'succeeded')
    ]);
    const model = new OrchModel(new OrchClient(server.transport));
    await model.setFilters({ status: 'failed' });
    expect(model.runs.map(r => r.id)).toEqual(['b']);
    expect(server.requests.some(r => r.path.includes('status=failed'))).toBe(
      true
    );
    model.dispose();
  });

  it('announces a run started here once, when it finishes', async () => {
    const runs = [fakeRun('r1', 'running')];
    const server = serverWith(runs).on(
      'POST',
      /^orch\/pipelines\/daily\/runs$/,
      () => ({
        status: 201,
        body: runs[0]
      })
    );
    const model = new OrchModel(new OrchClient(server.transport));
    const finished: IRun[] = [];
    model.runFinished.connect((_, run) => finished.push(run));
    await model.trigger('daily', { days: 3 });
    expect(model.watched.has('r1')).toBe(true);
    expect(finished).toHaveLength(0);
    runs[0] = { ...runs[0], status: 'failed', duration_s: 2 };
    await model.refresh();
    await model.refresh();
    expect(finished.map(r => `${r.id} ${r.status}`)).toEqual(['r1 failed']);
    expect(model.watched.size).toBe(0);
    model.dispose();
  });

  it('looks up a watched run that is not on the shown page', async () => {
    const server = serverWith([]).on('GET', /^orch\/runs\/old$/, () => ({
      status: 200,
      body: fakeRun('old', 'succeeded')
    }));
    const model = new OrchModel(new OrchClient(server.transport));
    const finished: string[] = [];
    model.runFinished.connect((_, run) => finished.push(run.id));
    model.watch(fakeRun('old', 'queued'));
    await model.refresh();
    expect(finished).toEqual(['old']);
    model.dispose();
  });

  it('polls fast while runs are active and slowly when all is quiet', async () => {
    const runs = [fakeRun('r1', 'running')];
    const model = new OrchModel(new OrchClient(serverWith(runs).transport));
    await model.refresh();
    expect(
      (model as unknown as { _poll: { frequency: { interval: number } } })._poll
        .frequency.interval
    ).toBe(LIVE_INTERVAL);
    runs[0] = { ...runs[0], status: 'succeeded' };
    await model.refresh();
    expect(
      (model as unknown as { _poll: { frequency: { interval: number } } })._poll
        .frequency.interval
    ).toBe(IDLE_INTERVAL);
    model.dispose();
  });

  it('asks again within a second when a run starts while all was quiet', async () => {
    vi.useFakeTimers();
    try {
      const runs = [fakeRun('r1', 'succeeded')];
      const server = serverWith(runs).on(
        'POST',
        /^orch\/pipelines\/daily\/runs$/,
        () => {
          runs.unshift(fakeRun('r2', 'queued'));
          return { status: 202, body: runs[0] };
        }
      );
      const model = new OrchModel(new OrchClient(server.transport));
      model.start();
      await vi.advanceTimersByTimeAsync(0);
      await vi.advanceTimersByTimeAsync(1000); // quiet: the next poll is IDLE_INTERVAL away
      const asked = () =>
        server.requests.filter(r => r.path.startsWith('orch/runs?')).length;
      expect(asked()).toBe(1);
      await model.trigger('daily', {});
      expect(asked()).toBe(2);
      runs[0] = { ...runs[0], status: 'running' };
      await vi.advanceTimersByTimeAsync(LIVE_INTERVAL);
      expect(asked()).toBe(3);
      expect(model.runs[0].status).toBe('running');
      model.dispose();
    } finally {
      vi.useRealTimers();
    }
  });

  it('says when the server extension is missing, and recovers when it answers', async () => {
    let installed = false;
    const server = new FakeServer();
    const client = new OrchClient(async (path, init) =>
      installed
        ? serverWith([]).transport(path, init)
        : server.transport(path, init)
    );
    const model = new OrchModel(client);
    await model.refresh();
    expect(model.serverExtensionMissing).toBe(true);
    expect(model.error).toContain('server extension');
    installed = true;
    await model.refresh();
    expect(model.serverExtensionMissing).toBe(false);
    expect(model.error).toBeNull();
    expect(model.pipelines.map(p => p.name)).toEqual(['daily']);
    model.dispose();
  });

  it("keeps the newest filter's runs when the answer to an older filter comes late", async () => {
    const slow = gate();
    const runs = [fakeRun('b', 'failed'), fakeRun('a', 'succeeded')];
    // the answer to the first (unfiltered) request comes last
    const server = serverWith(runs, path =>
      path.includes('status=') ? undefined : slow.opened
    );
    const model = new OrchModel(new OrchClient(server.transport));
    const first = model.refresh();
    await model.setFilters({ status: 'failed' });
    expect(model.runs.map(r => r.id)).toEqual(['b']);
    slow.open();
    await first;
    expect(model.filters.status).toBe('failed');
    expect(model.runs.map(r => r.id)).toEqual(['b']);
    expect(model.loading).toBe(false);
    model.dispose();
  });

  it('does not append a page of older runs asked for under the previous filter', async () => {
    const slow = gate();
    const runs = Array.from({ length: 30 }, (_, i) =>
      fakeRun(`r${String(30 - i).padStart(2, '0')}`, 'succeeded')
    );
    const server = serverWith(runs, path =>
      path.includes('cursor=') ? slow.opened : undefined
    );
    const model = new OrchModel(new OrchClient(server.transport));
    await model.refresh();
    const more = model.loadMore();
    await model.setFilters({ status: 'failed' });
    slow.open();
    await more;
    expect(model.runs).toEqual([]);
    expect(model.hasMore).toBe(false);
    model.dispose();
  });
});

describe('OrchModel and archived pipelines', () => {
  /** A fake server that hides archived pipelines unless asked for all, as the real one does. */
  function archiveServer(): FakeServer {
    const pipelines = [pipeline('daily'), pipeline('weekly')];
    return serverWith([])
      .on('GET', /^orch\/pipelines(\?|$)/, request => ({
        status: 200,
        body: {
          pipelines: request.path.endsWith('?all=true')
            ? pipelines
            : pipelines.filter(p => !p.archived)
        }
      }))
      .on('PATCH', /^orch\/pipelines\/\w+$/, request => {
        const found = pipelines.find(p => request.path.endsWith(`/${p.name}`));
        Object.assign(found ?? {}, request.body);
        return { status: 200, body: found };
      });
  }

  it('archives a pipeline: it leaves the list, and comes back among all of them', async () => {
    const server = archiveServer();
    const model = new OrchModel(new OrchClient(server.transport));
    await model.refresh();
    expect(model.showArchived).toBe(false);
    const busy: boolean[] = [];
    model.stateChanged.connect(() => busy.push(model.isBusy('daily')));
    await model.setArchived('daily', true);
    expect(busy[0]).toBe(true);
    expect(model.isBusy('daily')).toBe(false);
    const patch = server.requests.find(r => r.method === 'PATCH');
    expect(patch?.path).toBe('orch/pipelines/daily');
    expect(patch?.body).toEqual({ archived: true });
    expect(model.pipelines.map(p => p.name)).toEqual(['weekly']);

    await model.setShowArchived(true);
    expect(model.showArchived).toBe(true);
    expect(server.requests.map(r => r.path)).toContain(
      'orch/pipelines?all=true'
    );
    expect(model.pipelines.map(p => [p.name, p.archived])).toEqual([
      ['daily', true],
      ['weekly', false]
    ]);

    await model.setArchived('daily', false);
    await model.setShowArchived(false);
    expect(model.pipelines.map(p => p.name)).toEqual(['daily', 'weekly']);
    model.dispose();
  });

  it('keeps the list of the newest choice when an older answer comes late', async () => {
    const slow = gate();
    const server = archiveServer();
    const hidden = new FakeServer().on('GET', /^orch\/pipelines$/, async () => {
      await slow.opened;
      return { status: 200, body: { pipelines: [pipeline('stale')] } };
    });
    const model = new OrchModel(
      new OrchClient((path, init) =>
        (path === 'orch/pipelines' ? hidden : server).transport(path, init)
      )
    );
    const first = model.refresh();
    await model.setShowArchived(true);
    slow.open();
    await first;
    expect(model.pipelines.map(p => p.name)).toEqual(['daily', 'weekly']);
    model.dispose();
  });
});

describe('OrchModel while the store is unavailable', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("shows the server's reason, keeps polling, and recovers by itself", async () => {
    vi.useFakeTimers();
    const reason =
      'the orchestration store is unavailable: connection refused; retrying';
    let storeUp = false;
    const healthy = serverWith([fakeRun('r1', 'succeeded')]);
    const down = new FakeServer().on('GET', /^orch\//, () => ({
      status: 503,
      body: { error: reason, details: [] }
    }));
    const client = new OrchClient((path, init) =>
      (storeUp ? healthy : down).transport(path, init)
    );
    const model = new OrchModel(client);
    model.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(model.unavailable).toBe(reason);
    expect(model.serverExtensionMissing).toBe(false);
    const asked = down.requests.length;
    await vi.advanceTimersByTimeAsync(LIVE_INTERVAL);
    expect(down.requests.length).toBeGreaterThan(asked); // still polling
    expect(model.unavailable).toBe(reason);
    storeUp = true;
    await vi.advanceTimersByTimeAsync(LIVE_INTERVAL);
    expect(model.unavailable).toBeNull();
    expect(model.error).toBeNull();
    expect(model.pipelines.map(p => p.name)).toEqual(['daily']);
    expect(model.runs.map(r => r.id)).toEqual(['r1']);
    model.dispose();
  });
});
