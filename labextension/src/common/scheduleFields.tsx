/**
 * The inputs of each schedule mode ("Every day at" -> a time; "Every week on" -> days and a
 * time), each with its label. The schedule editor shows the ones of the chosen mode.
 */
import * as React from 'react';

import { trans } from './i18n';
import { EVERY_N, IScheduleDraft, WEEKDAYS } from './scheduleModes';

export interface IModeFieldsProps {
  draft: IScheduleDraft;
  onChange: (draft: IScheduleDraft) => void;
  idPrefix: string;
}

/** The inputs of `draft.mode` (none for "once"). */
export function ModeFields(props: IModeFieldsProps): JSX.Element | null {
  const { draft, onChange, idPrefix } = props;
  const set = (change: Partial<IScheduleDraft>) =>
    onChange({ ...draft, ...change });
  switch (draft.mode) {
    case 'once':
      return null;
    case 'minutes':
    case 'hours': {
      const unit = draft.mode;
      return (
        <NumberField
          id={`${idPrefix}-${unit}`}
          label={EVERY_N[unit].label}
          max={EVERY_N[unit].max}
          value={draft[unit]}
          onChange={n => set({ [unit]: n })}
        />
      );
    }
    case 'custom':
      return (
        <TextField
          id={`${idPrefix}-cron`}
          label={trans.__('Cron')}
          value={draft.cron}
          placeholder={trans.__(
            'minute hour day month weekday, e.g. 0 9 * * 1-5'
          )}
          onChange={cron => set({ cron })}
        />
      );
  }
  return (
    <>
      {draft.mode === 'weekly' && (
        <DaysField days={draft.days} onChange={days => set({ days })} />
      )}
      {draft.mode === 'monthly' && (
        <NumberField
          id={`${idPrefix}-day`}
          label={trans.__('Day of the month')}
          max={31}
          value={draft.day}
          onChange={day => set({ day })}
        />
      )}
      <TextField
        id={`${idPrefix}-time`}
        label={trans.__('Time')}
        value={draft.time}
        placeholder={trans.__('HH:MM, e.g. 07:30')}
        short
        onChange={time => set({ time })}
      />
    </>
  );
}

interface IFieldProps {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
}

/** A labelled text input (a time, a cron). */
function TextField(
  props: IFieldProps & { placeholder: string; short?: boolean }
): JSX.Element {
  return (
    <>
      <label htmlFor={props.id}>{props.label}</label>
      <input
        id={props.id}
        className={
          props.short ? 'jp-mod-styled jp-OrchSchedule-short' : 'jp-mod-styled'
        }
        value={props.value}
        placeholder={props.placeholder}
        spellCheck={false}
        autoComplete="off"
        onChange={event => props.onChange(event.target.value)}
      />
    </>
  );
}

/** A labelled whole number from 1 to `max`. */
function NumberField(props: IFieldProps & { max: number }): JSX.Element {
  return (
    <>
      <label htmlFor={props.id}>{props.label}</label>
      <input
        id={props.id}
        className="jp-mod-styled jp-OrchSchedule-short"
        type="number"
        min={1}
        max={props.max}
        step={1}
        value={props.value}
        onChange={event => props.onChange(event.target.value)}
      />
    </>
  );
}

/** A checkbox per weekday, Monday first. */
function DaysField(props: {
  days: number[];
  onChange: (days: number[]) => void;
}): JSX.Element {
  const { days } = props;
  return (
    <fieldset className="jp-OrchSchedule-days">
      <legend>{trans.__('Days')}</legend>
      {WEEKDAYS.map(({ day, short, name }) => (
        <label key={day} title={name}>
          <input
            type="checkbox"
            aria-label={name}
            checked={days.includes(day)}
            onChange={event =>
              props.onChange(
                event.target.checked
                  ? [...days, day].sort((a, b) => a - b)
                  : days.filter(d => d !== day)
              )
            }
          />
          {short}
        </label>
      ))}
    </fieldset>
  );
}
