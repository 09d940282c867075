/**
 * A pipeline's `notify:` between the YAML and the builder's form: the channels of each run
 * event, and `on_long_running: {after, to}`. The form edits channel names; a `{channel, to}`
 * item keeps its node (and its recipients) while its channel stays chosen, and the keys and
 * items the form does not know are kept. Pure (no DOM): unit-tested.
 *
 *     notify:
 *       on_failure: [oncall, {channel: team-mail, to: [ana@example.com]}]
 *       on_long_running: {after: 45m, to: [team-slack]}
 */
import {
  Document,
  isMap,
  isNode,
  isScalar,
  isSeq,
  Node,
  YAMLMap,
  YAMLSeq
} from 'yaml';

import { trans } from '../common/i18n';
import { sameValue } from './builderValues';
import { numberOrText, plain, setNode, setOrDelete } from './builderYamlNodes';

/** The events whose channels the form picks (on_long_running has its own fields). */
export const NOTIFY_EVENTS = [
  'on_failure',
  'on_success',
  'on_recovery',
  'on_missed'
] as const;

export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

/** What the form calls each event (read when asked: in the user's language). */
export const NOTIFY_EVENT_LABELS: Readonly<Record<NotifyEvent, string>> = {
  get on_failure() {
    return trans.__('On failure');
  },
  get on_success() {
    return trans.__('On success');
  },
  get on_recovery() {
    return trans.__('On recovery');
  },
  get on_missed() {
    return trans.__('On missed run');
  }
};

/** Keys of `notify:` in the order a new one writes them. */
const NOTIFY_ORDER = [
  'on_failure',
  'on_success',
  'on_recovery',
  'on_long_running',
  'on_missed'
];
const LONG_RUNNING_ORDER = ['after', 'to'];

/** The server's rule for a channel name (`team-mail`). */
export const CHANNEL_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** The channels of one event. */
export interface INotifyTargets {
  /** Channel names, in the file's order. */
  names: string[];
  /** The recipients a `{channel, to}` item gives, by channel (shown; kept as written). */
  to: Record<string, string[]>;
}

export interface INotifyForm {
  events: Record<NotifyEvent, INotifyTargets>;
  /** `on_long_running`: `after` as written (`45m`, `2700`), and its channels. */
  longRunning: { after: string } & INotifyTargets;
}

export function emptyTargets(): INotifyTargets {
  return { names: [], to: {} };
}

export function emptyNotify(): INotifyForm {
  return {
    events: {
      on_failure: emptyTargets(),
      on_success: emptyTargets(),
      on_recovery: emptyTargets(),
      on_missed: emptyTargets()
    },
    longRunning: { after: '', ...emptyTargets() }
  };
}

// --- reading ------------------------------------------------------------------------------

