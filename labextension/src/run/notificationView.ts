/**
 * How a run's notifications (what it sent to the pipeline's `notify:` channels) read in the run
 * detail. Pure functions: unit-tested.
 */
import { localTime } from '../common/format';
import { trans } from '../common/i18n';
import type { INotification, IRun, NotificationEvent } from '../api/tokens';

/** What a notification was about, in words; an event newer than this code as the server's. */
function eventLabel(event: NotificationEvent | string): string {
  switch (event) {
    case 'failure':
      return trans._p('notification event', 'Failure');
    case 'success':
      return trans._p('notification event', 'Success');
    case 'recovery':
      return trans._p('notification event', 'Recovery');
    case 'long_running':
      return trans._p('notification event', 'Long running');
    case 'missed':
      return trans._p('notification event', 'Missed run');
  }
  return event.charAt(0).toUpperCase() + event.slice(1).replace(/_/g, ' ');
}

/** The run's notifications, oldest first as the server lists them; none from an older server. */
export function runNotifications(
  run: Pick<IRun, 'notifications'>
): INotification[] {
  return Array.isArray(run.notifications) ? run.notifications : [];
}

/** Whether a notification is still to be delivered (the detail keeps fetching meanwhile). */
export function notificationsPending(
  run: Pick<IRun, 'notifications'>
): boolean {
  return runNotifications(run).some(
    n => n.status === 'pending' || n.status === 'sending'
  );
}

/** "Failure", "Failure of step load", "Long running". */
export function notificationEvent(
  n: Pick<INotification, 'event' | 'step'>
): string {
  const label = eventLabel(n.event);
  return n.step ? trans.__('%1 of step %2', label, n.step) : label;
}

/** "ana@example.com, bob@example.com"; "" when the channel's own recipients are used. */
export function recipientsText(n: Pick<INotification, 'to'>): string {
  return (Array.isArray(n.to) ? n.to : []).join(', ');
}

/** "1 attempt", "3 attempts", "not tried yet". */
export function attemptsText(n: Pick<INotification, 'attempts'>): string {
  const count = typeof n.attempts === 'number' ? n.attempts : 0;
  if (count <= 0) {
    return trans.__('not tried yet');
  }
  return trans._n('%1 attempt', '%1 attempts', count);
}

/** When it was sent, or queued: a tooltip. */
export function notificationTime(
  n: Pick<INotification, 'status' | 'created_at' | 'sent_at'>
): string {
  if (n.sent_at) {
    return trans.__('Sent %1', localTime(n.sent_at));
  }
  const queued = localTime(n.created_at);
  return queued ? trans.__('Queued %1', queued) : '';
}

/** Why a failed notification was not delivered; a retried one's last error. */
function errorText(n: Pick<INotification, 'status' | 'error'>): string | null {
  if (n.status === 'failed') {
    return n.error || trans.__('Not delivered');
  }
  if (n.status !== 'sent' && n.error) {
    return trans.__('Last attempt failed: %1', n.error);
  }
  return null;
}

/** One notification as the run detail lists it. */
export interface INotificationRow {
  id: string;
  event: string;
  channel: string;
  recipients: string;
  status: INotification['status'];
  attempts: string;
  /** Why it failed (or why the last attempt did, while it is retried). */
  error: string | null;
  time: string;
}

export function notificationRows(
  run: Pick<IRun, 'notifications'>
): INotificationRow[] {
  return runNotifications(run).map(n => ({
    id: n.id,
    event: notificationEvent(n),
    channel: n.channel,
    recipients: recipientsText(n),
    status: n.status,
    attempts: attemptsText(n),
    error: errorText(n),
    time: notificationTime(n)
  }));
}
