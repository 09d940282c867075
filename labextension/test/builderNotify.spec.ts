import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { OrchClient } from '../src/api/api';
import { emptyForm, IBuilderForm, newStep } from '../src/builder/builderModel';
import {
  emptyNotify,
  INotifyForm,
  NotifyEvent,
  readNotify,
  toggleChannel,
  typedChannels
} from '../src/builder/builderNotify';
import {
  checkForm,
  FieldIds,
  fieldFor,
  mapProblems
} from '../src/builder/builderProblems';
import { formToYaml } from '../src/builder/builderYaml';
import { loadForm } from './builderForms';
import { FakeServer } from './fakeServer';

const PATH = 'etl/nightly.pipeline.yaml';

/** A pipeline with every `notify:` key, a `{channel, to}` item, comments and a step's own. */
const SOURCE = `name: nightly
notify:
  # who is told
  on_failure: [oncall, {channel: team-mail, to: [ana@example.com]}]
  on_success: [team-mail]
  on_recovery: [oncall]
  on_long_running: {after: 45m, to: [team-slack]}
  on_missed: team-slack   # one name, not a list
  on_something_new: [x]
steps:
  - name: load
    notebook: load.ipynb
    notify:
      on_failure: [{channel: team-mail, to: [bob@example.com]}]
`;

const load = (source = SOURCE): IBuilderForm => loadForm(source, PATH);

/** The form with one event's channels set. */
function withEvent(
  form: IBuilderForm,
  event: NotifyEvent,
  names: string[]
): IBuilderForm {
  const events = {
    ...form.notify.events,
    [event]: { ...form.notify.events[event], names }
  };
  return { ...form, notify: { ...form.notify, events } };
}

function withLongRunning(
  form: IBuilderForm,
  change: Partial<INotifyForm['longRunning']>
): IBuilderForm {
  const longRunning = { ...form.notify.longRunning, ...change };
  return { ...form, notify: { ...form.notify, longRunning } };
}

describe('notify in the builder', () => {
  it('reads each event, single names and the recipients of an item', () => {
    const notify = load().notify;
    expect(notify.events.on_failure).toEqual({
      names: ['oncall', 'team-mail'],
      to: { 'team-mail': ['ana@example.com'] }
    });
    expect(notify.events.on_success.names).toEqual(['team-mail']);
    expect(notify.events.on_recovery.names).toEqual(['oncall']);
    expect(notify.events.on_missed.names).toEqual(['team-slack']);
    expect(notify.longRunning).toEqual({
      after: '45m',
      names: ['team-slack'],
      to: {}
    });
  });

  it('reads a missing or unreadable notify as none', () => {
    expect(readNotify(undefined)).toEqual(emptyNotify());
    expect(readNotify('oncall')).toEqual(emptyNotify());
    expect(readNotify({ on_failure: [7, null] })).toEqual(emptyNotify());
    expect(
      readNotify({ on_long_running: { after: 2700 } }).longRunning
    ).toEqual({ after: '2700', names: [], to: {} });
  });

  it('writes the file back byte for byte when the form changes nothing', () => {
    expect(formToYaml(load(), SOURCE)).toBe(SOURCE);
    const odd =
      'name: odd\nnotify:\n  on_failure:\n  on_success: []\nsteps: []\n';
    expect(formToYaml(load(odd), odd)).toBe(odd);
  });

  it('keeps a {channel, to} item, comments and unknown keys while editing', () => {
    const form = withEvent(load(), 'on_failure', [
      'team-mail',
      'oncall',
      'outbox'
    ]);
    const text = formToYaml(form, SOURCE);
    expect(text).toContain('# who is told');
    expect(text).toContain('# one name, not a list');
    const data = parse(text);
    expect(data.notify.on_failure).toEqual([
      { channel: 'team-mail', to: ['ana@example.com'] },
      'oncall',
      'outbox'
    ]);
    expect(data.notify.on_something_new).toEqual(['x']);
    expect(data.notify.on_missed).toBe('team-slack');
    expect(data.steps[0].notify).toEqual({
      on_failure: [{ channel: 'team-mail', to: ['bob@example.com'] }]
    });
    // Read back, the form is the one written
    expect(load(text).notify).toEqual(load(formToYaml(form, null)).notify);
  });

  it('drops an item only when its channel is unticked', () => {
    const form = load();
    const names = toggleChannel(
      form.notify.events.on_failure.names,
      'team-mail',
      false
    );
    const data = parse(
      formToYaml(withEvent(form, 'on_failure', names), SOURCE)
    );
    expect(data.notify.on_failure).toEqual(['oncall']);
  });

  it('turns a single name into a list when a channel is added', () => {
    const form = withEvent(load(), 'on_missed', ['team-slack', 'oncall']);
    const text = formToYaml(form, SOURCE);
    expect(parse(text).notify.on_missed).toEqual(['team-slack', 'oncall']);
    expect(text).toContain('on_missed: [team-slack, oncall]');
  });

  it('edits on_long_running: after and its channels', () => {
    let form = withLongRunning(load(), { after: '2h', names: ['oncall'] });
    let data = parse(formToYaml(form, SOURCE));
    expect(data.notify.on_long_running).toEqual({
      after: '2h',
      to: ['oncall']
    });
    form = withLongRunning(load(), { after: '3600' });
    data = parse(formToYaml(form, SOURCE));
    expect(data.notify.on_long_running.after).toBe(3600);
    form = withLongRunning(load(), { after: '', names: [] });
    data = parse(formToYaml(form, SOURCE));
    expect(data.notify.on_long_running).toBeUndefined();
  });

  it('removes notify when the form empties it, unless it has keys the form does not edit', () => {
    const none = { ...load(), notify: emptyNotify() };
    expect(parse(formToYaml(none, SOURCE)).notify).toEqual({
      on_something_new: ['x']
    });
    const plain = 'name: p\nnotify:\n  on_failure: [oncall]\nsteps: []\n';
    const emptied = { ...load(plain), notify: emptyNotify() };
    expect(parse(formToYaml(emptied, plain)).notify).toBeUndefined();
  });

  it('writes notify into a new pipeline before its steps', () => {
    const base = emptyForm('etl', 'UTC');
    let form: IBuilderForm = { ...base, name: 'fresh' };
    form = { ...form, steps: [newStep(form, 'etl/a.ipynb')] };
    form = withEvent(form, 'on_failure', ['oncall', 'team-mail']);
    form = withLongRunning(form, { after: '45m', names: ['team-slack'] });
    const text = formToYaml(form);
    expect(text.indexOf('notify:')).toBeLessThan(text.indexOf('steps:'));
    expect(parse(text).notify).toEqual({
      on_failure: ['oncall', 'team-mail'],
      on_long_running: { after: '45m', to: ['team-slack'] }
    });
    expect(text).not.toContain('on_success');
    // No notify at all when none is chosen
    expect(formToYaml({ ...form, notify: emptyNotify() })).not.toContain(
      'notify'
    );
  });

  it('takes typed channel names once each', () => {
    expect(typedChannels(' oncall, team-mail  oncall ', ['team-mail'])).toEqual(
      ['oncall']
    );
    expect(toggleChannel(['a', 'b'], 'a', true)).toEqual(['b', 'a']);
  });

  it('checks channel names and on_long_running before the server', () => {
    let form = withEvent(load(), 'on_success', ['Team Mail']);
    form = withLongRunning(form, { after: '' });
    const problems = checkForm(form);
    expect(problems[FieldIds.notifyEvent('on_success')][0]).toMatch(
      /not a channel name/
    );
    expect(problems[FieldIds.notifyEvent('on_long_running')][0]).toMatch(
      /Give the time/
    );
    expect(checkForm(load())).toEqual({});
  });

  it("maps the server's notify problems to the section", () => {
    const form = load();
    expect(fieldFor(form, 'notify.on_failure[1]')).toBe(
      FieldIds.notifyEvent('on_failure')
    );
    expect(fieldFor(form, 'notify.on_long_running.to.0')).toBe(
      FieldIds.notifyEvent('on_long_running')
    );
    expect(fieldFor(form, 'notify')).toBe(FieldIds.notify);
    const mapped = mapProblems(form, [
      { field: 'notify.on_missed[0]', message: 'no channel team-slack' }
    ]);
    expect(mapped.fields[FieldIds.notifyEvent('on_missed')]).toEqual([
      'no channel team-slack'
    ]);
  });
});

