/**
 * The state of a pipeline's trends page: the stats route's figures and the runs behind the
 * duration chart, fetched on `refresh()` and again when the pipeline's last run finishes (the
 * panel's model polls the pipelines; `noticePipelines` is told what it found). No DOM and no
 * JupyterLab import: the widget renders it, unit tests drive it with a fake client.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { OrchClient } from '../api/api';
import { errorMessage } from '../api/errorText';
import { LatestRequest } from '../common/latest';
import {
  IPipelineStats,
  IRunTrend,
  IStepRow,
  runTrends,
  stepOrder,
  stepRows
} from './trendsData';
import { FINISHED_RUN_STATUSES, IPipelineSummary } from '../api/tokens';

/** How many finished runs the page reads: the chart's bars and the figures' span. */
export const TREND_RUNS = 30;
/** Runs asked for beyond `last`: those still running, which the chart leaves out. */
const ACTIVE_MARGIN = 20;

/** The part of the REST client the page uses. */
export type TrendsClient = Pick<OrchClient, 'request' | 'listRuns'>;

/** `GET /orch/pipelines/{name}/stats?last=N`. */
export function fetchStats(
  client: Pick<OrchClient, 'request'>,
  pipeline: string,
  last: number
): Promise<IPipelineStats> {
  return client.request<IPipelineStats>(
    `pipelines/${encodeURIComponent(pipeline)}/stats?last=${last}`
  );
}

export class TrendsModel {
  constructor(
    private readonly _client: TrendsClient,
    readonly pipeline: string,
    readonly last = TREND_RUNS
  ) {}

  /** Emitted whenever anything shown changes. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The figures of the last runs; null until the first answer. */
  get stats(): IPipelineStats | null {
    return this._stats;
  }

  /** The finished runs, oldest first. */
  get runs(): readonly IRunTrend[] {
    return this._runs;
  }

  /** The steps, in the order the chart stacks them. */
  get steps(): readonly string[] {
    return this._steps;
  }

  get stepRows(): readonly IStepRow[] {
    return this._stats ? stepRows(this._stats, this._runs) : [];
  }

  get loading(): boolean {
    return this._loading;
  }

  /** Why the last refresh failed (the server's message), or null. */
  get error(): string | null {
    return this._error;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  /** Reads the figures and the runs again; never rejects (a failure is `error`). */
  async refresh(): Promise<void> {
    if (this._disposed) {
      return;
    }
    const isCurrent = this._requests.begin();
    this._loading = true;
    this._emit();
    try {
      const [stats, page] = await Promise.all([
        fetchStats(this._client, this.pipeline, this.last),
        this._client.listRuns({
          pipeline: this.pipeline,
          limit: this.last + ACTIVE_MARGIN
        })
      ]);
      if (isCurrent()) {
        this._stats = stats;
        this._steps = stepOrder(stats, page.runs);
        this._runs = runTrends(page.runs, this._steps, this.last);
        this._error = null;
      }
    } catch (error) {
      if (isCurrent()) {
        this._error = errorMessage(error);
      }
    } finally {
      if (isCurrent()) {
        this._loading = false;
        this._emit();
      }
    }
  }

  /**
   * What the panel's model last read of the pipelines: when this pipeline's last run has
   * finished since the previous call, the page reads its figures again. The first call only
   * notes where the pipeline stands.
   */
  noticePipelines(pipelines: readonly IPipelineSummary[]): void {
    const p = pipelines.find(each => each.name === this.pipeline);
    if (!p) {
      return;
    }
    const last = `${p.last_run_at}|${p.last_status}`;
    const seen = this._lastSeen;
    this._lastSeen = last;
    const finished =
      !!p.last_status && FINISHED_RUN_STATUSES.has(p.last_status);
    if (seen !== null && seen !== last && finished) {
      void this.refresh();
    }
  }

  dispose(): void {
    if (!this._disposed) {
      this._disposed = true;
      Signal.clearData(this);
    }
  }

  private _emit(): void {
    if (!this._disposed) {
      this._changed.emit();
    }
  }

  private _stats: IPipelineStats | null = null;
  private _runs: IRunTrend[] = [];
  private _steps: string[] = [];
  private _loading = false;
  private _error: string | null = null;
  private _disposed = false;
  /** The pipeline's last run as last noticed, `created at|status`. */
  private _lastSeen: string | null = null;
  private readonly _requests = new LatestRequest();
  private readonly _changed = new Signal<this, void>(this);
}
