/**
 * A pipeline's event triggers (`on:`) between the YAML and the builder's form: one row per
 * trigger (a pipeline watched, a file pattern, a query, the webhook), and the webhook's URL
 * with a command that sends a signed request. The file is edited in place: an `on:` the form
 * does not change stays as written, and keys the form does not know (in `on:` or in a query's
 * item) are kept. Checks are in builderTriggersChecks.ts. Pure (no DOM): unit-tested.
 *
 *     on:
 *       pipeline_succeeded: load-sales      # or a list; also pipeline_failed
 *       file: "data/incoming/*.csv"         # or a list
 *       sql: [{connection: warehouse, query: select max(id) from orders, every: 1m}]
 *       webhook: {secret_env: SALES_HOOK_SECRET}
 */
import { Document, isMap, isNode, isSeq, Node, YAMLMap, YAMLSeq } from 'yaml';

import { trans } from '../common/i18n';
import { newKey } from './builderModel';
import { sameValue } from './builderValues';
import {
  numberOrText,
  plain,
  setNode,
  setOrDelete,
  setValue
} from './builderYamlNodes';

/** The keys of `on:`, in the order a new one writes them. */
export const TRIGGER_KINDS = [
  'pipeline_succeeded',
  'pipeline_failed',
  'file',
  'sql',
  'webhook'
] as const;

export type TriggerKind = (typeof TRIGGER_KINDS)[number];

/** The server's rule for `secret_env` (a variable's name). */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** What the form calls each kind (the choice of a new trigger), read when asked. */
export const TRIGGER_LABELS: Readonly<Record<TriggerKind, string>> = {
  get pipeline_succeeded() {
    return trans.__('When another pipeline succeeds');
  },
  get pipeline_failed() {
    return trans.__('When another pipeline fails');
  },
  get file() {
    return trans.__('When a file matching a pattern changes');
  },
  get sql() {
    return trans.__("When a SQL query's result changes");
  },
  get webhook() {
    return trans.__('Webhook (a signed request starts a run)');
  }
};

/** One trigger; only the fields of its kind are used. */
export interface ITriggerRow {
  /** Stable id for React and for mapping problems; never written to the file. */
  key: string;
  kind: TriggerKind;
  /** pipeline_succeeded, pipeline_failed: the pipeline watched. */
  pipeline: string;
  /** file: a glob relative to the pipeline file's folder. */
  pattern: string;
  /** sql: a connection name, `${ENV}` or a URL; the query; how often (empty: 60 s). */
  connection: string;
  query: string;
  every: string;
  /** webhook: the environment variable holding the secret (never the secret). */
  secretEnv: string;
  /** sql: its index in the file's `on.sql`, whose node (comments, other keys) is kept. */
  sourceIndex: number | null;
}

export function newTrigger(
  kind: TriggerKind,
  fields: Partial<ITriggerRow> = {}
): ITriggerRow {
  return {
    key: newKey('t'),
    kind,
    pipeline: '',
    pattern: '',
    connection: '',
    query: '',
    every: '',
    secretEnv: '',
    sourceIndex: null,
    ...fields
  };
}

// --- reading ------------------------------------------------------------------------------

