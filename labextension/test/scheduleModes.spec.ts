import { describe, expect, it } from 'vitest';

import {
  cronFromDraft,
  draftFromCron,
  draftNote,
  IScheduleDraft,
  ScheduleMode,
  switchMode
} from '../src/common/scheduleModes';

/** The draft's mode with the fields that mode shows. */
function shown(draft: IScheduleDraft): Record<string, unknown> {
  const fields: Record<ScheduleMode, (keyof IScheduleDraft)[]> = {
    once: [],
    minutes: ['minutes'],
    hours: ['hours'],
    daily: ['time'],
    weekly: ['days', 'time'],
    monthly: ['day', 'time'],
    custom: ['cron']
  };
  return Object.fromEntries([
    ['mode', draft.mode],
    ...fields[draft.mode].map(key => [key, draft[key]])
  ]);
}

describe('draftFromCron', () => {
  it.each([
    ['', { mode: 'once' }],
    ['  ', { mode: 'once' }],
    ['*/15 * * * *', { mode: 'minutes', minutes: '15' }],
    ['* * * * *', { mode: 'minutes', minutes: '1' }],
    ['0 */6 * * *', { mode: 'hours', hours: '6' }],
    ['0 * * * *', { mode: 'hours', hours: '1' }],
    ['@hourly', { mode: 'hours', hours: '1' }],
    ['30 7 * * *', { mode: 'daily', time: '07:30' }],
    ['00 07 * * *', { mode: 'daily', time: '07:00' }],
    ['@daily', { mode: 'daily', time: '00:00' }],
    ['@MIDNIGHT', { mode: 'daily', time: '00:00' }],
    ['0 9 * * 1-5', { mode: 'weekly', days: [1, 2, 3, 4, 5], time: '09:00' }],
    [
      '0 9 * * MON-fri',
      { mode: 'weekly', days: [1, 2, 3, 4, 5], time: '09:00' }
    ],
    ['0 18 * * 0,6', { mode: 'weekly', days: [0, 6], time: '18:00' }],
    ['0 18 * * 5-7', { mode: 'weekly', days: [0, 5, 6], time: '18:00' }],
    ['0 18 * * 7', { mode: 'weekly', days: [0], time: '18:00' }],
    ['@weekly', { mode: 'weekly', days: [0], time: '00:00' }],
    ['15 8 1 * *', { mode: 'monthly', day: '1', time: '08:15' }],
    ['0 6 31 * *', { mode: 'monthly', day: '31', time: '06:00' }],
    ['@monthly', { mode: 'monthly', day: '1', time: '00:00' }]
  ])('reads %j in its words', (cron, expected) => {
    expect(shown(draftFromCron(cron))).toEqual(expected);
  });

  it.each([
    'not a cron',
    '@yearly',
    '@every_minute',
    '0 9 * * 1/2',
    '0 9 * * */2',
    '0 9 * * 5-1',
    '0 9 * * mon-',
    '0 9 1 * 1',
    '0 9 1-15 * *',
    '0 9 L * *',
    '0 9 * 1 *',
    '0 9,17 * * *',
    '30 */6 * * *',
    '0 */24 * * *',
    '*/60 * * * *',
    '*/0 * * * *',
    '60 9 * * *',
    '0 24 * * *',
    '0 9 32 * *',
    '0 0 9 * * *',
    '0 9 * *'
  ])('reads %j as a custom cron, as written', cron => {
    expect(shown(draftFromCron(cron))).toEqual({ mode: 'custom', cron });
  });
});

