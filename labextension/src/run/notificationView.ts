/**
 * How a run's notifications (what it sent to the pipeline's `notify:` channels) read in the run
 * detail. Pure functions: unit-tested.
 */
import { localTime } from '../common/format';
import type { INotification, IRun, NotificationEvent } from '../api/tokens';

const EVENT_LABELS: Record<NotificationEvent, string> = {
  failure: 'Failure',
  success: 'Success',
  recovery: 'Recovery',
  long_running: 'Long running',
  missed: 'Missed run'
};

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
  const label =
    EVENT_LABELS[n.event] ??
    n.event.charAt(0).toUpperCase() + n.event.slice(1).replace(/_/g, ' ');
  return n.step ? `${label} of step ${n.step}` : label;
}

/** "ana@example.com, bob@example.com"; "" when the channel's own recipients are used. */
export function recipientsText(n: Pick<INotification, 'to'>): string {
  return (Array.isArray(n.to) ? n.to : []).join(', ');
}

/** "1 attempt", "3 attempts", "not tried yet". */
export function attemptsText(n: Pick<INotification, 'attempts'>): string {
  const count = typeof n.attempts === 'number' ? n.attempts : 0;
  if (count <= 0) {
    return 'not tried yet';
  }
  return `${count} attempt${count === 1 ? '' : 's'}`;
}

/** When it was sent, or queued: a tooltip. */
export function notificationTime(
  n: Pick<INotification, 'status' | 'created_at' | 'sent_at'>
): string {
  if (n.sent_at) {
    return `Sent ${localTime(n.sent_at)}`;
  }
  const queued = localTime(n.created_at);
  return queued ? `Queued ${queued}` : '';
}

/** Why a failed notification was not delivered; a retried one's last error. */
function errorText(n: Pick<INotification, 'status' | 'error'>): string | null {
  if (n.status === 'failed') {
    return n.error || 'Not delivered';
  }
  if (n.status !== 'sent' && n.error) {
    return `Last attempt failed: ${n.error}`;
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
