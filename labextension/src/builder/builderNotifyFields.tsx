/**
 * The builder's Notifications section: the channels told of each run event (chosen among
 * those the server defines, or typed when it cannot list them) and when a run counts as long.
 */
import * as React from 'react';

import { Sentence } from '../common/components';
import { trans } from '../common/i18n';
import { FieldProblems, TextField } from './builderFields';
import {
  INotifyForm,
  INotifyTargets,
  NOTIFY_EVENT_LABELS,
  NOTIFY_EVENTS,
  NotifyEvent,
  toggleChannel,
  typedChannels
} from './builderNotify';
import { FieldIds } from './builderProblems';
import type { IChannel } from '../api/tokens';

/** The channel every server has (a name, the same in every language). */
const OUTBOX = 'outbox';

/** What `useChannels` gives: the server's channels (null until known) or its error. */
export interface IChannelChoices {
  channels: IChannel[] | null;
  problem: string | null;
}

export interface INotifyFieldsProps {
  idPrefix: string;
  value: INotifyForm;
  choices: IChannelChoices;
  problems: (id: string) => string[];
  onChange: (notify: INotifyForm) => void;
}

export function NotifyFields(props: INotifyFieldsProps): JSX.Element {
  const { value, choices, idPrefix, problems, onChange } = props;
  const setEvent = (event: NotifyEvent, names: string[]) =>
    onChange({
      ...value,
      events: { ...value.events, [event]: { ...value.events[event], names } }
    });
  const long = value.longRunning;
  const longId = `${idPrefix}-on_long_running`;
  return (
    <section className="jp-OrchBuilder-section">
      <h3 className="jp-OrchBuilder-heading">{trans.__('Notifications')}</h3>
      <div className="jp-OrchBuilder-hint">
        <Sentence
          text={trans.__(
            "Who is told when a run ends: channels are defined on the server (%1); %2 writes each message into the run's folder.",
            '%1',
            '%2'
          )}
          nodes={['JUPYTER_ORCH_NOTIFY_<NAME>', <code>{OUTBOX}</code>]}
        />
      </div>
      {choices.problem && (
        <div className="jp-OrchBuilder-hint" role="note">
          {trans.__(
            'Could not list the channels (%1): type their names.',
            choices.problem
          )}
        </div>
      )}
      <FieldProblems
        id={`${idPrefix}-problems`}
        messages={problems(FieldIds.notify)}
      />
      {NOTIFY_EVENTS.map(event => (
        <ChannelPicker
          key={event}
          id={`${idPrefix}-${event}`}
          label={NOTIFY_EVENT_LABELS[event]}
          targets={value.events[event]}
          choices={choices}
          problems={problems(FieldIds.notifyEvent(event))}
          onChange={names => setEvent(event, names)}
        />
      ))}
      <ChannelPicker
        id={longId}
        label={trans.__('On long running')}
        targets={long}
        choices={choices}
        problems={problems(FieldIds.notifyEvent('on_long_running'))}
        onChange={names =>
          onChange({ ...value, longRunning: { ...long, names } })
        }
      >
        <TextField
          id={`${longId}-after`}
          label={trans.__('Long after')}
          value={long.after}
          placeholder={trans.__('e.g. %1', '45m, 2h')}
          hint={trans.__(
            'Once per run, when it is still running this long after its start'
          )}
          problems={[]}
          onChange={after =>
            onChange({ ...value, longRunning: { ...long, after } })
          }
        />
      </ChannelPicker>
    </section>
  );
}

/** The names a picker offers: the server's channels, then the chosen names it lacks. */
function offered(targets: INotifyTargets, choices: IChannelChoices): string[] {
  const names = (choices.channels ?? []).map(c => c.name);
  return [...names, ...targets.names.filter(n => !names.includes(n))];
}

/** One event's channels: a checkbox per channel, and a field to type other names. */
function ChannelPicker(props: {
  id: string;
  label: string;
  targets: INotifyTargets;
  choices: IChannelChoices;
  problems: string[];
  onChange: (names: string[]) => void;
  children?: React.ReactNode;
}): JSX.Element {
  const { id, label, targets, choices, onChange } = props;
  const [typed, setTyped] = React.useState('');
  const kinds = new Map((choices.channels ?? []).map(c => [c.name, c.kind]));
  const add = () => {
    const names = typedChannels(typed, targets.names);
    if (names.length) {
      onChange([...targets.names, ...names]);
    }
    setTyped('');
  };
  return (
    <fieldset className="jp-OrchBuilder-needs" aria-label={label}>
      <legend>{label}</legend>
      {props.children}
      {offered(targets, choices).map(name => {
        const kind = kinds.get(name);
        const to = targets.to[name];
        const known = choices.channels === null || kind !== undefined;
        return (
          <span key={name} className="jp-OrchBuilder-need">
            <input
              type="checkbox"
              id={`${id}-${name}`}
              checked={targets.names.includes(name)}
              onChange={event =>
                onChange(
                  toggleChannel(targets.names, name, event.target.checked)
                )
              }
            />
            <label
              htmlFor={`${id}-${name}`}
              title={
                known
                  ? to
                    ? trans.__(
                        '%1, to %2',
                        kind ?? trans.__('channel'),
                        to.join(', ')
                      )
                    : kind
                  : trans.__('Not defined on this server')
              }
            >
              {name}
            </label>
            {to && (
              <span className="jp-OrchBuilder-hint">
                {trans.__('to %1', to.join(', '))}
              </span>
            )}
            {!known && (
              <span className="jp-OrchBuilder-hint">
                {trans.__('(not defined here)')}
              </span>
            )}
          </span>
        );
      })}
      {choices.channels === null && !choices.problem && (
        <span className="jp-OrchBuilder-hint">
          {trans.__('Loading channels…')}
        </span>
      )}
      {choices.problem !== null && (
        <span className="jp-OrchBuilder-need">
          <label htmlFor={`${id}-typed`} className="jp-OrchBuilder-srOnly">
            {trans.__('%1: other channel', label)}
          </label>
          <input
            id={`${id}-typed`}
            className="jp-mod-styled"
            value={typed}
            placeholder={trans.__('channel name')}
            spellCheck={false}
            onChange={event => setTyped(event.target.value)}
            onKeyDown={event => {
              if (event.key === 'Enter') {
                event.preventDefault();
                add();
              }
            }}
          />
          <button
            type="button"
            className="jp-mod-styled"
            disabled={!typed.trim()}
            onClick={add}
          >
            {trans.__('Add')}
          </button>
        </span>
      )}
      <FieldProblems id={`${id}-problems`} messages={props.problems} />
    </fieldset>
  );
}
