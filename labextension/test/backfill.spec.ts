import { describe, expect, it } from 'vitest';

import { OrchClient, OrchError } from '../src/api/api';
import {
  IBackfill,
  IBackfillPreview,
  previewBackfill,
  startBackfill
} from '../src/api/backfills';
import {
  backfillErrors,
  backfillRequest,
  IBackfillForm,
  previewText,
  progressText,
  rangeText,
  runTriggerText,
  slotTime
} from '../src/backfill/backfillText';
import { RunningBackfills } from '../src/backfill/runningBackfills';
import { localTime } from '../src/common/format';
import { FakeServer } from './fakeServer';

const DAILY = 'every day at 02:00 (Europe/Paris)';

function preview(overrides: Partial<IBackfillPreview> = {}): IBackfillPreview {
  return {
    pipeline: 'etl',
    version: 3,
    from: '2024-03-01',
    to: '2024-03-07',
    timezone: 'Europe/Paris',
    runs: 7,
    skipped: 0,
    first_slot: '2024-03-01T01:00:00+00:00',
    last_slot: '2024-03-07T01:00:00+00:00',
    max_parallel: 2,
    ...overrides
  };
}

function backfill(overrides: Partial<IBackfill> = {}): IBackfill {
  return {
    id: 'bf-1',
    pipeline: 'etl',
    version: 3,
    status: 'running',
    from: '2024-03-01',
    to: '2024-03-07',
    timezone: 'Europe/Paris',
    start: '2024-02-29T23:00:00+00:00',
    end: '2024-03-07T22:59:59.999999+00:00',
    first_slot: '2024-03-01T01:00:00+00:00',
    last_slot: '2024-03-07T01:00:00+00:00',
    skipped: 0,
    max_parallel: 2,
    parameters: {},
    rerun_succeeded: false,
    created_by: 'alice',
    created_at: '2026-12-06T20:00:00+00:00',
    ended_at: null,
    runs: {
      total: 7,
      succeeded: 2,
      failed: 1,
      cancelled: 0,
      running: 2,
      queued: 0,
      left: 4
    },
    ...overrides
  };
}

const FORM: IBackfillForm = {
  from: '2024-03-01',
  to: '2024-03-03',
  maxParallel: '2',
  rerunSucceeded: false
};

describe('slotTime', () => {
  it('says an instant as a wall time of the schedule’s zone', () => {
    expect(slotTime('2024-03-01T01:00:00+00:00', 'Europe/Paris')).toBe(
      '2024-03-01 02:00'
    );
    // Summer time: UTC+2
    expect(slotTime('2024-07-01T00:30:00Z', 'Europe/Paris')).toBe(
      '2024-07-01 02:30'
    );
    expect(slotTime('2024-03-01T23:00:00Z', 'UTC')).toBe('2024-03-01 23:00');
  });

  it('falls back to the browser’s zone for a zone it does not know', () => {
    const iso = '2024-03-01T01:00:00Z';
    expect(slotTime(iso, 'Mars/Olympus')).toBe(localTime(iso).slice(0, 16));
    expect(slotTime('not a time', 'UTC')).toBe('');
  });
});

