/**
 * How a backfill reads, and what its dialog's form asks for: the preview sentence ("3 runs,
 * one per slot of every day at 02:00 (Europe/Paris), 2024-03-01 02:00 → 2024-03-03 02:00"),
 * its progress ("3 of 7 done · 1 failed · 2 running"), a backfill run's slot, and the server's
 * refusals sorted by the field they name. Pure: unit-tested.
 */
import { OrchError } from '../api/api';
import type {
  IBackfill,
  IBackfillPreview,
  IBackfillRequest
} from '../api/backfills';
import { errorMessage } from '../api/errorText';
import type { IRun, JSONObject } from '../api/tokens';
import { localTime, triggerLabel } from '../common/format';
import { trans } from '../common/i18n';

/** The most runs of one backfill at once (the server's MAX_PARALLEL). */
export const MAX_PARALLEL = 100;

/**
 * An instant as a wall time of `zone`, to the minute: "2024-03-01 02:00"; in the browser's
 * zone when `zone` is not one the browser knows.
 */
export function slotTime(iso: string, zone: string): string {
  const date = new Date(iso);
  if (isNaN(date.getTime())) {
    return '';
  }
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat('en-CA', {
      timeZone: zone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23'
    }).formatToParts(date);
  } catch {
    return localTime(iso).slice(0, 16);
  }
  const part = (type: Intl.DateTimeFormatPartTypes) =>
    parts.find(p => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')} ${part('hour')}:${part('minute')}`;
}

/**
 * What a backfill would make, said before it starts: "7 runs, one per slot of every day at
 * 02:00 (Europe/Paris), 2024-03-01 02:00 → 2024-03-07 02:00; 2 slots skipped (already
 * succeeded)". `schedule` is the schedule in words (its zone in it).
 */
export function previewText(
  preview: IBackfillPreview,
  schedule: string | null
): string {
  const words = schedule ?? trans.__('its schedule (%1)', preview.timezone);
  const { runs, skipped } = preview;
  let text: string;
  if (runs === 0 || !preview.first_slot || !preview.last_slot) {
    text = skipped
      ? trans.__('No runs to make: a run already succeeded for every slot')
      : trans.__('No runs: no slot of %1 falls in this range', words);
  } else {
    const first = slotTime(preview.first_slot, preview.timezone);
    const last = slotTime(preview.last_slot, preview.timezone);
    text =
      runs === 1
        ? trans.__('1 run, for the slot of %1 at %2', words, first)
        : trans._n(
            '%1 run, one per slot of %2, %3 → %4',
            '%1 runs, one per slot of %2, %3 → %4',
            runs,
            words,
            first,
            last
          );
  }
  if (skipped > 0) {
    const skip = trans._n(
      '%1 slot skipped (already succeeded)',
      '%1 slots skipped (already succeeded)',
      skipped
    );
    return `${text}; ${skip}`;
  }
  return text;
}

/** Its runs that have ended (succeeded, failed or cancelled). */
export function endedRuns(backfill: Pick<IBackfill, 'runs'>): number {
  return backfill.runs.total - backfill.runs.left;
}

/** How far a backfill got: "3 of 7 done · 1 failed · 2 running · 1 queued". */
export function progressText(backfill: Pick<IBackfill, 'runs'>): string {
  const { runs } = backfill;
  const parts = [trans.__('%1 of %2 done', endedRuns(backfill), runs.total)];
  if (runs.failed) {
    parts.push(trans.__('%1 failed', runs.failed));
  }
  if (runs.cancelled) {
    parts.push(trans.__('%1 cancelled', runs.cancelled));
  }
  if (runs.running) {
    parts.push(trans.__('%1 running', runs.running));
  }
  if (runs.queued) {
    parts.push(trans.__('%1 queued', runs.queued));
  }
  return parts.join(' · ');
}

/** The dates a backfill covers: "2024-03-01 → 2024-03-07" (in its schedule's zone). */
export function rangeText(backfill: Pick<IBackfill, 'from' | 'to'>): string {
  return backfill.from === backfill.to
    ? backfill.from
    : trans.__('%1 → %2', backfill.from, backfill.to);
}

/**
 * What started a run, as its row in the runs list says it: a backfill run with the slot it is
 * for ("Backfill for 2024-03-01 02:00", the browser's zone); other runs their trigger's word.
 */
export function runTriggerText(
  run: Pick<IRun, 'trigger' | 'scheduled_for'>
): string {
  if (run.trigger === 'backfill' && run.scheduled_for) {
    return trans.__(
      'Backfill for %1',
      localTime(run.scheduled_for).slice(0, 16)
    );
  }
  return triggerLabel(run.trigger);
}

/** The backfill dialog's form as typed. */
export interface IBackfillForm {
  /** `YYYY-MM-DD` (a date input's value), '' while not given. */
  from: string;
  to: string;
  maxParallel: string;
  rerunSucceeded: boolean;
}

/** The fields of the form a message can be about. */
export type BackfillField = 'from' | 'to' | 'maxParallel';

/** Messages by field, and one for the whole form (`form`). */
export type BackfillErrors = Partial<Record<BackfillField | 'form', string>>;

/**
 * The request the form stands for, with `parameters`; or why it cannot be asked yet, by field
 * (an empty date, a parallelism out of range). The range itself is the server's to judge.
 */
export function backfillRequest(
  form: IBackfillForm,
  parameters?: JSONObject
):
  | { ok: true; request: IBackfillRequest }
  | { ok: false; errors: BackfillErrors } {
  const errors: BackfillErrors = {};
  if (!form.from) {
    errors.from = trans.__('Give the first day');
  }
  if (!form.to) {
    errors.to = trans.__('Give the last day');
  }
  const parallel = Number(form.maxParallel.trim());
  if (
    !/^\d+$/.test(form.maxParallel.trim()) ||
    parallel < 1 ||
    parallel > MAX_PARALLEL
  ) {
    errors.maxParallel = trans.__(
      'Give a whole number from 1 to %1',
      MAX_PARALLEL
    );
  }
  if (Object.keys(errors).length) {
    return { ok: false, errors };
  }
  return {
    ok: true,
    request: {
      from: form.from,
      to: form.to,
      max_parallel: parallel,
      rerun_succeeded: form.rerunSucceeded,
      ...(parameters ? { parameters } : {})
    }
  };
}

/** The server's names for the form's fields (`--to` as the CLI says it, `to` as the body). */
const SERVER_FIELDS: Record<string, BackfillField> = {
  from: 'from',
  to: 'to',
  max_parallel: 'maxParallel'
};

/**
 * A refusal sorted by the field it names ("--to: 2024-03-01 is before --from ..." goes beside
 * To); what names no field of the form ("--from/--to: the range holds more than 10,000 runs",
 * a 409, a pipeline without a schedule) is the form's. Parameters' messages are left to
 * `parameterErrors`.
 */
export function backfillErrors(error: unknown): BackfillErrors {
  const errors: BackfillErrors = {};
  const rest: string[] = [];
  const details = error instanceof OrchError ? error.details : [];
  for (const detail of details) {
    const field = SERVER_FIELDS[detail.field.replace(/^-+/, '')];
    if (field) {
      errors[field] = detail.message;
    } else if (!detail.field.startsWith('parameters.')) {
      rest.push(`${detail.field}: ${detail.message}`);
    }
  }
  if (!details.length) {
    rest.push(errorMessage(error));
  }
  if (rest.length) {
    errors.form = rest.join('\n');
  }
  return errors;
}