describe('cronFromDraft', () => {
  const draft = (change: Partial<IScheduleDraft>): IScheduleDraft => ({
    ...draftFromCron(''),
    ...change
  });

  it.each([
    [{ mode: 'once' }, ''],
    [{ mode: 'minutes', minutes: '5' }, '*/5 * * * *'],
    [{ mode: 'minutes', minutes: '1' }, '* * * * *'],
    [{ mode: 'minutes', minutes: ' 05 ' }, '*/5 * * * *'],
    [{ mode: 'hours', hours: '6' }, '0 */6 * * *'],
    [{ mode: 'hours', hours: '1' }, '0 * * * *'],
    [{ mode: 'daily', time: '07:30' }, '30 7 * * *'],
    [{ mode: 'daily', time: '7:05' }, '5 7 * * *'],
    [{ mode: 'weekly', days: [1, 2, 3, 4, 5], time: '09:00' }, '0 9 * * 1-5'],
    [{ mode: 'weekly', days: [1, 3, 5], time: '09:00' }, '0 9 * * 1,3,5'],
    [
      { mode: 'weekly', days: [0, 1, 2, 4, 5], time: '09:00' },
      '0 9 * * 0-2,4,5'
    ],
    [
      { mode: 'weekly', days: [0, 1, 2, 3, 4, 5, 6], time: '09:00' },
      '0 9 * * *'
    ],
    [{ mode: 'monthly', day: '1', time: '08:15' }, '15 8 1 * *'],
    [{ mode: 'custom', cron: '0 9 * * 1-5' }, '0 9 * * 1-5']
  ] as [Partial<IScheduleDraft>, string][])(
    'writes %j as %j',
    (change, cron) => {
      expect(cronFromDraft(draft(change))).toEqual({ cron, problem: null });
    }
  );

  const MINUTES = 'Minutes between runs: give a whole number from 1 to 59';
  const HOURS = 'Hours between runs: give a whole number from 1 to 23';
  const TIME = 'Time: give a time from 00:00 to 23:59, e.g. 07:30';
  const DAY = 'Day of the month: give a whole number from 1 to 31';
  it.each([
    [{ mode: 'minutes', minutes: '0' }, MINUTES],
    [{ mode: 'minutes', minutes: '60' }, MINUTES],
    [{ mode: 'minutes', minutes: '' }, MINUTES],
    [{ mode: 'hours', hours: '24' }, HOURS],
    [{ mode: 'hours', hours: '1.5' }, HOURS],
    [{ mode: 'daily', time: '' }, TIME],
    [{ mode: 'daily', time: '24:00' }, TIME],
    [{ mode: 'daily', time: '7.30' }, TIME],
    [{ mode: 'weekly', days: [] }, 'Days: choose at least one day'],
    [{ mode: 'monthly', day: '32' }, DAY],
    [{ mode: 'monthly', day: 'L' }, DAY],
    [{ mode: 'custom', cron: ' ' }, 'Cron: give a cron such as 0 9 * * 1-5']
  ] as [Partial<IScheduleDraft>, string][])('refuses %j', (change, problem) => {
    const made = cronFromDraft(draft(change));
    expect(made.problem).toBe(problem);
    if (change.mode !== 'custom') {
      // Never a schedule the server would take for what the fields say
      expect(draftFromCron(made.cron).mode).toBe('custom');
    }
  });

  it('lists every field to fix', () => {
    expect(
      cronFromDraft(draft({ mode: 'weekly', days: [], time: '' })).problem
    ).toBe(`${TIME}\nDays: choose at least one day`);
  });

  it('keeps out-of-range numbers as typed, so the server names the range too', () => {
    expect(cronFromDraft(draft({ mode: 'minutes', minutes: '75' })).cron).toBe(
      '*/75 * * * *'
    );
    expect(cronFromDraft(draft({ mode: 'daily', time: '25:00' })).cron).toBe(
      'none none * * *'
    );
    expect(cronFromDraft(draft({ mode: 'monthly', day: 'L' })).cron).toBe(
      '0 9 none * *'
    );
  });
});

