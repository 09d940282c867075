import { describe, expect, it } from 'vitest';

import {
  errorFrom,
  NetworkError,
  OrchClient,
  OrchError,
  ServerExtensionMissingError,
  ServerUnavailableError
} from '../src/api/api';
import { FakeServer, fakeRun } from './fakeServer';

describe('OrchClient', () => {
  it('sends JSON bodies and reads JSON answers', async () => {
    const server = new FakeServer().on(
      'POST',
      /^orch\/pipelines\/daily\/runs$/,
      () => ({
        status: 201,
        body: fakeRun('r1', 'queued')
      })
    );
    const run = await new OrchClient(server.transport).trigger('daily', {
      days: 3
    });
    expect(run.id).toBe('r1');
    expect(server.requests[0].body).toEqual({
      parameters: { days: 3 },
      trigger: 'manual'
    });
    expect(server.requests[0].headers['Content-Type']).toBe('application/json');
  });

  it('builds run queries without empty filters', async () => {
    const server = new FakeServer()
      .on('GET', /^orch\/runs/, () => ({
        status: 200,
        body: { runs: [], next_cursor: null }
      }))
      .on('GET', /^orch\/schedules\/preview/, () => ({
        status: 200,
        body: {}
      }));
    const client = new OrchClient(server.transport);
    await client.listRuns({
      pipeline: 'daily',
      status: '',
      limit: 25,
      cursor: null
    });
    expect(server.requests[0].path).toBe('orch/runs?pipeline=daily&limit=25');
    await client.previewSchedule('0 9 * * *', 'Europe/Berlin');
    expect(server.requests[1].path).toBe(
      'orch/schedules/preview?cron=0+9+*+*+*&timezone=Europe%2FBerlin&count=3'
    );
  });

  it('asks for the log lines after a given id, or for all of them', async () => {
    const server = new FakeServer().on('GET', /^orch\/runs\/r1\/logs/, () => ({
      status: 200,
      body: { lines: [] }
    }));
    const client = new OrchClient(server.transport);
    await client.logs('r1', 42);
    await client.logs('r1');
    expect(server.requests.map(r => r.path)).toEqual([
      'orch/runs/r1/logs?after=42',
      'orch/runs/r1/logs'
    ]);
  });

  it('archives pipelines, lists all of them, and pins runs', async () => {
    const server = new FakeServer()
      .on('GET', /^orch\/pipelines/, () => ({
        status: 200,
        body: { pipelines: [] }
      }))
      .on('PATCH', /^orch\/pipelines\/daily$/, () => ({
        status: 200,
        body: {}
      }))
      .on('POST', /^orch\/runs\/r1\/pin$/, request => ({
        status: 200,
        body: { ...fakeRun('r1', 'succeeded'), ...(request.body as object) }
      }));
    const client = new OrchClient(server.transport);
    await client.listPipelines();
    await client.listPipelines({ all: true });
    await client.setArchived('daily', true);
    await client.setPaused('daily', false);
    const run = await client.setPinned('r1', true);
    expect(run.pinned).toBe(true);
    expect(server.requests.map(r => [r.method, r.path, r.body])).toEqual([
      ['GET', 'orch/pipelines', undefined],
      ['GET', 'orch/pipelines?all=true', undefined],
      ['PATCH', 'orch/pipelines/daily', { archived: true }],
      ['PATCH', 'orch/pipelines/daily', { paused: false }],
      ['POST', 'orch/runs/r1/pin', { pinned: true }]
    ]);
  });

  it("ends a step's retry wait now, and says why it could not", async () => {
    const server = new FakeServer()
      .on('POST', /^orch\/runs\/r1\/steps\/load\/retry-now$/, () => ({
        status: 202,
        body: fakeRun('r1', 'running')
      }))
      .on('POST', /^orch\/runs\/r1\/steps\/load\/fail-now$/, () => ({
        status: 409,
        body: { error: "step 'load' is not waiting for a retry", details: [] }
      }));
    const client = new OrchClient(server.transport);
    expect((await client.wakeStep('r1', 'load', 'retry-now')).id).toBe('r1');
    const refused = client.wakeStep('r1', 'load', 'fail-now');
    await expect(refused).rejects.toMatchObject({
      status: 409,
      message: "step 'load' is not waiting for a retry"
    });
    expect(server.requests.map(r => [r.method, r.path])).toEqual([
      ['POST', 'orch/runs/r1/steps/load/retry-now'],
      ['POST', 'orch/runs/r1/steps/load/fail-now']
    ]);
  });

  it('encodes names in paths', async () => {
    const server = new FakeServer().on('GET', /^orch\/pipelines\//, () => ({
      status: 200,
      body: {}
    }));
    await new OrchClient(server.transport).getPipeline('a/b');
    expect(server.requests[0].path).toBe('orch/pipelines/a%2Fb');
  });

  it("turns the server's error body into an OrchError with field details", async () => {
    const server = new FakeServer().on('POST', /^orch\/pipelines$/, () => ({
      status: 400,
      body: {
        error: 'pipeline.yaml is not a valid pipeline',
        details: [
          { field: 'steps[1].needs', message: 'unknown step "lod"', line: 12 }
        ]
      }
    }));
    const error = await new OrchClient(server.transport)
      .register({ path: 'pipeline.yaml' })
      .catch(e => e);
    expect(error).toBeInstanceOf(OrchError);
    expect(error.status).toBe(400);
    expect(error.message).toBe('pipeline.yaml is not a valid pipeline');
    expect(error.detailFor('steps[1].needs')).toBe('unknown step "lod"');
  });

  it('says the server extension is missing when /orch is not served', async () => {
    const server = new FakeServer(); // every route: a bare HTML 404
    const error = await new OrchClient(server.transport)
      .listPipelines()
      .catch(e => e);
    expect(error).toBeInstanceOf(ServerExtensionMissingError);
    expect(error.message).toContain('server extension');
  });

  it('keeps its own 404s (a run not found) as plain errors', () => {
    const error = errorFrom(404, { error: 'run x not found', details: [] }, '');
    expect(error).not.toBeInstanceOf(ServerExtensionMissingError);
    expect(error.message).toBe('run x not found');
  });

  it("says the service is unavailable, with the server's reason, on a 503", async () => {
    const reason =
      'the orchestration store is unavailable: connection refused; retrying';
    const server = new FakeServer().on('GET', /^orch\/pipelines$/, () => ({
      status: 503,
      body: { error: reason, details: [] }
    }));
    const error = await new OrchClient(server.transport)
      .listPipelines()
      .catch(e => e);
    expect(error).toBeInstanceOf(ServerUnavailableError);
    expect(error.status).toBe(503);
    expect(error.message).toBe(reason);
  });

  it('reports an unreachable server', async () => {
    const client = new OrchClient(async () => {
      throw new TypeError('Failed to fetch');
    });
    const error = await client.listPipelines().catch(e => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect(error.message).toContain('Failed to fetch');
  });

  it('never shows an HTML error page as a message', () => {
    const error = errorFrom(
      502,
      undefined,
      '<html><body>Bad gateway</body></html>'
    );
    expect(error.message).toBe('The server answered 502');
  });
});

describe('error text', () => {
  it('puts the first field problem in one line, all of it in the whole text', async () => {
    const { errorSummary, errorMessage } = await import('../src/api/errorText');
    const error = new OrchError(
      'p.yaml is not a valid pipeline: 2 problems',
      400,
      [
        { field: 'steps[0].needs[0]', message: "unknown step 'nowhere'" },
        { field: 'schedule.cron', message: 'minute 61 is out of range' }
      ]
    );
    expect(errorSummary(error)).toBe(
      "steps[0].needs[0]: unknown step 'nowhere' (and 1 more)"
    );
    expect(errorMessage(error).split('\n')).toEqual([
      'p.yaml is not a valid pipeline: 2 problems',
      "steps[0].needs[0]: unknown step 'nowhere'",
      'schedule.cron: minute 61 is out of range'
    ]);
    expect(errorSummary(new OrchError('run x not found', 404))).toBe(
      'run x not found'
    );
  });
});
