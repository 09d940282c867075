/**
 * Schedules in plain words: the modes the schedule editor offers ("every day at 07:30") and
 * their cron, both ways. A draft holds the editor's fields as typed; `cronFromDraft` makes its
 * cron (with what to fix when it is not a schedule yet) and `draftFromCron` reads a cron back
 * into the mode it matches, or into "custom". No React here. The words are read when asked
 * (getters), so that they are in the user's language.
 */
import { trans } from './i18n';

export type ScheduleMode =
  'once' | 'minutes' | 'hours' | 'daily' | 'weekly' | 'monthly' | 'custom';

/** The modes with a schedule, in the order the editor offers them (after "once"). */
export const SCHEDULE_MODES: readonly {
  mode: Exclude<ScheduleMode, 'once'>;
  label: string;
}[] = [
  modeChoice('minutes', () => trans.__('Every N minutes')),
  modeChoice('hours', () => trans.__('Every N hours')),
  modeChoice('daily', () => trans.__('Every day at')),
  modeChoice('weekly', () => trans.__('Every week on')),
  modeChoice('monthly', () => trans.__('Every month on day')),
  modeChoice('custom', () => trans.__('Custom cron'))
];

/** A mode whose label is read when asked. */
function modeChoice(
  mode: Exclude<ScheduleMode, 'once'>,
  label: () => string
): { mode: Exclude<ScheduleMode, 'once'>; label: string } {
  return {
    mode,
    get label() {
      return label();
    }
  };
}

/** Weekdays Monday first, with cron's numbers (0 is Sunday). */
export const WEEKDAYS: readonly { day: number; short: string; name: string }[] =
  [
    weekday(1, () => [trans.__('Mon'), trans.__('Monday')]),
    weekday(2, () => [trans.__('Tue'), trans.__('Tuesday')]),
    weekday(3, () => [trans.__('Wed'), trans.__('Wednesday')]),
    weekday(4, () => [trans.__('Thu'), trans.__('Thursday')]),
    weekday(5, () => [trans.__('Fri'), trans.__('Friday')]),
    weekday(6, () => [trans.__('Sat'), trans.__('Saturday')]),
    weekday(0, () => [trans.__('Sun'), trans.__('Sunday')])
  ];

/** A weekday whose short and long names are read when asked. */
function weekday(
  day: number,
  names: () => [string, string]
): { day: number; short: string; name: string } {
  return {
    day,
    get short() {
      return names()[0];
    },
    get name() {
      return names()[1];
    }
  };
}

/** "Every N minutes" and "every N hours": N's field, label and range, and the cron of N. */
export const EVERY_N = {
  minutes: {
    get label() {
      return trans.__('Minutes between runs');
    },
    max: 59,
    cron: (n: string) => (n === '1' ? '* * * * *' : `*/${n} * * * *`)
  },
  hours: {
    get label() {
      return trans.__('Hours between runs');
    },
    max: 23,
    cron: (n: string) => (n === '1' ? '0 * * * *' : `0 */${n} * * *`)
  }
} as const;

export interface IScheduleDraft {
  mode: ScheduleMode;
  /** Every N minutes: N as typed. */
  minutes: string;
  /** Every N hours: N as typed. */
  hours: string;
  /** Daily, weekly and monthly: "HH:MM" as typed. */
  time: string;
  /** Weekly: cron weekday numbers, 0 (Sunday) to 6, ascending. */
  days: number[];
  /** Monthly: the day of the month as typed. */
  day: string;
  /** Custom: the cron as typed. */
  cron: string;
}

export interface IDraftCron {
  /** Empty for "once"; never a valid cron while `problem` is set. */
  cron: string;
  /** What to fix, one line per field; null when `cron` is the schedule. */
  problem: string | null;
}

const DEFAULT_DRAFT: IScheduleDraft = {
  mode: 'once',
  minutes: '15',
  hours: '1',
  time: '09:00',
  days: [1, 2, 3, 4, 5],
  day: '1',
  cron: ''
};

/** The server's presets (jupyter_orch/scheduling/schedules.py), read as their expressions. */
const PRESETS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *'
};

const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
/** Put in a field the user has not given yet: the server refuses it too. */
const MISSING = 'none';

