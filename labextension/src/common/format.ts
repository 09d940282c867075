/**
 * How statuses, times and durations read in the panel. Pure functions: unit-tested.
 */
import type { JSONValue, RunStatus, StepStatus, Trigger } from '../api/tokens';
import { trans } from './i18n';

/** "Succeeded", "Timed out", "Upstream failed": the status word as the UI shows it. */
export function statusLabel(status: RunStatus | StepStatus | string): string {
  switch (status) {
    case 'queued':
      return trans._p('status', 'Queued');
    case 'pending':
      return trans._p('status', 'Pending');
    case 'running':
      return trans._p('status', 'Running');
    case 'retrying':
      return trans._p('status', 'Retrying');
    case 'succeeded':
      return trans._p('status', 'Succeeded');
    case 'failed':
      return trans._p('status', 'Failed');
    case 'timed_out':
      return trans._p('status', 'Timed out');
    case 'cancelled':
      return trans._p('status', 'Cancelled');
    case 'skipped':
      return trans._p('status', 'Skipped');
    case 'upstream_failed':
      return trans._p('status', 'Upstream failed');
    case 'sending': // a notification's
      return trans._p('status', 'Sending');
    case 'sent':
      return trans._p('status', 'Sent');
  }
  // A status newer than this code: the server's word
  const words = status.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The colour family of a status badge (a CSS modifier: `jp-OrchBadge-<kind>`). */
export function statusKind(
  status: RunStatus | StepStatus | string | null
): 'ok' | 'bad' | 'busy' | 'idle' | 'off' {
  switch (status) {
    case 'succeeded':
    case 'sent': // a notification's
      return 'ok';
    case 'failed':
    case 'timed_out':
    case 'upstream_failed':
      return 'bad';
    case 'running':
    case 'retrying':
    case 'sending':
      return 'busy';
    case 'queued':
    case 'pending':
      return 'idle';
    default:
      return 'off';
  }
}

/** What started a run, in words; a trigger newer than this code as its status-like word. */
export function triggerLabel(trigger: Trigger | string): string {
  switch (trigger) {
    case 'schedule':
      return trans._p('trigger', 'Schedule');
    case 'manual':
      return trans._p('trigger', 'Manual');
    case 'api':
      return trans._p('trigger', 'API');
    case 'webhook':
      return trans._p('trigger', 'Webhook');
    case 'event':
      return trans._p('trigger', 'Event');
    case 'rerun':
      return trans._p('trigger', 'Rerun');
    case 'test':
      return trans._p('trigger', 'Test');
    case 'backfill':
      return trans._p('trigger', 'Backfill');
  }
  return statusLabel(trigger);
}

/** 0.4 s, 12 s, 3 min 05 s, 2 h 10 min. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !isFinite(seconds)) {
    return '';
  }
  if (seconds < 10) {
    return trans.__('%1 s', Math.max(seconds, 0).toFixed(1));
  }
  if (seconds < 60) {
    return trans.__('%1 s', Math.round(seconds));
  }
  const total = Math.round(seconds);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const secs = total % 60;
  if (hours > 0) {
    return trans.__('%1 h %2 min', hours, String(minutes).padStart(2, '0'));
  }
  return trans.__('%1 min %2 s', minutes, String(secs).padStart(2, '0'));
}

/**
 * Whole seconds, for a figure that counts on or down each second: "0 s", "40 s",
 * "2 min 05 s" (no tenths, which would jump by one a tick).
 */
export function formatWholeSeconds(seconds: number): string {
  const whole = Math.max(Math.floor(seconds), 0);
  return whole < 10 ? trans.__('%1 s', whole) : formatDuration(whole);
}

/** The seconds between an ISO start and an end (or now, for what still runs). */
export function elapsedSeconds(
  start: string | null,
  end: string | null,
  now: Date = new Date()
): number | null {
  if (!start) {
    return null;
  }
  const from = Date.parse(start);
  const to = end ? Date.parse(end) : now.getTime();
  if (isNaN(from) || isNaN(to)) {
    return null;
  }
  return Math.max(0, (to - from) / 1000);
}

/** "just now", "5 min ago", "in 3 h", "2 days ago". */
export function relativeTime(
  iso: string | null | undefined,
  now: Date = new Date()
): string {
  if (!iso) {
    return '';
  }
  const then = Date.parse(iso);
  if (isNaN(then)) {
    return '';
  }
  const delta = (then - now.getTime()) / 1000;
  const abs = Math.abs(delta);
  const future = delta >= 0;
  if (abs < 45) {
    return future ? trans.__('in a moment') : trans.__('just now');
  }
  if (abs < 3600) {
    const minutes = Math.round(abs / 60);
    return future
      ? trans.__('in %1 min', minutes)
      : trans.__('%1 min ago', minutes);
  }
  if (abs < 86400) {
    const hours = Math.round(abs / 3600);
    return future ? trans.__('in %1 h', hours) : trans.__('%1 h ago', hours);
  }
  const days = Math.round(abs / 86400);
  return future
    ? trans._n('in %1 day', 'in %1 days', days)
    : trans._n('%1 day ago', '%1 days ago', days);
}

/** A local date and time for tooltips and the run detail, e.g. "2026-11-26 09:00:05". */
export function localTime(iso: string | null | undefined): string {
  if (!iso) {
    return '';
  }
  const date = new Date(iso);
  if (isNaN(date.getTime())) {
    return '';
  }
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  );
}

