/**
 * A schedule input: a mode in words ("Every day at" a time, "Every week on" days, ...) or a
 * cron text, a time zone (the browser's by default), and the server's reading of it in words
 * with the next run times. Used by the pipeline builder and the "Schedule this notebook"
 * dialog.
 */
import * as React from 'react';

import { OrchClient } from '../api/api';
import { useDebouncedRequest } from './hooks';
import { trans } from './i18n';
import { errorMessage } from './notify';
import { ModeFields } from './scheduleFields';
import {
  cronFromDraft,
  draftFromCron,
  draftNote,
  IScheduleDraft,
  SCHEDULE_MODES,
  ScheduleMode,
  switchMode
} from './scheduleModes';
import type { ISchedulePreview } from '../api/tokens';

/** The browser's IANA time zone, or UTC when it cannot tell. */
export function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

export interface IScheduleValue {
  /** Empty: no schedule ("once"). */
  cron: string;
  timezone: string;
  /** The editor's fields as the user left them, which may not be a schedule yet. */
  draft?: IScheduleDraft;
}

/** The draft `value` shows: its own while it still makes `value.cron`, else read from it. */
function draftOf(value: IScheduleValue): IScheduleDraft {
  const draft = value.draft;
  return draft && cronFromDraft(draft).cron === value.cron
    ? draft
    : draftFromCron(value.cron);
}

/** What to fix before `value` can be saved (a time missing, no day chosen); null if nothing. */
export function scheduleProblem(value: IScheduleValue): string | null {
  return cronFromDraft(draftOf(value)).problem;
}

/** The first choice, for no schedule: its words, and a line saying what it does. */
export interface IOnceChoice {
  label: string;
  hint: string;
}

/** The builder's first choice: no schedule. */
function noSchedule(): IOnceChoice {
  return {
    label: trans.__('Once (no schedule)'),
    hint: trans.__(
      'No schedule: the pipeline runs when it is started by hand or through the API.'
    )
  };
}

export interface IScheduleEditorProps {
  client: OrchClient;
  value: IScheduleValue;
  onChange: (value: IScheduleValue) => void;
  /** Offer "Once (no schedule)" first (the builder does). */
  allowNone?: boolean;
  /** Offer no schedule first, in these words (the notebook dialog runs it now). */
  once?: IOnceChoice;
  /** An error the server gave for this field on save, shown under it. */
  error?: string;
  idPrefix: string;
}

export function ScheduleEditor(props: IScheduleEditorProps): JSX.Element {
  const { client, value, onChange, idPrefix } = props;
  const once = props.once ?? (props.allowNone ? noSchedule() : null);
  const draft = draftOf(value);
  const { cron, problem: fix } = cronFromDraft(draft);
  const note = draftNote(draft);
  const [preview, setPreview] = React.useState<ISchedulePreview | null>(null);
  const [problem, setProblem] = React.useState<string | null>(null);
  const edit = (next: IScheduleDraft) =>
    onChange({ ...value, cron: cronFromDraft(next).cron, draft: next });

  useDebouncedRequest(
    () => {
      const asked = value.cron.trim();
      if (!asked || fix) {
        setPreview(null);
        setProblem(null);
        return null;
      }
      return {
        request: () =>
          client.previewSchedule(asked, value.timezone || 'UTC', 3),
        onResult: result => {
          setPreview(result);
          setProblem(null);
        },
        onError: error => {
          setPreview(null);
          setProblem(errorMessage(error));
        }
      };
    },
    [value.cron, value.timezone, fix],
    300
  );

  const shown = fix ?? props.error ?? problem;
  // Words for what is in the fields now, never those of the cron before the last keystroke
  const words =
    preview?.cron === value.cron.trim() &&
    preview.timezone === (value.timezone || 'UTC')
      ? preview
      : null;
  return (
    <div className="jp-OrchSchedule">
      <label htmlFor={`${idPrefix}-mode`}>{trans.__('Schedule')}</label>
      <select
        id={`${idPrefix}-mode`}
        className="jp-mod-styled"
        value={draft.mode}
        onChange={event =>
          edit(switchMode(draft, event.target.value as ScheduleMode))
        }
      >
        {(once || draft.mode === 'once') && (
          <option value="once">{(once ?? noSchedule()).label}</option>
        )}
        {SCHEDULE_MODES.map(choice => (
          <option key={choice.mode} value={choice.mode}>
            {choice.label}
          </option>
        ))}
      </select>
      <ModeFields draft={draft} onChange={edit} idPrefix={idPrefix} />
      {draft.mode === 'once' && (
        <p className="jp-OrchSchedule-hint">{(once ?? noSchedule()).hint}</p>
      )}
      {cron !== '' && (
        <>
          <label htmlFor={`${idPrefix}-timezone`}>
            {trans.__('Time zone')}
          </label>
          <input
            id={`${idPrefix}-timezone`}
            className="jp-mod-styled"
            value={value.timezone}
            list={`${idPrefix}-zones`}
            spellCheck={false}
            onChange={event =>
              onChange({ ...value, timezone: event.target.value })
            }
          />
          <datalist id={`${idPrefix}-zones`}>
            {timeZones().map(zone => (
              <option key={zone} value={zone} />
            ))}
          </datalist>
        </>
      )}
      {shown && (
        <div className="jp-OrchField-error" role="alert">
          {shown}
        </div>
      )}
      <div className="jp-OrchSchedule-preview" aria-live="polite">
        {!shown && words && (
          <>
            <div className="jp-OrchSchedule-words">{words.description}</div>
            <div className="jp-OrchSchedule-next">
              {trans.__(
                'Next: %1',
                words.next_local
                  .map(t => t.replace('T', ' ').slice(0, 16))
                  .join(', ')
              )}
            </div>
          </>
        )}
      </div>
      {!shown && note && <p className="jp-OrchSchedule-hint">{note}</p>}
    </div>
  );
}

let zones: string[] | null = null;

/** The zones the browser knows, for the time zone field's suggestions. */
function timeZones(): string[] {
  if (zones === null) {
    const intl = Intl as unknown as {
      supportedValuesOf?: (key: string) => string[];
    };
    zones = intl.supportedValuesOf
      ? intl.supportedValuesOf('timeZone')
      : ['UTC'];
  }
  return zones;
}
