/**
 * Checks of the builder's event triggers (`on:`) before the server sees them (the server's own
 * rules for file patterns, durations and variable names, in the form's words), and the rows
 * the server's field paths (`on.sql[0].connection`) name. Pure: unit-tested.
 */
import { trans } from '../common/i18n';
import {
  ENV_NAME,
  ITriggerRow,
  TRIGGER_KINDS,
  TriggerKind
} from './builderTriggersModel';

/** The field of a row that shows a problem. */
export type TriggerPart =
  'pipeline' | 'pattern' | 'connection' | 'query' | 'every' | 'secret_env';

/** Seconds of a duration as the server reads it (`90`, `30s`, `1h30m`), or null. */
export function durationSeconds(input: string): number | null {
  const units: Record<string, number> = {
    ms: 0.001,
    s: 1,
    m: 60,
    h: 3600,
    d: 86400
  };
  const trimmed = input.trim().replace(/ /g, '');
  if (/^\d+(\.\d+)?$/.test(trimmed)) {
    return Number(trimmed);
  }
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
  if (!trimmed || parts.map(p => p[0]).join('') !== trimmed) {
    return null;
  }
  return parts.reduce((sum, p) => sum + Number(p[1]) * units[p[2]], 0);
}

/** The server's rule for a file pattern (`check_file_pattern`): why it is refused, or null. */
function patternProblem(pattern: string): string | null {
  if (!pattern.trim()) {
    return trans.__('Give a pattern, e.g. %1', 'data/incoming/*.csv');
  }
  if (/^([\\/]|[A-Za-z]:)/.test(pattern)) {
    return trans.__("Write the pattern relative to the pipeline file's folder");
  }
  const parts = pattern.split(/[\\/]/);
  if (parts.includes('..')) {
    return trans.__(
      "The pattern must stay inside the pipeline file's folder (no ..)"
    );
  }
  if (parts.some(part => part.includes('**') && part !== '**')) {
    return trans.__(
      "'%1' must be a whole path component, as in %2",
      '**',
      'data/**/*.csv'
    );
  }
  return null;
}

/** A problem of a row: the row's key, the field and the message. */
export type TriggerProblem = [key: string, part: TriggerPart, message: string];

function rowProblems(row: ITriggerRow): [TriggerPart, string][] {
  switch (row.kind) {
    case 'pipeline_succeeded':
    case 'pipeline_failed':
      return row.pipeline.trim()
        ? []
        : [['pipeline', trans.__('Choose a pipeline')]];
    case 'file': {
      const problem = patternProblem(row.pattern);
      return problem ? [['pattern', problem]] : [];
    }
    case 'sql': {
      const found: [TriggerPart, string][] = [];
      if (!row.connection.trim()) {
        found.push(['connection', trans.__('Choose a connection')]);
      }
      if (!row.query.trim()) {
        found.push([
          'query',
          trans.__('Write the query whose result is watched')
        ]);
      }
      const every = row.every.trim();
      const seconds = every ? durationSeconds(every) : 60;
      if (seconds === null || seconds < 1) {
        found.push([
          'every',
          trans.__('Give seconds (at least 1) or a duration: %1', '30s, 5m, 1h')
        ]);
      }
      return found;
    }
    case 'webhook':
      return ENV_NAME.test(row.secretEnv.trim())
        ? []
        : [
            [
              'secret_env',
              trans.__(
                'Give the name of the environment variable that holds the secret (letters, digits and _), not the secret'
              )
            ]
          ];
  }
}

/** What the form can tell about the triggers without the server. */
export function triggerProblems(rows: ITriggerRow[]): TriggerProblem[] {
  const found: TriggerProblem[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    for (const [part, message] of rowProblems(row)) {
      found.push([row.key, part, message]);
    }
    const watched = row.kind === 'file' ? row.pattern : row.pipeline;
    const same = `${row.kind}:${watched.trim()}`;
    if (watched.trim() && seen.has(same)) {
      const part = row.kind === 'file' ? 'pattern' : 'pipeline';
      found.push([
        row.key,
        part,
        trans.__('%1 is given twice', watched.trim())
      ]);
    }
    seen.add(same);
  }
  return found;
}

/** The part a kind's own field answers to when the server names no sub-key. */
const KIND_PART: Record<Exclude<TriggerKind, 'sql'>, TriggerPart> = {
  pipeline_succeeded: 'pipeline',
  pipeline_failed: 'pipeline',
  file: 'pattern',
  webhook: 'secret_env'
};
const ON_PATH = /^on(?:\.([a-z_]+)(?:\[(\d+)\])?(?:\.([a-z_]+))?)?(?:$|[.[])/;
const SQL_PARTS = ['connection', 'query', 'every'] as const;

/**
 * The row (and its field) a server field path under `on` names: `on.sql[0].connection`,
 * `on.pipeline_failed[1]`, `on.webhook.secret_env`; `on` for `on:` as a whole (or a kind's
 * problem no single row answers to); null for a path outside `on` or a key the form does not
 * edit (a general problem, said with its path). Rows of a kind are written in the form's order.
 */
export function triggerAt(
  rows: ITriggerRow[],
  path: string
): { key: string; part?: TriggerPart } | 'on' | null {
  const match = ON_PATH.exec(path);
  if (!match) {
    return null;
  }
  const [, name, index, sub] = match;
  const kind = TRIGGER_KINDS.find(k => k === name);
  if (!kind) {
    return path === 'on' ? 'on' : null;
  }
  const ofKind = rows.filter(r => r.kind === kind);
  // `on.file` names no item (its message names the pattern): a row only when there is one
  const row =
    index !== undefined
      ? ofKind[Number(index)]
      : ofKind.length === 1
        ? ofKind[0]
        : undefined;
  if (!row) {
    return 'on';
  }
  if (kind !== 'sql') {
    return { key: row.key, part: KIND_PART[kind] };
  }
  const part = SQL_PARTS.find(p => p === sub);
  return { key: row.key, part };
}
