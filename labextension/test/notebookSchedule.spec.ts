import { describe, expect, it } from 'vitest';

import { OrchClient } from '../src/api/api';
import type { IScheduleNotebookRequest } from '../src/api/tokens';
import { saveNotebookPipeline } from '../src/dialogs/notebookSchedule';
import { FakeServer, fakeRun } from './fakeServer';

const SAVED = { name: 'report', created: true, notebook: 'report.ipynb' };

function server(): FakeServer {
  return new FakeServer()
    .on('POST', /^orch\/notebooks\/schedule$/, request => {
      const body = request.body as IScheduleNotebookRequest;
      return {
        status: 201,
        body: {
          ...SAVED,
          schedule: body.schedule,
          ...(body.run_now ? { run: fakeRun('r1', 'queued', 'report') } : {})
        }
      };
    })
    .on('PATCH', /^orch\/pipelines\/report$/, () => ({
      status: 200,
      body: { name: 'report', schedule: null }
    }))
    .on('POST', /^orch\/pipelines\/report\/runs$/, () => ({
      status: 201,
      body: fakeRun('r2', 'queued', 'report')
    }));
}

const REQUEST = { path: 'report.ipynb', parameters: { days: 3 }, retries: 1 };
const DAILY = { cron: '30 7 * * *', timezone: 'Europe/Berlin' };

/** Saves REQUEST with `cron` on `fake`; what came back and the requests sent. */
async function save(fake: FakeServer, cron: string, runNow = false) {
  const saved = await saveNotebookPipeline(
    new OrchClient(fake.transport),
    REQUEST,
    { cron, timezone: 'Europe/Berlin' },
    runNow
  );
  return { saved, sent: fake.requests.map(r => [r.method, r.path, r.body]) };
}

describe('saveNotebookPipeline', () => {
  it('saves a schedule in one request', async () => {
    const { saved, sent } = await save(server(), DAILY.cron);
    expect(sent).toEqual([
      [
        'POST',
        'orch/notebooks/schedule',
        { ...REQUEST, schedule: DAILY, run_now: false }
      ]
    ]);
    expect(saved.run).toBeNull();
    expect(saved.pipeline.schedule).toEqual(DAILY);
  });

  it('runs a schedule now with "Run now"', async () => {
    const { saved, sent } = await save(server(), DAILY.cron, true);
    expect(sent).toHaveLength(1);
    expect(sent[0][2]).toMatchObject({ run_now: true });
    expect(saved.run?.id).toBe('r1');
  });

  it('saves "once" without a schedule and starts a run, in one request', async () => {
    const { saved, sent } = await save(server(), '');
    expect(sent).toEqual([
      [
        'POST',
        'orch/notebooks/schedule',
        { ...REQUEST, schedule: null, run_now: true }
      ]
    ]);
    expect(saved.run?.id).toBe('r1');
  });

  it('starts no run when the pipeline could not be saved', async () => {
    const fake = server().on('POST', /^orch\/notebooks\/schedule$/, () => ({
      status: 400,
      body: { message: 'parameters: no such parameter', details: [] }
    }));
    await expect(save(fake, '')).rejects.toThrow(
      'parameters: no such parameter'
    );
    expect(fake.requests).toHaveLength(1);
  });
});
