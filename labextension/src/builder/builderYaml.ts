/**
 * The builder's form to pipeline YAML and back. An existing file is edited in place as a parsed
 * `yaml` Document, so that what the form does not manage (comments, `defaults`, `limits`, step
 * keys such as `kernel` or `retry_delay`) is kept; a new pipeline gets clean block YAML.
 * `notify:` is read and written by builderNotify.ts, `on:` by builderTriggersModel.ts.
 */
import {
  Document,
  isMap,
  isScalar,
  isNode,
  isSeq,
  Node,
  parseDocument,
  YAMLMap,
  YAMLSeq
} from 'yaml';

import { readKindFields, writeKindFields } from './builderKindYaml';
import { readNotify, writeNotify } from './builderNotify';
import { readTriggers, writeTriggers } from './builderTriggersModel';
import {
  IBuilderForm,
  IParamRow,
  IStepForm,
  needNames,
  newKey,
  newParamRow,
  sameValue,
  STEP_KEYS,
  valueOf,
  valueText
} from './builderModel';
import {
  numberOrText,
  plain,
  setNode,
  setOrDelete,
  setValue
} from './builderYamlNodes';
import type { JSONValue } from '../api/tokens';

const TO_STRING = { flowCollectionPadding: false } as const;

/** Top-level keys in the order a new file writes them (others keep their place). */
const TOP_ORDER = [
  'name',
  'description',
  'parameters',
  'schedule',
  'on',
  'notify',
  'steps'
];
/** Step keys in the order a new step writes them. */
const STEP_ORDER = STEP_KEYS;

// --- reading ------------------------------------------------------------------------------

function text(value: unknown): string {
  if (typeof value === 'string') {
    return value;
  }
  if (typeof value === 'number' || typeof value === 'boolean') {
    return String(value);
  }
  return '';
}

function record(value: unknown): Record<string, JSONValue> {
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, JSONValue>)
    : {};
}

function rows(value: unknown): IParamRow[] {
  return Object.entries(record(value)).map(([name, v]) =>
    newParamRow(name, valueText(v))
  );
}

/**
 * The form for a pipeline file's text; null when it is not a YAML mapping (open it as text).
 * `path` is the file relative to the root; `timezone` is offered for a schedule the user adds
 * (a schedule in the file keeps its own, or none: the server's default).
 */
export function yamlToForm(
  source: string,
  path: string,
  timezone = ''
): IBuilderForm | null {
  const doc = parseDocument(source);
  if (doc.errors.length || !isMap(doc.contents)) {
    return null;
  }
  const data = record(doc.toJS());
  const rawSteps = Array.isArray(data.steps) ? data.steps : [];
  const keys = rawSteps.map(() => newKey('s'));
  const names = rawSteps.map(s => text(record(s).name));
  const steps: IStepForm[] = rawSteps.map((raw, index) => {
    const step = record(raw);
    const needs = Array.isArray(step.needs) ? step.needs.map(text) : [];
    return {
      key: keys[index],
      sourceIndex: index,
      name: names[index],
      nameEdited: true,
      ...readKindFields(step),
      needs: needs
        .filter(n => names.includes(n))
        .map(n => keys[names.indexOf(n)]),
      unknownNeeds: needs.filter(n => !names.includes(n)),
      parameters: rows(step.parameters),
      condition: text(step.if),
      retries: text(step.retries),
      timeout: text(step.timeout)
    };
  });
  const schedule = data.schedule;
  const defaults = record(data.defaults);
  return {
    name: text(data.name),
    description: text(data.description),
    path,
    pathEdited: true,
    parameters: rows(data.parameters),
    steps,
    schedule:
      schedule === undefined || schedule === null
        ? { cron: '', timezone }
        : typeof schedule === 'string'
          ? { cron: schedule, timezone: '' }
          : {
              cron: text(record(schedule).cron),
              timezone: text(record(schedule).timezone)
            },
    triggers: readTriggers(data.on),
    notify: readNotify(data.notify),
    inherited: {
      retries: text(defaults.retries),
      timeout: text(defaults.timeout)
    }
  };
}

// --- writing ------------------------------------------------------------------------------

/** Writes parameter rows into `map[key]`, keeping the nodes (and comments) of unchanged ones. */
function writeParams(
  doc: Document,
  map: YAMLMap,
  key: string,
  params: IParamRow[],
  order: readonly string[]
): void {
  const named = params.filter(row => row.name.trim() !== '');
  if (!named.length) {
    map.delete(key);
    return;
  }
  const existing: unknown = map.get(key, true);
  const target = isMap(existing) ? existing : new YAMLMap();
  const old = target.items.slice();
  target.items = named.map(row => {
    const name = row.name.trim();
    const value = valueOf(row.text);
    const kept = old.find(
      pair => isScalar(pair.key) && pair.key.value === name
    );
    const keptValue: unknown = kept?.value;
    if (kept && sameValue(plain(keptValue), value)) {
      return kept;
    }
    const node = doc.createNode(value, {
      flow: typeof value === 'object'
    }) as Node;
    if (isNode(keptValue)) {
      node.comment = keptValue.comment;
    }
    return doc.createPair(name, node);
  });
  if (target !== existing) {
    setNode(doc, map, key, target, order);
  }
}