describe('previewText', () => {
  it('says how many runs, of which schedule, from which slot to which', () => {
    expect(previewText(preview(), DAILY)).toBe(
      '7 runs, one per slot of every day at 02:00 (Europe/Paris), 2024-03-01 02:00 → 2024-03-07 02:00'
    );
  });

  it('says the slots skipped because a run already succeeded for them', () => {
    expect(
      previewText(
        preview({ runs: 5, skipped: 2, first_slot: '2024-03-03T01:00:00Z' }),
        DAILY
      )
    ).toBe(
      '5 runs, one per slot of every day at 02:00 (Europe/Paris), 2024-03-03 02:00 → 2024-03-07 02:00; 2 slots skipped (already succeeded)'
    );
    expect(
      previewText(
        preview({ runs: 6, skipped: 1, first_slot: '2024-03-02T01:00:00Z' }),
        DAILY
      )
    ).toMatch(/; 1 slot skipped \(already succeeded\)$/);
  });

  it('says one run as its slot', () => {
    expect(
      previewText(
        preview({ runs: 1, last_slot: '2024-03-01T01:00:00+00:00' }),
        DAILY
      )
    ).toBe(
      '1 run, for the slot of every day at 02:00 (Europe/Paris) at 2024-03-01 02:00'
    );
  });

  it('says why it makes no run', () => {
    const none = { runs: 0, first_slot: null, last_slot: null };
    expect(previewText(preview(none), DAILY)).toBe(
      'No runs: no slot of every day at 02:00 (Europe/Paris) falls in this range'
    );
    expect(previewText(preview({ ...none, skipped: 3 }), DAILY)).toBe(
      'No runs to make: a run already succeeded for every slot; 3 slots skipped (already succeeded)'
    );
  });

  it('names the zone when the schedule’s words are not known', () => {
    expect(previewText(preview({ runs: 0, first_slot: null }), null)).toBe(
      'No runs: no slot of its schedule (Europe/Paris) falls in this range'
    );
  });
});

describe('progressText', () => {
  it('counts the runs done, and says those that failed or run', () => {
    expect(progressText(backfill())).toBe('3 of 7 done · 1 failed · 2 running');
  });

  it('leaves out what is none, and says cancelled and queued runs', () => {
    const runs = {
      total: 3,
      succeeded: 3,
      failed: 0,
      cancelled: 0,
      running: 0,
      queued: 0,
      left: 0
    };
    expect(progressText({ runs })).toBe('3 of 3 done');
    expect(
      progressText({
        runs: { ...runs, succeeded: 1, cancelled: 1, queued: 1, left: 1 }
      })
    ).toBe('2 of 3 done · 1 cancelled · 1 queued');
  });

  it('says the range, one day as itself', () => {
    expect(rangeText(backfill())).toBe('2024-03-01 → 2024-03-07');
    expect(rangeText({ from: '2024-03-01', to: '2024-03-01' })).toBe(
      '2024-03-01'
    );
  });
});

describe('runTriggerText', () => {
  it('says a backfill run’s slot', () => {
    const iso = '2024-03-01T01:00:00Z';
    expect(runTriggerText({ trigger: 'backfill', scheduled_for: iso })).toBe(
      `Backfill for ${localTime(iso).slice(0, 16)}`
    );
  });

  it('says other runs’ trigger only', () => {
    expect(
      runTriggerText({
        trigger: 'schedule',
        scheduled_for: '2024-03-01T01:00:00Z'
      })
    ).toBe('Schedule');
    expect(runTriggerText({ trigger: 'backfill', scheduled_for: null })).toBe(
      'Backfill'
    );
  });
});

describe('backfillRequest', () => {
  it('asks for the range, parallelism, re-runs and parameters', () => {
    expect(backfillRequest(FORM, { days: 3 })).toEqual({
      ok: true,
      request: {
        from: '2024-03-01',
        to: '2024-03-03',
        max_parallel: 2,
        rerun_succeeded: false,
        parameters: { days: 3 }
      }
    });
  });

  it('asks nothing until both days are given and the parallelism is 1 to 100', () => {
    const outcome = backfillRequest({ ...FORM, to: '', maxParallel: '0' });
    expect(outcome.ok).toBe(false);
    expect(outcome.ok ? {} : Object.keys(outcome.errors).sort()).toEqual([
      'maxParallel',
      'to'
    ]);
    for (const text of ['101', '1.5', '', 'two']) {
      expect(backfillRequest({ ...FORM, maxParallel: text }).ok).toBe(false);
    }
    expect(backfillRequest({ ...FORM, maxParallel: '100' }).ok).toBe(true);
  });
});