function record(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/** The channel an item names: `oncall` or `{channel: oncall, ...}`; '' for neither. */
function channelOf(item: unknown): string {
  if (typeof item === 'string') {
    return item;
  }
  const channel = record(item).channel;
  return typeof channel === 'string' ? channel : '';
}

/** An event's value (one item, or a list of them) as its items. */
function items(value: unknown): unknown[] {
  if (Array.isArray(value)) {
    return value;
  }
  return value === undefined || value === null ? [] : [value];
}

/** The channels of an event's value as the file gives it. */
export function readTargets(value: unknown): INotifyTargets {
  const targets = emptyTargets();
  for (const item of items(value)) {
    const name = channelOf(item);
    if (!name || targets.names.includes(name)) {
      continue;
    }
    targets.names.push(name);
    const to = record(item).to;
    const list = items(to).filter((t): t is string => typeof t === 'string');
    if (list.length) {
      targets.to[name] = list;
    }
  }
  return targets;
}

/** The form for a pipeline file's `notify:` value (empty for none, or one it cannot read). */
export function readNotify(value: unknown): INotifyForm {
  const data = record(value);
  const form = emptyNotify();
  for (const event of NOTIFY_EVENTS) {
    form.events[event] = readTargets(data[event]);
  }
  const long = record(data.on_long_running);
  const after = long.after;
  form.longRunning = {
    after:
      typeof after === 'string' || typeof after === 'number'
        ? String(after)
        : '',
    ...readTargets(long.to)
  };
  return form;
}

// --- edits --------------------------------------------------------------------------------

/** `names` with `name` chosen (appended) or not. */
export function toggleChannel(
  names: readonly string[],
  name: string,
  on: boolean
): string[] {
  const without = names.filter(n => n !== name);
  return on ? [...without, name] : without;
}

/** Channel names typed in a field ("a, b c"): each once, without those already chosen. */
export function typedChannels(
  text: string,
  chosen: readonly string[]
): string[] {
  const found: string[] = [];
  for (const name of text.split(/[\s,]+/)) {
    if (name && !chosen.includes(name) && !found.includes(name)) {
      found.push(name);
    }
  }
  return found;
}

/** What the form can tell without the server, as `[event key, message]`. */
export function notifyProblems(form: INotifyForm): [string, string][] {
  const found: [string, string][] = [];
  const check = (key: string, names: string[]) => {
    for (const name of names) {
      if (!CHANNEL_NAME.test(name)) {
        found.push([
          key,
          trans.__(
            '%1 is not a channel name: use lower-case letters, digits, - and _',
            name
          )
        ]);
      }
    }
  };
  for (const event of NOTIFY_EVENTS) {
    check(event, form.events[event].names);
  }
  const long = form.longRunning;
  check('on_long_running', long.names);
  if (long.names.length && !long.after.trim()) {
    found.push([
      'on_long_running',
      trans.__('Give the time after which a run is long, e.g. %1', '45m')
    ]);
  } else if (!long.names.length && long.after.trim()) {
    found.push(['on_long_running', trans.__('Pick a channel to tell')]);
  }
  return found;
}

// --- writing ------------------------------------------------------------------------------

/** The items of an event's node with the channel each names ('' for an item of no channel). */
function itemNodes(current: unknown): { channel: string; node: Node }[] {
  const nodes = isSeq(current)
    ? current.items
    : isScalar(current) || isMap(current)
      ? [current]
      : [];
  return nodes
    .filter((node): node is Node => isNode(node))
    .map(node => ({ channel: channelOf(plain(node)), node }));
}

/**
 * Sets `map[key]` to the channels of `targets`: left as written when it names the same ones in
 * the same order; else a list whose items are the file's own for the channels kept (so a
 * `{channel, to}` keeps its `to` and comments), then the items that name no channel. No
 * names: deleted.
 */
function writeTargets(
  doc: Document,
  map: YAMLMap,
  key: string,
  targets: INotifyTargets,
  order: readonly string[]
): void {
  const { names, to } = targets;
  const current: unknown = map.get(key, true);
  const existing = itemNodes(current);
  const named = existing.filter(item => item.channel !== '');
  const same = sameValue(
    named.map(item => item.channel),
    names
  );
  if (current !== undefined && same) {
    return;
  }
  if (!names.length) {
    map.delete(key);
    return;
  }
  const unused = named.slice();
  const nodes = names.map(name => {
    const at = unused.findIndex(item => item.channel === name);
    if (at >= 0) {
      return unused.splice(at, 1)[0].node;
    }
    const value = to[name]?.length ? { channel: name, to: to[name] } : name;
    return doc.createNode(value, { flow: true }) as Node;
  });
  nodes.push(...existing.filter(item => item.channel === '').map(i => i.node));
  if (isSeq(current)) {
    current.items = nodes;
    return;
  }
  const seq = doc.createNode([], { flow: true }) as YAMLSeq;
  seq.items = nodes;
  if (isNode(current)) {
    // The comment after a single name now follows the list
    seq.comment = current.comment;
    seq.commentBefore = current.commentBefore;
    nodes.forEach(node => {
      node.comment = undefined;
      node.commentBefore = undefined;
    });
  }
  setNode(doc, map, key, seq, order);
}

function writeLongRunning(
  doc: Document,
  notify: YAMLMap,
  long: INotifyForm['longRunning']
): void {
  const current: unknown = notify.get('on_long_running', true);
  if (sameLongRunning(readNotify({ on_long_running: plain(current) }), long)) {
    return;
  }
  const after = numberOrText(long.after);
  if (after === undefined && !long.names.length) {
    notify.delete('on_long_running');
    return;
  }
  let node: YAMLMap;
  if (isMap(current)) {
    node = current;
  } else {
    node = doc.createNode({}, { flow: true }) as YAMLMap;
    setNode(doc, notify, 'on_long_running', node, NOTIFY_ORDER);
  }
  setOrDelete(doc, node, 'after', after, LONG_RUNNING_ORDER);
  if (long.names.length) {
    writeTargets(doc, node, 'to', long, LONG_RUNNING_ORDER);
  } else {
    setOrDelete(doc, node, 'to', [], LONG_RUNNING_ORDER, true);
  }
}

function sameLongRunning(
  read: INotifyForm,
  long: INotifyForm['longRunning']
): boolean {
  return (
    read.longRunning.after === long.after.trim() &&
    sameValue(read.longRunning.names, long.names)
  );
}

/** Whether the form chooses what `read` (the file's `notify`, read) says. */
function sameChoice(read: INotifyForm, form: INotifyForm): boolean {
  return (
    NOTIFY_EVENTS.every(event =>
      sameValue(read.events[event].names, form.events[event].names)
    ) && sameLongRunning(read, form.longRunning)
  );
}

/** Writes every key the form edits into a `notify` map. */
function writeEvents(doc: Document, notify: YAMLMap, form: INotifyForm): void {
  for (const event of NOTIFY_EVENTS) {
    writeTargets(doc, notify, event, form.events[event], NOTIFY_ORDER);
  }
  writeLongRunning(doc, notify, form.longRunning);
}

/**
 * Writes the form's `notify:` into the file's top-level map (`order`: where a new key goes).
 * A `notify` the form empties goes away, unless it holds keys the form does not edit.
 */
export function writeNotify(
  doc: Document,
  root: YAMLMap,
  form: INotifyForm,
  order: readonly string[]
): void {
  const current: unknown = root.get('notify', true);
  if (sameChoice(readNotify(plain(current)), form)) {
    return; // as written (a value the form cannot read included)
  }
  if (isMap(current)) {
    const had = current.items.length > 0;
    writeEvents(doc, current, form);
    if (had && !current.items.length) {
      root.delete('notify');
    }
    return;
  }
  const notify = new YAMLMap();
  writeEvents(doc, notify, form);
  setNode(doc, root, 'notify', notify, order);
}