function record(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function text(value: unknown): string {
  return typeof value === 'string' ||
    typeof value === 'number' ||
    typeof value === 'boolean'
    ? String(value)
    : '';
}

/** One value or a list of them, as the server reads it (`file: a.csv` or `file: [a, b]`). */
function items(value: unknown): unknown[] {
  if (Array.isArray(value)) {
    return value;
  }
  return value === undefined || value === null ? [] : [value];
}

/** The rows for a pipeline file's `on:` value, in the file's order (none for no `on:`). */
export function readTriggers(value: unknown): ITriggerRow[] {
  const rows: ITriggerRow[] = [];
  for (const [key, given] of Object.entries(record(value))) {
    if (key === 'pipeline_succeeded' || key === 'pipeline_failed') {
      rows.push(
        ...items(given).map(p => newTrigger(key, { pipeline: text(p) }))
      );
    } else if (key === 'file') {
      rows.push(
        ...items(given).map(p => newTrigger(key, { pattern: text(p) }))
      );
    } else if (key === 'sql') {
      items(given).forEach((item, sourceIndex) => {
        const sql = record(item);
        rows.push(
          newTrigger(key, {
            connection: text(sql.connection),
            query: text(sql.query),
            every: text(sql.every),
            sourceIndex
          })
        );
      });
    } else if (key === 'webhook' && given !== undefined && given !== null) {
      rows.push(newTrigger(key, { secretEnv: text(record(given).secret_env) }));
    }
  }
  return rows;
}

/** What the rows of a kind say, trimmed as written. */
function texts(rows: ITriggerRow[], kind: TriggerKind): string[] {
  return rows
    .filter(r => r.kind === kind)
    .map(r => (kind === 'file' ? r.pattern : r.pipeline).trim());
}

function sqlValue(row: ITriggerRow): Record<string, string> {
  return {
    connection: row.connection.trim(),
    query: row.query.trim(),
    every: row.every.trim()
  };
}

/** What the rows mean, in a form to compare: the file's reading and the form's. */
function meaning(rows: ITriggerRow[]): unknown {
  const webhook = rows.find(r => r.kind === 'webhook');
  return {
    pipeline_succeeded: texts(rows, 'pipeline_succeeded'),
    pipeline_failed: texts(rows, 'pipeline_failed'),
    file: texts(rows, 'file'),
    sql: rows.filter(r => r.kind === 'sql').map(sqlValue),
    webhook: webhook ? webhook.secretEnv.trim() : null
  };
}

// --- edits --------------------------------------------------------------------------------

/** The rows as saved: each query row now comes from the file at its place among them. */
export function savedTriggers(rows: ITriggerRow[]): ITriggerRow[] {
  let index = 0;
  return rows.map(row =>
    row.kind === 'sql' ? { ...row, sourceIndex: index++ } : row
  );
}

// --- writing ------------------------------------------------------------------------------

const SQL_ORDER = ['connection', 'query', 'every'];

/**
 * Sets `on[kind]` to the rows' names or patterns: one as a plain value (unless the file has a
 * list), several as a list whose items keep their nodes (and comments); none: deleted.
 */
function writeTexts(
  doc: Document,
  on: YAMLMap,
  kind: TriggerKind,
  values: string[]
): void {
  const current: unknown = on.get(kind, true);
  if (
    current !== undefined &&
    sameValue(items(plain(current)).map(text), values)
  ) {
    return;
  }
  if (!values.length) {
    on.delete(kind);
  } else if (isSeq(current)) {
    const old = current.items.slice();
    current.items = values.map(value => {
      const at = old.findIndex(n => isNode(n) && text(plain(n)) === value);
      return at >= 0 ? (old.splice(at, 1)[0] as Node) : doc.createNode(value);
    });
  } else {
    const value = values.length === 1 ? values[0] : values;
    setValue(doc, on, kind, value, TRIGGER_KINDS, true);
  }
}

/** Writes a query row into its item of `on.sql`; a query that only gained spaces stays. */
function writeQuery(doc: Document, node: YAMLMap, row: ITriggerRow): void {
  const value = sqlValue(row);
  setValue(doc, node, 'connection', value.connection, SQL_ORDER);
  if (text(plain(node.get('query', true))).trim() !== value.query) {
    setValue(doc, node, 'query', value.query, SQL_ORDER);
  }
  setOrDelete(doc, node, 'every', numberOrText(value.every), SQL_ORDER);
}

/** Sets `on.sql` to the query rows: each edits its own item (other keys kept), or a new one. */
function writeSql(doc: Document, on: YAMLMap, rows: ITriggerRow[]): void {
  const current: unknown = on.get('sql', true);
  const read = readTriggers({ sql: plain(current) });
  if (sameValue(read.map(sqlValue), rows.map(sqlValue))) {
    return;
  }
  if (!rows.length) {
    on.delete('sql');
    return;
  }
  const old = isSeq(current) ? current.items : [current];
  const nodes = rows.map(row => {
    const kept = row.sourceIndex === null ? undefined : old[row.sourceIndex];
    const node = isMap(kept) ? kept : new YAMLMap();
    writeQuery(doc, node, row);
    return node;
  });
  if (isSeq(current)) {
    current.items = nodes;
  } else if (nodes.length !== 1 || nodes[0] !== current) {
    const seq = new YAMLSeq();
    seq.items = nodes;
    setNode(doc, on, 'sql', seq, TRIGGER_KINDS);
  }
}

function writeWebhook(
  doc: Document,
  on: YAMLMap,
  row: ITriggerRow | undefined
): void {
  const current: unknown = on.get('webhook', true);
  if (!row) {
    on.delete('webhook');
  } else if (isMap(current)) {
    setValue(doc, current, 'secret_env', row.secretEnv.trim(), ['secret_env']);
  } else {
    const value = { secret_env: row.secretEnv.trim() };
    setValue(doc, on, 'webhook', value, TRIGGER_KINDS, true);
  }
}

/**
 * Writes the rows as the file's `on:` (`order`: where a new top-level key goes). An `on:` that
 * says what the rows say stays as written; one the form empties goes, unless it holds keys the
 * form does not edit.
 */
export function writeTriggers(
  doc: Document,
  root: YAMLMap,
  rows: ITriggerRow[],
  order: readonly string[]
): void {
  const current: unknown = root.get('on', true);
  if (sameValue(meaning(readTriggers(plain(current))), meaning(rows))) {
    return;
  }
  const on = isMap(current) ? current : new YAMLMap();
  const had = on.items.length > 0;
  for (const kind of [
    'pipeline_succeeded',
    'pipeline_failed',
    'file'
  ] as const) {
    writeTexts(doc, on, kind, texts(rows, kind));
  }
  writeSql(
    doc,
    on,
    rows.filter(r => r.kind === 'sql')
  );
  writeWebhook(
    doc,
    on,
    rows.find(r => r.kind === 'webhook')
  );
  if (!on.items.length) {
    if (had || current !== undefined) {
      root.delete('on');
    }
  } else if (on !== current) {
    setNode(doc, root, 'on', on, order);
  }
}

// --- the webhook --------------------------------------------------------------------------

/** The URL another system POSTs to (`POST /orch/hooks/<name>` under the server's base URL). */
export function webhookUrl(baseUrl: string, name: string): string {
  const base = baseUrl.replace(/\/+$/, '');
  return `${base}/orch/hooks/${encodeURIComponent(name)}`;
}

/**
 * A shell command that sends one signed delivery as the server checks it (signing.py): the
 * HMAC-SHA256 of `timestamp + "." + body`, keyed with the secret in `$<secretEnv>`, with a
 * fresh delivery id. curl exits non-zero when the server refuses it.
 */
export function webhookExample(url: string, secretEnv: string): string {
  const env = ENV_NAME.test(secretEnv.trim()) ? secretEnv.trim() : 'SECRET';
  return [
    `body='{"parameters": {}}'`,
    'ts=$(date +%s)',
    `sig=$(printf '%s.%s' "$ts" "$body" | openssl dgst -sha256 -hmac "$${env}" -hex | sed 's/^.* //')`,
    `curl --fail-with-body -X POST '${url}' \\`,
    '  -H "Content-Type: application/json" -H "X-Orch-Timestamp: $ts" \\',
    '  -H "X-Orch-Delivery: $(openssl rand -hex 16)" -H "X-Orch-Signature: sha256=$sig" \\',
    '  -d "$body"'
  ].join('\n');
}
