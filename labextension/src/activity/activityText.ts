/**
 * The activity log in words: an entry's action ("paused", "rolled back to version 2 (as
 * version 4)"), where it came from, the "since" choices, and the filters as a query. No DOM and
 * no JupyterLab widgets: the view renders these, unit tests check them.
 */
import type { IActivityEntry, IActivityQuery } from '../api/activity';
import { shortId, triggerLabel } from '../common/format';
import { trans } from '../common/i18n';

/** What the user filters the log by. */
export interface IActivityFilters {
  /** A pipeline's name; empty for all. */
  pipeline: string;
  /** An actor exactly as entries name it; empty for anyone. */
  actor: string;
  /** A `since` choice's value: `24h`, `7d`, `30d`, or empty for all time. */
  since: string;
}

export const NO_FILTERS: IActivityFilters = {
  pipeline: '',
  actor: '',
  since: ''
};

/** The "since" choices, shortest first; the last is all time. */
export function sinceChoices(): { value: string; label: string }[] {
  return [
    { value: '24h', label: trans.__('Last 24 hours') },
    { value: '7d', label: trans.__('Last 7 days') },
    { value: '30d', label: trans.__('Last 30 days') },
    { value: '', label: trans.__('All time') }
  ];
}

/** The query for one page of the log under `filters`, after `cursor` (null: the first). */
export function filtersQuery(
  filters: IActivityFilters,
  cursor: string | null = null,
  limit = 50
): IActivityQuery {
  const query: IActivityQuery = {};
  const pipeline = filters.pipeline.trim();
  const actor = filters.actor.trim();
  if (pipeline) {
    query.pipeline = pipeline;
  }
  if (actor) {
    query.actor = actor;
  }
  if (filters.since) {
    query.since = filters.since;
  }
  query.limit = limit;
  if (cursor) {
    query.cursor = cursor;
  }
  return query;
}

/** Where an entry came from, in a word: "Lab", "API", "CLI", "Scheduler", "Webhook". */
export function originLabel(origin: string): string {
  switch (origin) {
    case 'cli':
      return trans._p('origin', 'CLI');
    case 'api':
      return trans._p('origin', 'API');
    case 'lab':
      return trans._p('origin', 'Lab');
    case 'scheduler':
      return trans._p('origin', 'Scheduler');
    case 'webhook':
      return trans._p('origin', 'Webhook');
  }
  return trans._p('origin', 'Unknown');
}

/** The hover of an origin's badge. */
export function originTitle(
  entry: Pick<IActivityEntry, 'origin' | 'address'>
): string {
  let where: string;
  switch (entry.origin) {
    case 'cli':
      where = trans.__('From the command line (jupyter orch)');
      break;
    case 'api':
      where = trans.__('From the REST API');
      break;
    case 'lab':
      where = trans.__('From JupyterLab');
      break;
    case 'scheduler':
      where = trans.__('By the scheduler');
      break;
    case 'webhook':
      where = trans.__('From a webhook');
      break;
    default:
      where = trans.__('From an unknown place');
  }
  return entry.address
    ? trans.__('%1, address %2', where, entry.address)
    : where;
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value.trim() ? value : null;
}

function count(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function withVersion(
  detail: Record<string, unknown>,
  bare: string,
  numbered: (version: number) => string
): string {
  const version = count(detail.version);
  const words = version === null ? bare : numbered(version);
  const summary = text(detail.summary);
  return summary ? trans.__('%1: %2', words, summary) : words;
}

/** A run's (`of`) short name for a sentence: "run 1a2b3c4d". */
function ofRun(detail: Record<string, unknown>): string | null {
  const of = text(detail.of);
  return of ? shortId(of) : null;
}

function ranText(detail: Record<string, unknown>): string {
  const trigger = text(detail.trigger);
  return trigger && trigger !== 'manual'
    ? trans.__('ran (%1)', triggerLabel(trigger).toLowerCase())
    : trans.__('ran');
}

function runActionText(
  action: string,
  detail: Record<string, unknown>
): string | null {
  const of = ofRun(detail);
  const step = text(detail.step);
  switch (action) {
    case 'run':
      return ranText(detail);
    case 'rerun':
      return of ? trans.__('reran run %1', of) : trans.__('reran a run');
    case 'replay':
      return of ? trans.__('replayed run %1', of) : trans.__('replayed a run');
    case 'test':
      return step
        ? trans.__('tested step %1', step)
        : trans.__('tested the pipeline');
    case 'cancel':
      return trans.__('cancelled the run');
    case 'retry_now':
      return step
        ? trans.__('retried step %1 now', step)
        : trans.__('retried a step now');
    case 'fail_now':
      return step
        ? trans.__('failed step %1 now', step)
        : trans.__('failed a step now');
    case 'pin':
      return trans.__('pinned the run');
    case 'unpin':
      return trans.__('unpinned the run');
  }
  return null;
}

function pipelineActionText(
  action: string,
  detail: Record<string, unknown>
): string | null {
  switch (action) {
    case 'register':
      return withVersion(detail, trans.__('registered'), v =>
        trans.__('registered (version %1)', v)
      );
    case 'edit':
      return withVersion(detail, trans.__('edited'), v =>
        trans.__('edited (version %1)', v)
      );
    case 'apply':
      return withVersion(detail, trans.__('applied'), v =>
        trans.__('applied (version %1)', v)
      );
    case 'pause':
      return trans.__('paused');
    case 'resume':
      return trans.__('resumed');
    case 'archive':
      return trans.__('archived');
    case 'unarchive':
      return trans.__('unarchived');
    case 'delete':
      return trans.__('deleted');
    case 'rollback': {
      const to = count(detail.to);
      const made = count(detail.version);
      if (to !== null && made !== null) {
        return trans.__('rolled back to version %1 (as version %2)', to, made);
      }
      return to !== null
        ? trans.__('rolled back to version %1', to)
        : trans.__('rolled back');
    }
    case 'prune': {
      const runs = count(detail.runs);
      return runs !== null
        ? trans._n('pruned %1 run', 'pruned %1 runs', runs)
        : trans.__('pruned old runs');
    }
  }
  return null;
}

function otherActionText(
  action: string,
  detail: Record<string, unknown>
): string | null {
  switch (action) {
    case 'channel_test': {
      const channel = text(detail.channel) ?? '';
      if (detail.ok === false) {
        return trans.__('tested channel %1 (failed)', channel);
      }
      return trans.__('tested channel %1', channel);
    }
    case 'webhook':
      return trans.__('received a webhook');
  }
  return null;
}

/** An entry's action in words: "paused", "edited (version 3): <summary>", "replayed run …". */
export function describeAction(
  entry: Pick<IActivityEntry, 'action' | 'detail'>
): string {
  const detail = entry.detail ?? {};
  return (
    pipelineActionText(entry.action, detail) ??
    runActionText(entry.action, detail) ??
    otherActionText(entry.action, detail) ??
    entry.action.replace(/_/g, ' ')
  );
}
