import { describe, expect, it, vi } from 'vitest';

import { statusKind } from '../src/common/format';
import {
  attemptsText,
  notificationEvent,
  notificationRows,
  notificationsPending,
  recipientsText,
  runNotifications
} from '../src/run/notificationView';
import { RunClient, RunDetailModel } from '../src/run/runDetailModel';
import type { INotification, NotificationStatus } from '../src/api/tokens';
import { makeRun } from './fixtures';

function notification(overrides: Partial<INotification> = {}): INotification {
  return {
    id: '0123456789abcdef0123456789abcdef',
    event: 'failure',
    step: null,
    channel: 'team-mail',
    to: [],
    status: 'sent',
    attempts: 1,
    error: null,
    created_at: '2026-11-26T09:00:00Z',
    sent_at: '2026-11-26T09:00:02Z',
    ...overrides
  };
}

describe("a run's notifications", () => {
  it('are none when an older server does not list them', () => {
    expect(runNotifications(makeRun())).toEqual([]);
    expect(notificationRows(makeRun({ notifications: [] }))).toEqual([]);
  });

  it('read their event, step, recipients and attempts', () => {
    expect(notificationEvent(notification())).toBe('Failure');
    expect(
      notificationEvent(notification({ event: 'success', step: 'load' }))
    ).toBe('Success of step load');
    expect(notificationEvent(notification({ event: 'long_running' }))).toBe(
      'Long running'
    );
    expect(notificationEvent(notification({ event: 'missed' }))).toBe(
      'Missed run'
    );
    expect(
      recipientsText(notification({ to: ['ana@example.com', 'b@x.org'] }))
    ).toBe('ana@example.com, b@x.org');
    expect(recipientsText(notification())).toBe('');
    expect(attemptsText(notification({ attempts: 0 }))).toBe('not tried yet');
    expect(attemptsText(notification({ attempts: 1 }))).toBe('1 attempt');
    expect(attemptsText(notification({ attempts: 3 }))).toBe('3 attempts');
  });

  it("show a failed one's error, and a retried one's last error", () => {
    const rows = notificationRows(
      makeRun({
        notifications: [
          notification({ id: 'a', channel: 'outbox' }),
          notification({
            id: 'b',
            channel: 'oncall',
            status: 'failed',
            attempts: 5,
            error: 'HTTP 500 from PagerDuty',
            sent_at: null
          }),
          notification({
            id: 'c',
            status: 'pending',
            attempts: 2,
            error: 'timed out',
            sent_at: null
          }),
          notification({ id: 'd', status: 'failed', error: null })
        ]
      })
    );
    expect(rows.map(r => [r.id, r.channel, r.status, r.error])).toEqual([
      ['a', 'outbox', 'sent', null],
      ['b', 'oncall', 'failed', 'HTTP 500 from PagerDuty'],
      ['c', 'team-mail', 'pending', 'Last attempt failed: timed out'],
      ['d', 'team-mail', 'failed', 'Not delivered']
    ]);
    expect(rows[0].time).toMatch(/^Sent 2026-11-26 /);
    expect(rows[1].time).toMatch(/^Queued 2026-11-26 /);
  });

  it('get a badge colour for each delivery status', () => {
    expect(['sent', 'pending', 'sending', 'failed'].map(statusKind)).toEqual([
      'ok',
      'idle',
      'busy',
      'bad'
    ]);
  });
});

describe('the run detail of a finished run', () => {
  it('keeps fetching until its notifications are delivered', async () => {
    vi.useFakeTimers();
    try {
      const statuses: NotificationStatus[] = ['pending', 'sending', 'sent'];
      let calls = 0;
      const client = {
        getRun: async () =>
          makeRun({
            status: 'failed',
            notifications: [
              notification({ status: statuses[Math.min(calls++, 2)] })
            ]
          }),
        logs: async () => [],
        getPipeline: async () => {
          throw new Error('deleted');
        },
        version: async () => {
          throw new Error('deleted');
        }
      } as unknown as RunClient;
      expect(notificationsPending(await client.getRun('run-1'))).toBe(true);
      calls = 0;
      const model = new RunDetailModel(client, 'run-1', 2000);
      model.start();
      await vi.advanceTimersByTimeAsync(0);
      expect(model.watching).toBe(false); // the run itself is finished
      await vi.advanceTimersByTimeAsync(2000);
      await vi.advanceTimersByTimeAsync(2000);
      expect(notificationRows(model.run!)[0].status).toBe('sent');
      await vi.advanceTimersByTimeAsync(10000);
      expect(calls).toBe(3);
      model.dispose();
    } finally {
      vi.useRealTimers();
    }
  });
});
