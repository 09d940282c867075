/**
 * A schedule input: presets or a cron text, a time zone (the browser's by default), and the
 * server's reading of it in words with the next run times. Used by the pipeline builder and
 * the "Schedule this notebook" dialog.
 */
import * as React from 'react';

import { OrchClient } from '../api/api';
import { useDebouncedRequest } from './hooks';
import { errorMessage } from './notify';
import type { ISchedulePreview } from '../api/tokens';

export interface ISchedulePreset {
  label: string;
  cron: string;
}

export const SCHEDULE_PRESETS: readonly ISchedulePreset[] = [
  { label: 'Every hour', cron: '0 * * * *' },
  { label: 'Every day at 09:00', cron: '0 9 * * *' },
  { label: 'Weekdays at 09:00', cron: '0 9 * * 1-5' },
  { label: 'Every Monday at 09:00', cron: '0 9 * * 1' },
  { label: 'First of the month at 09:00', cron: '0 9 1 * *' }
];

/** The browser's IANA time zone, or UTC when it cannot tell. */
export function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

export interface IScheduleValue {
  /** Empty: no schedule. */
  cron: string;
  timezone: string;
}

export interface IScheduleEditorProps {
  client: OrchClient;
  value: IScheduleValue;
  onChange: (value: IScheduleValue) => void;
  /** Offer "No schedule" (the builder does; the notebook dialog always schedules). */
  allowNone?: boolean;
  /** An error the server gave for this field on save, shown under it. */
  error?: string;
  idPrefix: string;
}

const CUSTOM = '__custom__';
const NONE = '';

export function ScheduleEditor(props: IScheduleEditorProps): JSX.Element {
  const { client, value, onChange, idPrefix } = props;
  const [preview, setPreview] = React.useState<ISchedulePreview | null>(null);
  const [problem, setProblem] = React.useState<string | null>(null);
  const preset = SCHEDULE_PRESETS.find(p => p.cron === value.cron.trim());
  const [custom, setCustom] = React.useState(!preset && value.cron !== '');
  const choice =
    value.cron === '' && !custom
      ? NONE
      : custom || !preset
        ? CUSTOM
        : preset.cron;

  useDebouncedRequest(
    () => {
      const cron = value.cron.trim();
      if (!cron) {
        setPreview(null);
        setProblem(null);
        return null;
      }
      return {
        request: () => client.previewSchedule(cron, value.timezone || 'UTC', 3),
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
    [value.cron, value.timezone],
    300
  );

  const shown = props.error ?? problem;
  return (
    <div className="jp-OrchSchedule">
      <label htmlFor={`${idPrefix}-preset`}>Schedule</label>
      <select
        id={`${idPrefix}-preset`}
        className="jp-mod-styled"
        value={choice}
        onChange={event => {
          const next = event.target.value;
          if (next === CUSTOM) {
            setCustom(true);
            onChange({ ...value, cron: value.cron || '0 9 * * *' });
          } else {
            setCustom(false);
            onChange({ ...value, cron: next });
          }
        }}
      >
        {props.allowNone && <option value={NONE}>No schedule</option>}
        {SCHEDULE_PRESETS.map(p => (
          <option key={p.cron} value={p.cron}>
            {p.label}
          </option>
        ))}
        <option value={CUSTOM}>Custom (cron)…</option>
      </select>
      {choice === CUSTOM && (
        <>
          <label htmlFor={`${idPrefix}-cron`}>Cron</label>
          <input
            id={`${idPrefix}-cron`}
            className="jp-mod-styled jp-OrchSchedule-cron"
            value={value.cron}
            placeholder="minute hour day month weekday, e.g. 0 9 * * 1-5"
            spellCheck={false}
            onChange={event => onChange({ ...value, cron: event.target.value })}
          />
        </>
      )}
      {value.cron !== '' && (
        <>
          <label htmlFor={`${idPrefix}-timezone`}>Time zone</label>
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
      {!shown && preview && (
        <div className="jp-OrchSchedule-preview" aria-live="polite">
          <div className="jp-OrchSchedule-words">{preview.description}</div>
          <div className="jp-OrchSchedule-next">
            Next:{' '}
            {preview.next_local
              .map(t => t.replace('T', ' ').slice(0, 16))
              .join(', ')}
          </div>
        </div>
      )}
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