/** The last part of a run id: enough to tell runs apart in a list. */
export function shortId(id: string): string {
  return id.length > 8 ? id.slice(-8) : id;
}

/** How people tell a pipeline's runs apart: its number, `#42` (the last part of its id for a
 * run made before runs had numbers). */
export function runLabel(run: { id: string; number?: number | null }): string {
  return run.number ? `#${run.number}` : shortId(run.id);
}

/** Seconds as a duration the pipeline file reads: 1800 -> "30m", 5400 -> "1h30m", 45 -> "45s". */
export function durationText(
  value: number | string | null | undefined
): string {
  if (value === null || value === undefined || value === '') {
    return '';
  }
  if (typeof value === 'string') {
    return value;
  }
  let rest = Math.round(value);
  const parts: string[] = [];
  for (const [unit, size] of [
    ['h', 3600],
    ['m', 60],
    ['s', 1]
  ] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join('') || '0s';
}

/**
 * Bytes in decimal units, as the server's `format_bytes` (jupyter_orch/sizes.py) and a
 * pipeline's `max_memory: 4GB` read them: "900 B", "1.5 kB", "256 MB", "4.3 GB".
 */
export function formatBytes(count: number | null | undefined): string {
  if (count === null || count === undefined || !isFinite(count)) {
    return '';
  }
  const unit = BYTE_UNITS.find(([, size]) => count >= size);
  if (!unit) {
    return `${Math.max(Math.trunc(count), 0)} B`;
  }
  const value = count / unit[1];
  return `${value.toFixed(value < 10 ? 1 : 0)} ${unit[0]}`;
}

/** The units `formatBytes` writes, largest first. */
const BYTE_UNITS = [
  ['GB', 1e9],
  ['MB', 1e6],
  ['kB', 1e3]
] as const;

/** The browser's short name for the zone a time is shown in at that date: "CET", "GMT+1". */
export function zoneName(iso: string): string {
  const date = new Date(iso);
  if (isNaN(date.getTime())) {
    return '';
  }
  const part = new Intl.DateTimeFormat(undefined, { timeZoneName: 'short' })
    .formatToParts(date)
    .find(p => p.type === 'timeZoneName');
  return part?.value ?? '';
}

/** A local time with its zone, for hovers and the run detail: "2026-11-26 09:00:05 CET". */
export function zonedTime(iso: string | null | undefined): string {
  const local = localTime(iso);
  const zone = local && iso ? zoneName(iso) : '';
  return zone ? `${local} ${zone}` : local;
}

/** A value as compact JSON: `"2024-03-31"`, `7`, `["a","b"]`. */
export function formatValue(value: JSONValue | undefined): string {
  if (value === undefined) {
    return '';
  }
  return JSON.stringify(value) ?? String(value);
}

/** Text cut to `max` characters with an ellipsis. */
export function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