// --- cron -> draft --------------------------------------------------------------------------

/** The mode `cron` matches, with its fields; "once" for none, "custom" for anything else. */
export function draftFromCron(cron: string): IScheduleDraft {
  const text = cron.trim();
  if (!text) {
    return { ...DEFAULT_DRAFT };
  }
  const fields = (PRESETS[text.toLowerCase()] ?? text).split(/\s+/);
  const read = fields.length === 5 ? readFields(fields) : null;
  return { ...DEFAULT_DRAFT, ...(read ?? { mode: 'custom' }), cron: text };
}

function readFields(fields: string[]): Partial<IScheduleDraft> | null {
  const [minute, hour, day, month, weekday] = fields;
  if (month !== '*') {
    return null;
  }
  if (day === '*' && weekday === '*') {
    const minutes = everyN(minute, 59);
    if (minutes !== null && hour === '*') {
      return { mode: 'minutes', minutes: String(minutes) };
    }
    const hours = everyN(hour, 23);
    if (hours !== null && whole(minute, 0, 0) !== null) {
      return { mode: 'hours', hours: String(hours) };
    }
  }
  const time = timeText(minute, hour);
  if (time === null) {
    return null;
  }
  if (day === '*' && weekday === '*') {
    return { mode: 'daily', time };
  }
  if (day === '*') {
    const days = readWeekdays(weekday);
    return days && { mode: 'weekly', time, days };
  }
  const monthDay = whole(day, 1, 31);
  return weekday === '*' && monthDay !== null
    ? { mode: 'monthly', time, day: String(monthDay) }
    : null;
}

/** N of `*`/N (`*` is 1), from 1 to `high`; null for anything else. */
function everyN(field: string, high: number): number | null {
  if (field === '*') {
    return 1;
  }
  return field.startsWith('*/') ? whole(field.slice(2), 1, high) : null;
}

function timeText(minute: string, hour: string): string | null {
  const m = whole(minute, 0, 59);
  const h = whole(hour, 0, 23);
  return m === null || h === null ? null : `${pad(h)}:${pad(m)}`;
}

/** `1-5`, `mon,wed`, `0,6`, `5-7`: the days, ascending; null for steps or anything else. */
function readWeekdays(field: string): number[] | null {
  const days = new Set<number>();
  for (const part of field.split(',')) {
    const ends = part.split('-');
    const from = weekdayNumber(ends[0]);
    const to = ends.length === 2 ? weekdayNumber(ends[1]) : from;
    if (ends.length > 2 || from === null || to === null || from > to) {
      return null;
    }
    for (let day = from; day <= to; day++) {
      days.add(day % 7); // 7 is Sunday too
    }
  }
  return [...days].sort((a, b) => a - b);
}

function weekdayNumber(text: string): number | null {
  const named = DAY_NAMES.indexOf(text.toLowerCase());
  return named >= 0 ? named : whole(text, 0, 7);
}

// --- draft -> cron --------------------------------------------------------------------------

/** The draft's cron, or what to fix in it. */
export function cronFromDraft(draft: IScheduleDraft): IDraftCron {
  switch (draft.mode) {
    case 'once':
      return { cron: '', problem: null };
    case 'custom':
      return {
        cron: draft.cron,
        problem: draft.cron.trim()
          ? null
          : trans.__('Cron: give a cron such as 0 9 * * 1-5')
      };
    case 'minutes':
    case 'hours': {
      const { label, max, cron } = EVERY_N[draft.mode];
      const problems: string[] = [];
      const n = wholeField(draft[draft.mode], 1, max, label, problems);
      return { cron: cron(n), problem: problems[0] ?? null };
    }
  }
  const problems: string[] = [];
  const at = cronTime(draft.time, problems);
  let day = '*';
  let weekday = '*';
  if (draft.mode === 'weekly') {
    weekday = weekdaysText(draft.days);
    if (!draft.days.length) {
      problems.push(trans.__('Days: choose at least one day'));
    }
  } else if (draft.mode === 'monthly') {
    day = wholeField(draft.day, 1, 31, trans.__('Day of the month'), problems);
  }
  return {
    cron: `${at} ${day} * ${weekday}`,
    problem: problems.length ? problems.join('\n') : null
  };
}

