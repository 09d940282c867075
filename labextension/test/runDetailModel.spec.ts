import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { OrchError, ServerExtensionMissingError } from '../src/api/api';
import { RunClient, RunDetailModel } from '../src/run/runDetailModel';
import type {
  ICancelOutcome,
  ILogLine,
  IPipeline,
  IRun,
  IStepDefinition,
  IVersionDetail,
  RunStatus,
  StepWake
} from '../src/api/tokens';
import { makeRun } from './fixtures';

/** A run of version 2 of "daily" in `status`, with `changes`. */
function runIn(status: RunStatus, changes: Partial<IRun> = {}): IRun {
  return makeRun({ version: 2, status, ...changes });
}

function logLine(id: number, message = `line ${id}`): ILogLine {
  return { id, ts: null, step: null, stream: 'orch', message };
}

/**
 * A fake client whose run goes through the statuses in `statuses`, one per fetch; its log
 * holds `lines` and answers those after the id asked for, as the server does.
 */
class FakeClient implements RunClient {
  constructor(public statuses: RunStatus[]) {}
  runCalls = 0;
  logCalls = 0;
  lines: ILogLine[] = [logLine(1, 'hello')];
  logAfter: (number | undefined)[] = [];
  runError: unknown = null;
  rerunCalls: [string, boolean][] = [];
  pinned = false;

  async getRun(id: string): Promise<IRun> {
    this.runCalls++;
    if (this.runError) {
      throw this.runError;
    }
    const status =
      this.statuses[Math.min(this.runCalls - 1, this.statuses.length - 1)];
    return runIn(status, { id, pinned: this.pinned });
  }

  async logs(_id: string, after?: number): Promise<ILogLine[]> {
    this.logCalls++;
    this.logAfter.push(after);
    return this.lines.filter(line => line.id > (after ?? 0));
  }

  async cancel(id: string): Promise<ICancelOutcome> {
    return { outcome: 'requested', run: runIn('running', { id }) };
  }

  async setPinned(id: string, pinned: boolean): Promise<IRun> {
    this.pinned = pinned;
    return runIn('succeeded', { id, pinned });
  }

  wakeCalls: [string, string, StepWake][] = [];

  async wakeStep(id: string, step: string, action: StepWake): Promise<IRun> {
    this.wakeCalls.push([id, step, action]);
    return runIn('running', { id });
  }

  async rerun(id: string, fromFailed: boolean): Promise<IRun> {
    this.rerunCalls.push([id, fromFailed]);
    return runIn('queued', { id: 'run-2', rerun_of: id });
  }

  /** The current version, and its steps as GET /orch/pipelines/{name} gives them. */
  pipelineVersion = 3;
  pipelineSteps: IStepDefinition[] = [];
  versionCalls: [string, number][] = [];

  async getPipeline(name: string): Promise<IPipeline> {
    return {
      name,
      version: this.pipelineVersion,
      steps: this.pipelineSteps
    } as IPipeline;
  }

  /** A stored definition: what the step runs says its kind (no `kind` key). */
  async version(name: string, version: number): Promise<IVersionDetail> {
    this.versionCalls.push([name, version]);
    return {
      pipeline: name,
      version,
      path: null,
      created_at: null,
      source: '',
      definition: {
        defaults: { retries: 1 },
        steps: [
          { name: 'new_users', sql: 'SELECT 1', connection: 'warehouse' },
          { name: 'per_day', python: 't.py:per_day', retries: 3 },
          { name: 'load', export: { from: 'x.csv', to: { file: 'y.csv' } } },
          { name: 'report', notebook: 'report.ipynb' }
        ]
      }
    };
  }
}

/**
 * Lets the first fetch run, which the model's poll starts on a zero-delay timer, then pending
 * promise callbacks (fake timers do not advance microtasks by themselves).
 */
async function settle(): Promise<void> {
  await vi.advanceTimersByTimeAsync(0);
  for (let i = 0; i < 10; i++) {
    await Promise.resolve();
  }
}