describe('the channels the builder offers', () => {
  it('are asked of GET /orch/channels', async () => {
    const channels = [
      { name: 'oncall', kind: 'pagerduty' },
      { name: 'outbox', kind: 'outbox' }
    ];
    const server = new FakeServer().on('GET', /^orch\/channels$/, () => ({
      status: 200,
      body: { channels }
    }));
    expect(await new OrchClient(server.transport).channels()).toEqual(channels);
  });
});

describe('an export step that sends a message to channels', () => {
  const MESSAGE = `name: mail
steps:
  - name: report
    python: report.py:compose
  - name: email
    needs: [report]
    export:
      to:
        notify: [{channel: outbox, to: [sales@example.com]}]
        subject: "{{ steps.report.outputs.subject }}"
      message: "{{ steps.report.outputs.summary }}"
      attach: [chart.png]
`;

  it('is kept as written while the form edits other things', () => {
    const form = load(MESSAGE);
    const email = form.steps[1];
    expect(email.export.target).toBe('notify');
    expect(checkForm(form)).toEqual({});
    const edited = withEvent(form, 'on_failure', ['outbox']);
    const data = parse(formToYaml(edited, MESSAGE));
    expect(data.steps[1]).toEqual(parse(MESSAGE).steps[1]);
    // A new file from the form holds the same step
    expect(parse(formToYaml(form)).steps[1]).toEqual(parse(MESSAGE).steps[1]);
  });

  it('loses its message keys when it is made a file export', () => {
    const form = load(MESSAGE);
    const email = form.steps[1];
    const steps = form.steps.map(s =>
      s.key === email.key
        ? {
            ...s,
            export: {
              ...s.export,
              target: 'file' as const,
              from: 'a.csv',
              file: 'b.csv'
            }
          }
        : s
    );
    const data = parse(formToYaml({ ...form, steps }, MESSAGE));
    expect(data.steps[1].export).toEqual({
      from: 'a.csv',
      to: { file: 'b.csv' }
    });
  });
});