describe('round trips', () => {
  it.each([
    '*/5 * * * *',
    '*/59 * * * *',
    '* * * * *',
    '0 */6 * * *',
    '0 */23 * * *',
    '0 * * * *',
    '30 7 * * *',
    '0 0 * * *',
    '59 23 * * *',
    '0 9 * * 1-5',
    '0 9 * * 0,6',
    '0 9 * * 1,3,5',
    '0 9 * * 0-3,5',
    '15 8 1 * *',
    '0 12 31 * *',
    '0 9 * * 1/2'
  ])('%j -> draft -> the same cron', cron => {
    expect(cronFromDraft(draftFromCron(cron))).toEqual({ cron, problem: null });
  });

  it.each([
    ['@daily', '0 0 * * *'],
    ['@weekly', '0 0 * * 0'],
    ['00 07 * * *', '0 7 * * *'],
    ['0 9 * * mon-fri', '0 9 * * 1-5'],
    ['0 9 * * 7', '0 9 * * 0']
  ])('%j is written as %j once edited', (cron, written) => {
    expect(cronFromDraft(draftFromCron(cron)).cron).toBe(written);
  });

  it('reads every weekly choice back as it was made', () => {
    for (let set = 1; set < 127; set++) {
      const days = [0, 1, 2, 3, 4, 5, 6].filter(day => set & (1 << day));
      const made = cronFromDraft({
        ...draftFromCron(''),
        mode: 'weekly',
        days,
        time: '06:45'
      });
      expect(shown(draftFromCron(made.cron))).toEqual({
        mode: 'weekly',
        days,
        time: '06:45'
      });
    }
  });
});

describe('switchMode', () => {
  it('keeps the time and days across modes', () => {
    let draft = switchMode(draftFromCron(''), 'daily');
    draft = { ...draft, time: '07:30' };
    draft = switchMode(draft, 'weekly');
    expect(shown(draft)).toEqual({
      mode: 'weekly',
      days: [1, 2, 3, 4, 5],
      time: '07:30'
    });
    expect(cronFromDraft(switchMode(draft, 'monthly')).cron).toBe('30 7 1 * *');
  });

  it('starts a custom cron from the mode left', () => {
    const weekly = draftFromCron('0 9 * * 1-5');
    expect(switchMode(weekly, 'custom').cron).toBe('0 9 * * 1-5');
    expect(switchMode(draftFromCron(''), 'custom').cron).toBe('0 9 * * *');
    const unfinished = { ...draftFromCron('0 9 * * *'), time: '' };
    expect(switchMode(unfinished, 'custom').cron).toBe('0 9 * * *');
  });

  it('reads a custom cron into the mode chosen when it fits', () => {
    const custom = { ...draftFromCron('@yearly'), cron: '45 6 * * *' };
    expect(shown(switchMode(custom, 'daily'))).toEqual({
      mode: 'daily',
      time: '06:45'
    });
    expect(shown(switchMode(custom, 'weekly'))).toEqual({
      mode: 'weekly',
      days: [1, 2, 3, 4, 5],
      time: '06:45'
    });
    expect(shown(switchMode(custom, 'once'))).toEqual({ mode: 'once' });
  });
});

describe('draftNote', () => {
  it('says when steps do not divide the hour or the day', () => {
    expect(draftNote(draftFromCron('*/15 * * * *'))).toBeNull();
    expect(draftNote(draftFromCron('*/7 * * * *'))).toBe(
      '7 does not divide 60: the count restarts each hour, so the last gap of each hour is 4 minutes.'
    );
    expect(draftNote(draftFromCron('0 */6 * * *'))).toBeNull();
    expect(draftNote(draftFromCron('0 */5 * * *'))).toBe(
      '5 does not divide 24: the count restarts each day, so the last gap of each day is 4 hours.'
    );
  });

  it('says that months without the day are skipped', () => {
    expect(draftNote(draftFromCron('0 9 28 * *'))).toBeNull();
    expect(draftNote(draftFromCron('0 9 31 * *'))).toBe(
      'Months without a day 31 are skipped, as cron does.'
    );
  });

  it('says nothing about a draft still to fix', () => {
    expect(
      draftNote({ ...draftFromCron('*/7 * * * *'), minutes: '' })
    ).toBeNull();
  });
});