describe('backfillErrors', () => {
  it('puts a refusal beside the field it names', () => {
    const error = new OrchError(
      '--to: 2024-03-01 is before --from 2024-03-07; give the earlier bound first',
      400,
      [
        {
          field: '--to',
          message:
            '2024-03-01 is before --from 2024-03-07; give the earlier bound first'
        }
      ]
    );
    expect(backfillErrors(error)).toEqual({
      to: '2024-03-01 is before --from 2024-03-07; give the earlier bound first'
    });
    const parallel = new OrchError('max_parallel: give ...', 400, [
      { field: 'max_parallel', message: 'give ...' }
    ]);
    expect(backfillErrors(parallel)).toEqual({ maxParallel: 'give ...' });
  });

  it('gives the form what names none of its fields', () => {
    const range = new OrchError('--from/--to: too many', 400, [
      { field: '--from/--to', message: 'too many' }
    ]);
    expect(backfillErrors(range)).toEqual({ form: '--from/--to: too many' });
    const conflict = new OrchError('backfill bf-1 is still running', 409);
    expect(backfillErrors(conflict)).toEqual({
      form: 'backfill bf-1 is still running'
    });
    const parameter = new OrchError('parameters.days: give a number', 400, [
      { field: 'parameters.days', message: 'give a number' }
    ]);
    expect(backfillErrors(parameter)).toEqual({});
  });
});

describe('the backfill API', () => {
  it('asks what a backfill makes with dry_run, and starts it without', async () => {
    const server = new FakeServer().on(
      'POST',
      /^orch\/pipelines\/my%20etl\/backfills$/,
      () => ({
        status: 200,
        body: preview()
      })
    );
    const client = new OrchClient(server.transport);
    const request = backfillRequest(FORM);
    if (!request.ok) {
      throw new Error('the form is complete');
    }
    await previewBackfill(client, 'my etl', request.request);
    await startBackfill(client, 'my etl', request.request);
    expect(server.requests.map(r => r.body)).toEqual([
      { ...request.request, dry_run: true },
      request.request
    ]);
  });
});

describe('RunningBackfills', () => {
  it('shows the running ones, then how one seen running ended, until dismissed', async () => {
    let running = [
      backfill(),
      backfill({ id: 'bf-2', created_at: '2026-12-06T21:00:00Z' })
    ];
    const server = new FakeServer()
      .on('GET', /^orch\/backfills\?status=running$/, () => ({
        status: 200,
        body: { backfills: running }
      }))
      .on('GET', /^orch\/backfills\/bf-1$/, () => ({
        status: 200,
        body: { ...backfill(), status: 'failed' }
      }));
    let changes = 0;
    const shown = new RunningBackfills(
      new OrchClient(server.transport),
      () => changes++
    );
    await shown.refresh();
    expect(shown.backfills.map(b => b.id)).toEqual(['bf-2', 'bf-1']);
    expect(shown.active).toBe(true);

    running = [];
    await shown.refresh();
    // bf-2 is forgotten by the server (404): not shown; bf-1 ended failed
    expect(shown.backfills.map(b => [b.id, b.status])).toEqual([
      ['bf-1', 'failed']
    ]);
    expect(shown.active).toBe(false);
    await shown.refresh();
    expect(server.requests.filter(r => r.path.endsWith('/bf-1'))).toHaveLength(
      1
    );

    shown.dismiss('bf-1');
    expect(shown.backfills).toEqual([]);
    expect(changes).toBe(1);
  });

  it('keeps what it shows when the server cannot say', async () => {
    const server = new FakeServer().on('GET', /^orch\/backfills/, () => ({
      status: 200,
      body: { backfills: [backfill()] }
    }));
    const shown = new RunningBackfills(
      new OrchClient(server.transport),
      () => 0
    );
    await shown.refresh();
    server.on('GET', /^orch\/backfills/, () => ({
      status: 503,
      body: { error: 'store down' }
    }));
    await shown.refresh();
    expect(shown.backfills.map(b => b.id)).toEqual(['bf-1']);
  });

  it('cancels one, and shows one started here at once', async () => {
    const server = new FakeServer().on(
      'POST',
      /^orch\/backfills\/bf-1\/cancel$/,
      () => ({ status: 200, body: backfill({ status: 'cancelled' }) })
    );
    const shown = new RunningBackfills(
      new OrchClient(server.transport),
      () => 0
    );
    shown.add(backfill());
    await shown.cancel('bf-1');
    expect(shown.backfills.map(b => b.status)).toEqual(['cancelled']);
  });
});
