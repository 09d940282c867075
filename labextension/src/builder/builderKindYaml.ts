/**
 * What a step runs, between the YAML and the builder's form: `notebook`, `sql` (+
 * `connection`), `python` or `export: {from, to}`. A step's other kinds' keys are removed when
 * it is written, so a step changed to another kind holds exactly one.
 */
import { Document, isMap, YAMLMap } from 'yaml';

import {
  emptyExport,
  emptyQuery,
  IExportForm,
  IF_EXISTS,
  IKindFields,
  IQueryForm,
  keyColumns
} from './builderKinds';
import { plain, setNode, setOrDelete, setValue } from './builderYamlNodes';
import { sameValue } from './builderValues';
import { kindOf } from '../common/stepKinds';
import type { JSONObject, JSONValue } from '../api/tokens';

/** The keys of `to:` in the order a new export writes them. */
const TARGET_ORDER = ['table', 'connection', 'if_exists', 'key', 'file'];
const EXPORT_ORDER = ['from', 'to'];
/** The keys of an export that is a message to channels, besides `to: {notify, subject}`. */
const MESSAGE_KEYS = ['message', 'attach'];
/** Step keys that belong to one kind only (`kernel` goes with notebooks). */
const KIND_ONLY_KEYS = ['notebook', 'kernel', 'sql', 'connection', 'python'];

// --- reading ------------------------------------------------------------------------------

function text(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number'
    ? String(value)
    : '';
}

function record(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function readQuery(step: Record<string, unknown>): IQueryForm {
  const sql = step.sql;
  const file = record(sql).file;
  return {
    ...emptyQuery(),
    source: typeof file === 'string' ? 'file' : 'text',
    text: text(sql),
    file: text(file),
    connection: text(step.connection)
  };
}

function readExport(value: unknown): IExportForm {
  const data = record(value);
  const to = record(data.to);
  const key = to.key;
  const ifExists = IF_EXISTS.find(option => option === to.if_exists) ?? '';
  if (to.notify !== undefined) {
    return { ...emptyExport(), target: 'notify', message: data as JSONObject };
  }
  return {
    ...emptyExport(),
    from: text(data.from),
    target: to.file !== undefined && to.table === undefined ? 'file' : 'table',
    table: text(to.table),
    connection: text(to.connection),
    ifExists,
    key: Array.isArray(key) ? key.map(text).join(', ') : text(key),
    file: text(to.file)
  };
}

/** A step's kind and kind fields as the file gives them (a step of no kind: a notebook). */
export function readKindFields(step: Record<string, unknown>): IKindFields {
  return {
    kind: kindOf(step) ?? 'notebook',
    notebook: text(step.notebook),
    query: readQuery(step),
    python: text(step.python),
    export: readExport(step.export)
  };
}

// --- writing ------------------------------------------------------------------------------

/** The map at `map[key]`, made (and placed by `order`) when it is not a map. */
function childMap(
  doc: Document,
  map: YAMLMap,
  key: string,
  order: readonly string[],
  flow = false
): YAMLMap {
  const current: unknown = map.get(key, true);
  if (isMap(current)) {
    return current;
  }
  const child = doc.createNode({}, { flow }) as YAMLMap;
  setNode(doc, map, key, child, order);
  return child;
}

function writeQuery(
  doc: Document,
  node: YAMLMap,
  query: IQueryForm,
  order: readonly string[]
): void {
  if (query.source === 'file') {
    const sql = childMap(doc, node, 'sql', order, true);
    for (const extra of sql.items.slice()) {
      if (String(plain(extra.key)) !== 'file') {
        sql.delete(extra.key);
      }
    }
    setValue(doc, sql, 'file', query.file.trim(), ['file']);
  } else {
    setValue(doc, node, 'sql', query.text, order);
  }
  setValue(doc, node, 'connection', query.connection.trim(), order);
}

/** `key:` as a list, unless the file's value (one name, or a list) already says the same. */
function writeKey(doc: Document, to: YAMLMap, key: string): void {
  const columns = keyColumns(key);
  const current = plain(to.get('key', true));
  const asList = typeof current === 'string' ? [current] : current;
  if (current !== undefined && sameValue(asList, columns)) {
    return;
  }
  setOrDelete(
    doc,
    to,
    'key',
    columns.length ? columns : undefined,
    TARGET_ORDER,
    true
  );
}

function writeExport(
  doc: Document,
  node: YAMLMap,
  form: IExportForm,
  order: readonly string[]
): void {
  if (form.target === 'notify') {
    // A message to channels: the form does not edit it
    if (!isMap(node.get('export', true))) {
      setValue(doc, node, 'export', form.message ?? {}, order);
    }
    return;
  }
  const data = childMap(doc, node, 'export', order);
  setValue(doc, data, 'from', form.from.trim(), EXPORT_ORDER);
  for (const key of MESSAGE_KEYS) {
    data.delete(key);
  }
  const to = childMap(doc, data, 'to', EXPORT_ORDER);
  for (const key of ['notify', 'subject']) {
    to.delete(key);
  }
  const set = (key: string, value: JSONValue | undefined) =>
    setOrDelete(doc, to, key, value, TARGET_ORDER);
  if (form.target === 'file') {
    set('file', form.file.trim());
    for (const key of ['table', 'connection', 'if_exists', 'key']) {
      to.delete(key);
    }
    return;
  }
  set('table', form.table.trim());
  set('connection', form.connection.trim());
  set('if_exists', form.ifExists || undefined);
  writeKey(doc, to, form.key);
  to.delete('file');
}

/** Writes what the step runs into its node, and removes the keys of the other kinds. */
export function writeKindFields(
  doc: Document,
  node: YAMLMap,
  step: IKindFields,
  order: readonly string[]
): void {
  const keep = new Set<string>();
  switch (step.kind) {
    case 'notebook':
      setValue(doc, node, 'notebook', step.notebook.trim(), order);
      keep.add('notebook').add('kernel');
      break;
    case 'query':
      writeQuery(doc, node, step.query, order);
      keep.add('sql').add('connection');
      break;
    case 'function':
      setValue(doc, node, 'python', step.python.trim(), order);
      keep.add('python');
      break;
    case 'export':
      writeExport(doc, node, step.export, order);
      keep.add('export');
      break;
  }
  for (const key of [...KIND_ONLY_KEYS, 'export']) {
    if (!keep.has(key)) {
      node.delete(key);
    }
  }
}
