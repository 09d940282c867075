import { describe, expect, it } from 'vitest';

import {
  elapsedSeconds,
  formatBytes,
  formatDuration,
  formatWholeSeconds,
  relativeTime,
  runLabel,
  statusKind,
  statusLabel,
  triggerLabel
} from '../src/common/format';

describe('statusLabel', () => {
  it('capitalises and spaces stored status words', () => {
    expect(statusLabel('succeeded')).toBe('Succeeded');
    expect(statusLabel('timed_out')).toBe('Timed out');
    expect(statusLabel('upstream_failed')).toBe('Upstream failed');
  });
});

describe('statusKind', () => {
  it('groups statuses into badge colours', () => {
    expect(statusKind('succeeded')).toBe('ok');
    expect(statusKind('failed')).toBe('bad');
    expect(statusKind('timed_out')).toBe('bad');
    expect(statusKind('retrying')).toBe('busy');
    expect(statusKind('queued')).toBe('idle');
    expect(statusKind('cancelled')).toBe('off');
    expect(statusKind(null)).toBe('off');
  });
});

describe('triggerLabel', () => {
  it('names every trigger', () => {
    expect(triggerLabel('api')).toBe('API');
    expect(triggerLabel('schedule')).toBe('Schedule');
    expect(triggerLabel('something_new')).toBe('Something new');
  });
});

describe('formatDuration', () => {
  it('reads at every scale', () => {
    expect(formatDuration(0.42)).toBe('0.4 s');
    expect(formatDuration(12.4)).toBe('12 s');
    expect(formatDuration(185)).toBe('3 min 05 s');
    expect(formatDuration(7800)).toBe('2 h 10 min');
    expect(formatDuration(null)).toBe('');
    expect(formatDuration(NaN)).toBe('');
  });
});

describe('formatWholeSeconds', () => {
  it.each([
    [0.42, '0 s'],
    [9.99, '9 s'],
    [40, '40 s'],
    [125.9, '2 min 05 s'],
    [-3, '0 s']
  ])('writes %s s as "%s", in whole seconds', (seconds, text) => {
    expect(formatWholeSeconds(seconds)).toBe(text);
  });
});

describe('elapsedSeconds and relativeTime', () => {
  const now = new Date('2026-11-26T12:00:00Z');
  it('measures from start to end, or to now while running', () => {
    expect(
      elapsedSeconds('2026-11-26T11:59:00Z', '2026-11-26T11:59:30Z', now)
    ).toBe(30);
    expect(elapsedSeconds('2026-11-26T11:58:00Z', null, now)).toBe(120);
    expect(elapsedSeconds(null, null, now)).toBeNull();
  });
  it('says how long ago or how soon', () => {
    expect(relativeTime('2026-11-26T11:59:50Z', now)).toBe('just now');
    expect(relativeTime('2026-11-26T11:55:00Z', now)).toBe('5 min ago');
    expect(relativeTime('2026-11-26T15:00:00Z', now)).toBe('in 3 h');
    expect(relativeTime('2026-11-24T12:00:00Z', now)).toBe('2 days ago');
    expect(relativeTime(null, now)).toBe('');
  });
});

describe('formatBytes', () => {
  // Decimal units, as the server's format_bytes (jupyter_orch/sizes.py) writes them
  it.each([
    [0, '0 B'],
    [999, '999 B'],
    [1000, '1.0 kB'],
    [1500, '1.5 kB'],
    [9_940_000, '9.9 MB'],
    [256_000_000, '256 MB'],
    [1e9, '1.0 GB'],
    [4_321_000_000, '4.3 GB'],
    [12e9, '12 GB'],
    [null, ''],
    [NaN, '']
  ])('writes %s bytes as "%s"', (count, text) => {
    expect(formatBytes(count)).toBe(text);
  });
});

describe('durationText', () => {
  it('writes seconds as the pipeline file reads them', async () => {
    const { durationText } = await import('../src/common/format');
    expect(durationText(1800)).toBe('30m');
    expect(durationText(5400)).toBe('1h30m');
    expect(durationText(45)).toBe('45s');
    expect(durationText(3725)).toBe('1h2m5s');
    expect(durationText('5m')).toBe('5m');
    expect(durationText(null)).toBe('');
  });
});

describe('runLabel', () => {
  it('is the run number, or the end of the id for a run without one', () => {
    expect(runLabel({ id: '01M94E3025X4TPW90QPZJ681A2', number: 42 })).toBe(
      '#42'
    );
    expect(runLabel({ id: '01M94E3025X4TPW90QPZJ681A2', number: null })).toBe(
      'PZJ681A2'
    );
  });
});