/** "minute hour" of an "HH:MM" time. */
function cronTime(time: string, problems: string[]): string {
  const match = /^(\d{1,2}):(\d{2})$/.exec(time.trim());
  const hour = match ? whole(match[1], 0, 23) : null;
  const minute = match ? whole(match[2], 0, 59) : null;
  if (hour === null || minute === null) {
    problems.push(
      trans.__('Time: give a time from 00:00 to 23:59, e.g. 07:30')
    );
    return `${MISSING} ${MISSING}`;
  }
  return `${minute} ${hour}`;
}

/**
 * A whole number from `low` to `high` as cron writes it; else a problem and the field as
 * typed when that is digits (the server then names the range too), or a word it refuses.
 */
function wholeField(
  typed: string,
  low: number,
  high: number,
  label: string,
  problems: string[]
): string {
  const n = whole(typed, low, high);
  if (n !== null) {
    return String(n);
  }
  problems.push(
    trans.__('%1: give a whole number from %2 to %3', label, low, high)
  );
  return /^\d+$/.test(typed.trim()) ? typed.trim() : MISSING;
}

/** Days as cron lists them: runs of three or more as ranges (`1-5`), all seven as `*`. */
function weekdaysText(days: readonly number[]): string {
  const sorted = [...new Set(days)].sort((a, b) => a - b);
  if (!sorted.length) {
    return MISSING;
  }
  if (sorted.length === 7) {
    return '*';
  }
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) {
      j++;
    }
    parts.push(
      j - i >= 2
        ? `${sorted[i]}-${sorted[j]}`
        : sorted.slice(i, j + 1).join(',')
    );
    i = j + 1;
  }
  return parts.join(',');
}

// --- editing --------------------------------------------------------------------------------

/**
 * The draft in another mode, keeping what carries over (the time, the days). Custom starts
 * from the cron of the mode left; leaving custom reads its cron's fields when they fit.
 */
export function switchMode(
  draft: IScheduleDraft,
  mode: ScheduleMode
): IScheduleDraft {
  if (mode === 'custom') {
    const from: IScheduleDraft =
      draft.mode === 'once' ? { ...draft, mode: 'daily' } : draft;
    const made = cronFromDraft(from);
    return { ...draft, mode, cron: made.problem ? draft.cron : made.cron };
  }
  if (draft.mode === 'custom') {
    const read = draftFromCron(draft.cron);
    const fields =
      read.mode === 'custom' || read.mode === 'once' ? draft : read;
    return { ...fields, mode, cron: draft.cron };
  }
  return { ...draft, mode };
}

/**
 * What a valid draft does that its words may not say: uneven steps across the hour or the
 * day, and months without the chosen day.
 */
export function draftNote(draft: IScheduleDraft): string | null {
  if (cronFromDraft(draft).problem) {
    return null;
  }
  if (draft.mode === 'minutes') {
    const n = Number(draft.minutes);
    const rest = 60 % n;
    return rest === 0
      ? null
      : trans._n(
          '%2 does not divide 60: the count restarts each hour, so the last gap of each hour is %1 minute.',
          '%2 does not divide 60: the count restarts each hour, so the last gap of each hour is %1 minutes.',
          rest,
          n
        );
  }
  if (draft.mode === 'hours') {
    const n = Number(draft.hours);
    const rest = 24 % n;
    return rest === 0
      ? null
      : trans._n(
          '%2 does not divide 24: the count restarts each day, so the last gap of each day is %1 hour.',
          '%2 does not divide 24: the count restarts each day, so the last gap of each day is %1 hours.',
          rest,
          n
        );
  }
  const day = Number(draft.day);
  if (draft.mode === 'monthly' && day > 28) {
    return trans.__('Months without a day %1 are skipped, as cron does.', day);
  }
  return null;
}

// --- numbers --------------------------------------------------------------------------------

/** A whole number written in digits, from `low` to `high`; else null. */
function whole(text: string, low: number, high: number): number | null {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) {
    return null;
  }
  const n = Number(trimmed);
  return n >= low && n <= high ? n : null;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
