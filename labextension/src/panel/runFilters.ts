/**
 * The run filters of the Orchestration sidebar as data: which pipeline, status, search text
 * and days, what a search finds among the pipelines (the server searches the runs), and the
 * instants a range of days stands for. Pure: the model and the views use it.
 */
import type { IRunQuery } from '../api/api';

export interface IRunFilters {
  pipeline: string;
  status: string;
  /** Text to find in pipelines (name, description, file) and runs (pipeline, #number, id,
   * trigger, status); the server searches the runs. */
  search: string;
  /** A date range of the runs' creation, `YYYY-MM-DD` in the browser's zone, both days
   * included; '' for no bound. */
  from: string;
  to: string;
}

/** No filter: every run. */
export const NO_FILTERS: Readonly<IRunFilters> = {
  pipeline: '',
  status: '',
  search: '',
  from: '',
  to: ''
};

/** What the filters ask of GET /orch/runs. */
export function runQuery(filters: IRunFilters): IRunQuery {
  return {
    pipeline: filters.pipeline || undefined,
    status: filters.status || undefined,
    q: filters.search.trim() || undefined,
    ...dateBounds(filters.from, filters.to)
  };
}

/** Whether any run filter is set. */
export function hasFilters(filters: IRunFilters): boolean {
  return Object.values(filters).some(value => value !== '');
}

/** The pipelines a search text finds: in part, any case, in the name, description or file. */
export function searchPipelines<
  T extends { name: string; description?: string | null; path?: string | null }
>(pipelines: readonly T[], search: string): readonly T[] {
  const text = search.trim().toLowerCase();
  if (!text) {
    return pipelines;
  }
  return pipelines.filter(p =>
    [p.name, p.description ?? '', p.path ?? ''].some(field =>
      field.toLowerCase().includes(text)
    )
  );
}

/**
 * The instants bounding a date range picked in the browser: `since` the start of `from` and
 * `until` the start of the day after `to`, in the browser's zone, as ISO times; undefined for
 * an open end (or a date that does not parse).
 */
export function dateBounds(
  from: string,
  to: string
): { since?: string; until?: string } {
  const dayStart = (day: string, plusDays: number): string | undefined => {
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
    if (!match) {
      return undefined;
    }
    const [year, month, date] = match.slice(1).map(Number);
    const start = new Date(year, month - 1, date + plusDays);
    return isNaN(start.getTime()) ? undefined : start.toISOString();
  };
  return { since: dayStart(from, 0), until: dayStart(to, 1) };
}
