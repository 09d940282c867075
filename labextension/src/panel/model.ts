/**
 * What the Orchestration panel shows: pipelines, a page of runs with filters, the backfills
 * going on, and the runs this browser started or whose pipeline it watches (each watched until
 * it finishes, for a notification). It polls the server, fast while runs or backfills are
 * active. Widgets only render it.
 */
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import {
  OrchClient,
  OrchError,
  ServerExtensionMissingError,
  ServerUnavailableError
} from '../api/api';
import { RunningBackfills } from '../backfill/runningBackfills';
import { LatestRequest } from '../common/latest';
import { IRunFilters, NO_FILTERS, runQuery } from './runFilters';
import { SchedulerHealth } from './schedulerHealth';
import { IDLE_INTERVAL, pollInterval } from '../run/liveProgress';
import {
  browserStorage,
  PipelineWatchList,
  sortPipelineRuns
} from './pipelineWatch';
import {
  FINISHED_RUN_STATUSES,
  IPipelineSummary,
  IRun,
  JSONObject
} from '../api/tokens';

/** Runs the panel asks for at a time. */
export const PAGE_SIZE = 25;

export class OrchModel {
  /** `_watchList`: the pipelines watched from this browser (kept in its localStorage). */
  constructor(
    readonly client: OrchClient,
    private readonly _watchList = new PipelineWatchList(browserStorage())
  ) {
    this._poll = new Poll({
      auto: false,
      factory: () => this.refresh(),
      frequency: { interval: IDLE_INTERVAL, backoff: true, max: 60000 },
      name: 'jupyter-orch:runs',
      standby: 'when-hidden'
    });
  }

  /** Emitted whenever what the panel shows changed. */
  get stateChanged(): ISignal<this, void> {
    return this._stateChanged;
  }

  /** Emitted once for each watched run (or run of a watched pipeline) when it finishes. */
  get runFinished(): ISignal<this, IRun> {
    return this._runFinished;
  }

  get pipelines(): readonly IPipelineSummary[] {
    return this._pipelines;
  }

  get runs(): readonly IRun[] {
    return this._runs;
  }

  get hasMore(): boolean {
    return this._nextCursor !== null;
  }

  get filters(): IRunFilters {
    return this._filters;
  }

  /** Whether the pipeline list includes the archived pipelines (the server hides them). */
  get showArchived(): boolean {
    return this._showArchived;
  }

  /** Lists the archived pipelines too, or hides them again. */
  async setShowArchived(show: boolean): Promise<void> {
    if (show !== this._showArchived) {
      this._showArchived = show;
      await this.refresh();
    }
  }

  get loading(): boolean {
    return this._loading;
  }

  /** Why the last refresh failed (the server's message), or null. */
  get error(): string | null {
    return this._error;
  }

  /** The server answers without the jupyter-orch server extension. */
  get serverExtensionMissing(): boolean {
    return this._missing;
  }

  /**
   * The server's reason while it cannot serve orchestration (its store is unreachable; it
   * retries by itself), or null. Polling goes on, and the panel recovers when it answers.
   */
  get unavailable(): string | null {
    return this._unavailable;
  }

  /** Whether this browser is told when a run of the pipeline finishes. */
  isPipelineWatched(name: string): boolean {
    return this._watchList.has(name);
  }

  /** Watches (or stops watching) a pipeline's runs, wherever they are started. */
  setPipelineWatched(name: string, watched: boolean): void {
    this._watchList.set(name, watched);
    this._emit();
  }