function writeSchedule(doc: Document, root: YAMLMap, form: IBuilderForm): void {
  const cron = form.schedule.cron.trim();
  const timezone = form.schedule.timezone.trim();
  if (!cron) {
    root.delete('schedule');
    return;
  }
  const current = root.get('schedule', true);
  if (isMap(current)) {
    setValue(doc, current, 'cron', cron, ['cron', 'timezone']);
    setOrDelete(doc, current, 'timezone', timezone || undefined, [
      'cron',
      'timezone'
    ]);
    return;
  }
  if (!timezone) {
    setValue(doc, root, 'schedule', cron, TOP_ORDER);
    return;
  }
  const map = new YAMLMap();
  map.set('cron', cron);
  map.set('timezone', timezone);
  setNode(doc, root, 'schedule', map, TOP_ORDER);
}

function writeStep(
  doc: Document,
  node: YAMLMap,
  step: IStepForm,
  form: IBuilderForm
): void {
  setValue(doc, node, 'name', step.name.trim(), STEP_ORDER);
  writeKindFields(doc, node, step, STEP_ORDER);
  const needs = needNames(form.steps, step);
  setOrDelete(
    doc,
    node,
    'needs',
    needs.length ? needs : undefined,
    STEP_ORDER,
    true
  );
  setOrDelete(doc, node, 'if', step.condition.trim() || undefined, STEP_ORDER);
  setOrDelete(doc, node, 'retries', numberOrText(step.retries), STEP_ORDER);
  setOrDelete(doc, node, 'timeout', numberOrText(step.timeout), STEP_ORDER);
  writeParams(doc, node, 'parameters', step.parameters, STEP_ORDER);
}

function writeSteps(
  doc: Document,
  root: YAMLMap,
  form: IBuilderForm,
  fresh: boolean
): void {
  const current: unknown = root.get('steps', true);
  const old = isSeq(current) ? current.items.slice() : [];
  const seq = isSeq(current) ? current : new YAMLSeq();
  // Blank lines between steps when the file has them (or is new).
  const spaced = fresh || old.some(n => isMap(n) && n.spaceBefore);
  seq.items = form.steps.map((step, index) => {
    const kept = step.sourceIndex !== null ? old[step.sourceIndex] : undefined;
    const node = isMap(kept) ? kept : new YAMLMap();
    writeStep(doc, node, step, form);
    if (index === 0) {
      node.spaceBefore = undefined;
    } else if (!isMap(kept) || step.sourceIndex === 0) {
      node.spaceBefore = spaced || undefined;
    }
    return node;
  });
  if (seq !== current) {
    setNode(doc, root, 'steps', seq, TOP_ORDER);
  }
}

function applyForm(doc: Document, form: IBuilderForm, fresh: boolean): void {
  const root = doc.contents as YAMLMap;
  setValue(doc, root, 'name', form.name.trim(), TOP_ORDER);
  const description = form.description.trim();
  const current = root.get('description', true);
  if (!description) {
    root.delete('description');
  } else if (
    !isScalar(current) ||
    String(current.value).trim() !== description
  ) {
    setValue(doc, root, 'description', description, TOP_ORDER);
  }
  writeParams(doc, root, 'parameters', form.parameters, TOP_ORDER);
  writeSchedule(doc, root, form);
  writeTriggers(doc, root, form.triggers, TOP_ORDER);
  writeNotify(doc, root, form.notify, TOP_ORDER);
  writeSteps(doc, root, form, fresh);
}

/** A line with the spaces before its comment made one, to compare lines. */
function squeezed(line: string): string {
  return line.replace(/\s+#/g, ' #');
}

/**
 * `edited` with the lines that only lost the spacing before their comment (`days: 7    # ...`)
 * taken from `source` as written; kept only if it still reads as the same data.
 */
export function keepLineSpacing(source: string, edited: string): string {
  const original = new Map<string, string>();
  for (const line of source.split('\n')) {
    if (line.includes('#')) {
      original.set(squeezed(line), line);
    }
  }
  const restored = edited
    .split('\n')
    .map(line =>
      line.includes('#') ? (original.get(squeezed(line)) ?? line) : line
    )
    .join('\n');
  if (restored === edited) {
    return edited;
  }
  const same = sameValue(
    parseDocument(restored).toJS(),
    parseDocument(edited).toJS()
  );
  return same ? restored : edited;
}

function header(form: IBuilderForm): string {
  const title = form.name.trim() || 'untitled';
  return (
    ` Pipeline ${title}, made with the jupyter-orch pipeline builder.\n` +
    ' Notebook paths are relative to this file; edit it as text or in the builder.'
  );
}

/**
 * The YAML the form saves. With `source` (the file as loaded), that text edited in place: it
 * comes back byte for byte when the form changes nothing.
 */
export function formToYaml(
  form: IBuilderForm,
  source: string | null = null
): string {
  if (source !== null) {
    const doc = parseDocument(source);
    if (!doc.errors.length && isMap(doc.contents)) {
      const before = doc.toString(TO_STRING);
      applyForm(doc, form, false);
      const after = doc.toString(TO_STRING);
      return after === before ? source : keepLineSpacing(source, after);
    }
  }
  const doc = new Document(new YAMLMap());
  doc.commentBefore = header(form);
  applyForm(doc, form, true);
  return doc.toString(TO_STRING);
}
