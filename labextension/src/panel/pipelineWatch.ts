/**
 * Watched pipelines: the user rang a pipeline's bell in the sidebar, so each of its runs that
 * finishes (started anywhere: a schedule, the API, another browser) gets the notification a run
 * started in this browser gets. The set lives in the browser's localStorage; which runs to
 * notify of is decided from the runs the panel polls. No DOM: unit-tested.
 */
import { FINISHED_RUN_STATUSES, IRun } from '../api/tokens';

/** Where the watched pipelines' names are kept (a JSON list). */
export const WATCH_STORAGE_KEY = 'jupyter-orch:watched-pipelines';

/** The part of Web Storage used: localStorage in the lab, a fake in unit tests. */
export type StorageLike = Pick<Storage, 'getItem' | 'setItem'>;

/** The browser's localStorage, or null where there is none (or it is refused). */
export function browserStorage(): StorageLike | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null; // a SecurityError where site data is blocked
  }
}

/** The pipelines whose runs this browser is told of, kept in `storage` (memory only if null). */
export class PipelineWatchList {
  constructor(private readonly _storage: StorageLike | null) {
    this._names = new Set(readNames(_storage));
  }

  get names(): ReadonlySet<string> {
    return this._names;
  }

  has(name: string): boolean {
    return this._names.has(name);
  }

  set(name: string, watched: boolean): void {
    if (watched) {
      this._names.add(name);
    } else {
      this._names.delete(name);
    }
    try {
      this._storage?.setItem(
        WATCH_STORAGE_KEY,
        JSON.stringify([...this._names].sort())
      );
    } catch {
      // Full or refused: the choice holds until the page is reloaded.
    }
  }

  private _names: Set<string>;
}

function readNames(storage: StorageLike | null): string[] {
  try {
    const data: unknown = JSON.parse(
      storage?.getItem(WATCH_STORAGE_KEY) ?? '[]'
    );
    return Array.isArray(data)
      ? data.filter((n): n is string => typeof n === 'string')
      : [];
  } catch {
    return [];
  }
}

/** When a run was created (ms), NaN when unknown. */
function createdAt(run: IRun): number {
  return run.created_at ? Date.parse(run.created_at) : NaN;
}

/** What one poll's runs mean for the watched pipelines. */
export interface IPipelineRunsOutcome {
  /** Runs of watched pipelines still going: watch each until it finishes. */
  watch: IRun[];
  /** Runs of watched pipelines that started and finished since the last poll: tell now. */
  tell: IRun[];
  /**
   * The newest creation time seen (ms; the server's clock), to tell new runs from old ones
   * next time; the browser's time when no run was seen yet.
   */
  newest: number;
}

/**
 * Sorts a poll's runs for the watched `pipelines`. Runs already in `watchedRuns` are left to
 * that watch (no second notification). A finished run is new when it was created after
 * `newest` (what the last poll returned; null on the first poll, when nothing is new): older
 * ones showing up (another filter, the next page) were finished before. `now` is the baseline
 * while no run at all has been seen.
 */
export function sortPipelineRuns(
  runs: readonly IRun[],
  pipelines: ReadonlySet<string>,
  watchedRuns: ReadonlySet<string>,
  newest: number | null,
  now: number = Date.now()
): IPipelineRunsOutcome {
  const times = runs.map(createdAt).filter(time => !isNaN(time));
  const seen = times.length ? Math.max(...times) : null;
  const outcome: IPipelineRunsOutcome = {
    watch: [],
    tell: [],
    newest: Math.max(newest ?? seen ?? now, seen ?? -Infinity)
  };
  for (const run of runs) {
    const created = createdAt(run);
    if (!pipelines.has(run.pipeline) || watchedRuns.has(run.id)) {
      continue;
    }
    if (!FINISHED_RUN_STATUSES.has(run.status)) {
      outcome.watch.push(run);
    } else if (newest !== null && !isNaN(created) && created > newest) {
      outcome.tell.push(run);
    }
  }
  return outcome;
}