  /** Whether a pipeline's toggle or run button is waiting for the server. */
  isBusy(name: string): boolean {
    return this._busy.has(name);
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  /** Starts polling (the panel calls it when first shown). */
  start(): void {
    if (!this._started) {
      this._started = true;
      void this._poll.start();
    }
  }

  /**
   * Re-reads pipelines and the first page of runs (keeping as many rows as are shown).
   * Only the answer to the newest refresh is shown: an older one (say, for the filter the
   * user just left, answering late) is dropped.
   */
  async refresh(): Promise<void> {
    if (this._disposed) {
      return;
    }
    const latest = this._refreshes.begin();
    const isCurrent = () => latest() && !this._disposed;
    this._loading = true;
    this._emit();
    try {
      const limit = Math.max(PAGE_SIZE, this._runs.length);
      const [pipelines, page] = await Promise.all([
        this.client.listPipelines({ all: this._showArchived }),
        this.client.listRuns({ ...runQuery(this._filters), limit }),
        this.backfills.refresh()
      ]);
      if (!isCurrent()) {
        return;
      }
      this._pipelines = pipelines;
      this._runs = page.runs;
      void this._health.check();
      this._nextCursor = page.next_cursor;
      this._setProblem(null);
      const finished = this._watchPipelineRuns(page.runs);
      await this._checkWatched();
      for (const run of finished) {
        this._runFinished.emit(run);
      }
    } catch (error) {
      if (!isCurrent()) {
        return;
      }
      this._setProblem(error);
      if (!(error instanceof OrchError)) {
        throw error;
      }
    } finally {
      if (isCurrent()) {
        this._loading = false;
        this._adjustPolling();
        this._emit();
      }
    }
  }

  /**
   * What keeps jobs from running on schedule (applied pipelines, no scheduler alive), said in
   * the panel; null when nothing does. Read at most every HEALTH_EVERY_MS.
   */
  get healthProblem(): string | null {
    return this._health.problem;
  }

  /** Appends the next page of older runs. */
  async loadMore(): Promise<void> {
    if (this._nextCursor === null) {
      return;
    }
    const filters = this._filters;
    const page = await this.client.listRuns({
      ...runQuery(this._filters),
      limit: PAGE_SIZE,
      cursor: this._nextCursor
    });
    if (filters !== this._filters || this._disposed) {
      return; // a page of the previous filter's runs
    }
    const known = new Set(this._runs.map(r => r.id));
    this._runs = [...this._runs, ...page.runs.filter(r => !known.has(r.id))];
    this._nextCursor = page.next_cursor;
    this._emit();
  }

  async setFilters(filters: Partial<IRunFilters>): Promise<void> {
    this._filters = { ...this._filters, ...filters };
    this._runs = [];
    this._nextCursor = null;
    await this.refresh();
  }

  /** Starts a run from this browser, and watches it for the finish notification. */
  async trigger(name: string, parameters: JSONObject): Promise<IRun> {
    return this._whileBusy(name, async () => {
      const run = await this.client.trigger(name, parameters, 'manual');
      this.watch(run);
      await this.refresh();
      return run;
    });
  }

  async setPaused(name: string, paused: boolean): Promise<void> {
    await this._change(name, () => this.client.setPaused(name, paused));
  }

  /** Archives a pipeline (it stops firing, and leaves the list unless archived ones are shown). */
  async setArchived(name: string, archived: boolean): Promise<void> {
    await this._change(name, () => this.client.setArchived(name, archived));
  }

  /** The backfills running, and those seen running that ended since (until dismissed). */
  readonly backfills = new RunningBackfills(this.client, () => this._emit());

  /** Watches a run started here (a trigger, a rerun, "Run now") until it finishes. */
  watch(run: IRun): void {
    if (!FINISHED_RUN_STATUSES.has(run.status)) {
      this._watched.add(run.id);
      this._adjustPolling();
    }
  }

  /** Ids of the runs being watched. */
  get watched(): ReadonlySet<string> {
    return this._watched;
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this._poll.dispose();
    Signal.clearData(this);
  }

  /** Records why the last refresh failed (null: it did not). */
  private _setProblem(error: unknown): void {
    this._missing = error instanceof ServerExtensionMissingError;
    this._unavailable =
      error instanceof ServerUnavailableError ? error.message : null;
    this._error =
      error === null
        ? null
        : error instanceof Error
          ? error.message
          : String(error);
  }

  /** Emits runFinished for watched runs that have ended (looked up when not in the page). */
  private async _checkWatched(): Promise<void> {
    for (const id of [...this._watched]) {
      let run = this._runs.find(r => r.id === id);
      if (!run) {
        try {
          run = await this.client.getRun(id);
        } catch (error) {
          if (error instanceof OrchError && error.status === 404) {
            this._watched.delete(id);
            this._forPipeline.delete(id);
          }
          continue;
        }
      }
      if (FINISHED_RUN_STATUSES.has(run.status)) {
        this._watched.delete(id);
        // Not when it was watched for a pipeline the user has stopped watching since
        const unwatched =
          this._forPipeline.delete(id) && !this._watchList.has(run.pipeline);
        if (!unwatched) {
          this._runFinished.emit(run);
        }
      }
    }
  }

  /**
   * Watches the runs of watched pipelines that go on (until they finish, as `watch` does);
   * returns those that started and finished since the last refresh.
   */
  private _watchPipelineRuns(runs: readonly IRun[]): IRun[] {
    const outcome = sortPipelineRuns(
      runs,
      this._watchList.names,
      this._watched,
      this._newestRun
    );
    this._newestRun = outcome.newest;
    for (const run of outcome.watch) {
      this._watched.add(run.id);
      this._forPipeline.add(run.id);
    }
    return outcome.tell;
  }

  /**
   * Polls fast while runs are active (those listed, and those watched off the page), and
   * while the server retries its store; slowly when all is quiet (see liveProgress.ts).
   */
  private _adjustPolling(): void {
    if (this._disposed) {
      return;
    }
    const interval = pollInterval(
      this._runs,
      this._unavailable !== null ||
        this._watched.size > 0 ||
        this.backfills.active
    );
    const current = this._poll.frequency.interval;
    if (current === interval) {
      return;
    }
    this._poll.frequency = { ...this._poll.frequency, interval };
    if (interval < current && this._started) {
      // The tick already scheduled may be an idle interval away (a run just started here,
      // or a filter showed active runs): bring it forward, so the run is seen live at once.
      void this._poll.schedule({ interval, phase: 'refreshed' });
    }
  }

  /** Changes a pipeline on the server (its row busy meanwhile), then shows the lists anew. */
  private async _change(
    name: string,
    call: () => Promise<unknown>
  ): Promise<void> {
    await this._whileBusy(name, async () => {
      await call();
      await this.refresh();
    });
  }

  private async _whileBusy<T>(
    name: string,
    work: () => Promise<T>
  ): Promise<T> {
    this._busy.add(name);
    this._emit();
    try {
      return await work();
    } finally {
      this._busy.delete(name);
      this._emit();
    }
  }

  private _emit(): void {
    if (!this._disposed) {
      this._stateChanged.emit();
    }
  }

  private _pipelines: IPipelineSummary[] = [];
  private _health = new SchedulerHealth(this.client, () => this._emit());
  private _runs: IRun[] = [];
  private _nextCursor: string | null = null;
  private _filters: IRunFilters = NO_FILTERS;
  private _showArchived = false;
  private _loading = false;
  private _error: string | null = null;
  private _missing = false;
  private _unavailable: string | null = null;
  private _busy = new Set<string>();
  private _watched = new Set<string>();
  /** Watched runs that this browser did not start: watched for their pipeline. */
  private _forPipeline = new Set<string>();
  /** The newest creation time (ms) of a run seen, once the first refresh answered. */
  private _newestRun: number | null = null;
  private _started = false;
  private _disposed = false;
  private _refreshes = new LatestRequest();
  private _poll: Poll;
  private _stateChanged = new Signal<this, void>(this);
  private _runFinished = new Signal<this, IRun>(this);
}