describe('RunDetailModel', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fetches every interval until the run is finished, then stops', async () => {
    const client = new FakeClient(['queued', 'running', 'succeeded']);
    const model = new RunDetailModel(client, 'run-1', 2000);
    let changes = 0;
    model.changed.connect(() => changes++);
    expect(model.loading).toBe(true);
    model.start();
    await settle();
    expect(model.loading).toBe(false);
    expect(model.run?.status).toBe('queued');
    expect(model.logs).toHaveLength(1);
    expect(model.pipeline?.version).toBe(3);
    expect(model.watching).toBe(true);
    await vi.advanceTimersByTimeAsync(2000);
    expect(model.run?.status).toBe('running');
    await vi.advanceTimersByTimeAsync(2000);
    expect(model.run?.status).toBe('succeeded');
    expect(model.watching).toBe(false);
    await vi.advanceTimersByTimeAsync(10000);
    expect(client.runCalls).toBe(3);
    expect(client.logCalls).toBe(3);
    expect(changes).toBeGreaterThanOrEqual(3);
    model.dispose();
  });

  it("knows each step's kind from the run's version", async () => {
    const client = new FakeClient(['succeeded']);
    const model = new RunDetailModel(client, 'run-1', 2000);
    model.start();
    await settle();
    // The run is of version 2, the pipeline at 3: the run's version is asked for.
    expect(client.versionCalls).toEqual([['daily', 2]]);
    expect(model.kinds).toEqual({
      new_users: 'query',
      per_day: 'function',
      load: 'export',
      report: 'notebook'
    });
    model.dispose();
  });

  it("reads the kinds and attempts allowed from the run's version, current or not", async () => {
    const client = new FakeClient(['running']);
    client.pipelineVersion = 2;
    const model = new RunDetailModel(client, 'run-1', 2000);
    model.start();
    await settle();
    // The current definition's answer has no `defaults`: the stored version is read.
    expect(client.versionCalls).toEqual([['daily', 2]]);
    expect(model.kinds.per_day).toBe('function');
    expect(model.allowedAttempts).toEqual({
      new_users: 2,
      per_day: 4,
      load: 2,
      report: 2
    });
    model.dispose();
  });

  it("ends a step's retry wait, showing the run as the server answered", async () => {
    const client = new FakeClient(['running']);
    const model = new RunDetailModel(client, 'run-1', 2000);
    const busy: (string | null)[] = [];
    model.changed.connect(() => busy.push(model.busy));
    await model.wakeStep('per_day', 'retry-now');
    await model.wakeStep('per_day', 'fail-now');
    expect(client.wakeCalls).toEqual([
      ['run-1', 'per_day', 'retry-now'],
      ['run-1', 'per_day', 'fail-now']
    ]);
    expect(busy).toContain('retry-now');
    expect(busy).toContain('fail-now');
    expect(model.busy).toBeNull();
    expect(model.run?.status).toBe('running');
    model.dispose();
  });

  it('stops fetching when disposed', async () => {
    const client = new FakeClient(['running']);
    const model = new RunDetailModel(client, 'run-1', 2000);
    model.start();
    await settle();
    model.dispose();
    await vi.advanceTimersByTimeAsync(10000);
    expect(client.runCalls).toBe(1);
    expect(model.isDisposed).toBe(true);
  });

  it('says not found for the server 404 and stops', async () => {
    const client = new FakeClient(['running']);
    client.runError = new OrchError('run x not found', 404);
    const model = new RunDetailModel(client, 'x', 2000);
    model.start();
    await settle();
    expect(model.notFound).toBe(true);
    expect(model.loadError).toBeNull();
    await vi.advanceTimersByTimeAsync(10000);
    expect(client.runCalls).toBe(1);
    model.dispose();
  });

  it('keeps trying after other failures and shows why', async () => {
    const client = new FakeClient(['running']);
    client.runError = new ServerExtensionMissingError();
    const model = new RunDetailModel(client, 'run-1', 2000);
    model.start();
    await settle();
    expect(model.notFound).toBe(false);
    expect(model.loadError).toMatch(/server extension/);
    expect(model.run).toBeNull();
    client.runError = null;
    await vi.advanceTimersByTimeAsync(2000);
    expect(model.loadError).toBeNull();
    expect(model.run?.status).toBe('running');
    model.dispose();
  });

  it('shows a requested cancel and passes reruns on', async () => {
    const client = new FakeClient(['running']);
    const model = new RunDetailModel(client, 'run-1', 2000);
    model.start();
    await settle();
    const busy: (string | null)[] = [];
    model.changed.connect(() => busy.push(model.busy));
    const outcome = await model.cancel();
    expect(outcome.outcome).toBe('requested');
    expect(model.cancelRequested).toBe(true);
    expect(busy[0]).toBe('cancel');
    expect(model.busy).toBeNull();
    const rerun = await model.rerun(true);
    expect(rerun.rerun_of).toBe('run-1');
    expect(client.rerunCalls).toEqual([['run-1', true]]);
    model.dispose();
  });

  it('pins and unpins the run, showing it as the server answered', async () => {
    const client = new FakeClient(['succeeded']);
    const model = new RunDetailModel(client, 'run-1', 2000);
    model.start();
    await settle();
    expect(model.run?.pinned).toBe(false);
    const busy: (string | null)[] = [];
    model.changed.connect(() => busy.push(model.busy));
    const run = await model.setPinned(true);
    expect(run.pinned).toBe(true);
    expect(model.run?.pinned).toBe(true);
    expect(busy[0]).toBe('pin');
    expect(model.busy).toBeNull();
    await model.setPinned(false);
    expect(model.run?.pinned).toBe(false);
    model.dispose();
  });

  it('keeps a pin made while a fetch of the run was on its way', async () => {
    const client = new FakeClient(['running']);
    const getRun = client.getRun.bind(client);
    let answer = () => {};
    const answered = new Promise<void>(resolve => (answer = resolve));
    const model = new RunDetailModel(client, 'run-1', 2000);
    await model.refresh();
    // The next fetch reads the run before the pin, and answers after it
    client.getRun = async (id: string) => {
      const run = await getRun(id);
      await answered;
      return run;
    };
    const late = model.refresh();
    await model.setPinned(true);
    answer();
    await late;
    expect(model.run?.pinned).toBe(true);
    model.dispose();
  });

  it('passes action errors on and clears busy', async () => {
    const client = new FakeClient(['failed']);
    client.rerun = async () => {
      throw new OrchError('pipeline deleted', 409);
    };
    const model = new RunDetailModel(client, 'run-1', 2000);
    await expect(model.rerun(false)).rejects.toThrow('pipeline deleted');
    expect(model.busy).toBeNull();
    model.dispose();
  });

  it('selects a step once', () => {
    const model = new RunDetailModel(new FakeClient(['running']), 'run-1');
    let changes = 0;
    model.changed.connect(() => changes++);
    model.select('load');
    model.select('load');
    expect(model.selected).toBe('load');
    expect(changes).toBe(1);
    model.dispose();
  });

  it('asks only for the log lines after the last one it has, and appends them', async () => {
    const client = new FakeClient(['running']);
    client.lines = [logLine(1), logLine(2)];
    const model = new RunDetailModel(client, 'run-1', 2000);
    model.start();
    await settle();
    expect(model.logs.map(l => l.id)).toEqual([1, 2]);
    client.lines.push(logLine(3), logLine(4));
    await vi.advanceTimersByTimeAsync(2000);
    await vi.advanceTimersByTimeAsync(2000); // nothing new this time
    expect(model.logs.map(l => l.message)).toEqual([
      'line 1',
      'line 2',
      'line 3',
      'line 4'
    ]);
    expect(client.logAfter).toEqual([0, 2, 4]);
    model.dispose();
  });

  it('shows each log line once when two fetches overlap', async () => {
    const client = new FakeClient(['running']);
    client.lines = [logLine(1), logLine(2)];
    const model = new RunDetailModel(client, 'run-1', 2000);
    await Promise.all([model.refresh(), model.refresh()]);
    client.lines.push(logLine(3));
    await Promise.all([model.refresh(), model.refresh()]);
    expect(model.logs.map(l => l.id)).toEqual([1, 2, 3]);
    model.dispose();
  });

  it('shows the last log lines of a run that ends between two fetches', async () => {
    // The runner writes its last lines, then marks the run ended: a log read before the run
    // must not miss lines written before the end the run read shows.
    const client = new FakeClient(['running']);
    client.lines = [logLine(1)];
    const getRun = client.getRun.bind(client);
    client.getRun = async (id: string) => {
      await Promise.resolve(); // the run is read a moment later...
      if (client.runCalls >= 1) {
        client.lines.push(logLine(2, 'Pipeline completed successfully'));
        client.statuses = ['succeeded'];
      }
      return getRun(id);
    };
    const model = new RunDetailModel(client, 'run-1', 2000);
    model.start();
    await settle();
    expect(model.run?.status).toBe('running');
    await vi.advanceTimersByTimeAsync(2000);
    expect(model.run?.status).toBe('succeeded');
    expect(model.watching).toBe(false);
    expect(model.logs.map(l => l.message)).toContain(
      'Pipeline completed successfully'
    );
    model.dispose();
  });
});
