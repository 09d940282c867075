/**
 * The state of one run's detail view: the run, its log and its pipeline (with the kind and the
 * attempts allowed of each step of the run's version), fetched again every LIVE_INTERVAL until
 * the run is finished (the log only past the last line it has); and the actions it offers
 * (cancel, rerun, pin, and Retry now / Fail now for a step waiting for a retry).
 * No DOM and no JupyterLab import: the widget renders it, unit tests drive it with a fake client.
 */
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { OrchClient, OrchError, ServerExtensionMissingError } from '../api/api';
import { LatestRequest } from '../common/latest';
import { kindsByStep } from '../common/stepKinds';
import { allowedAttempts, LIVE_INTERVAL } from './liveProgress';
import { notificationsPending } from './notificationView';
import { isFinished } from './runView';
import type {
  ICancelOutcome,
  ILogLine,
  IPipeline,
  IRun,
  StepKind,
  StepWake
} from '../api/tokens';

/** What the view is doing on the user's behalf (a step's Retry now and Fail now too). */
export type RunAction = 'cancel' | 'rerun' | 'rerun-failed' | 'pin' | StepWake;

/** The part of the REST client this model uses. */
export type RunClient = Pick<
  OrchClient,
  | 'getRun'
  | 'logs'
  | 'cancel'
  | 'rerun'
  | 'setPinned'
  | 'wakeStep'
  | 'getPipeline'
  | 'version'
>;

export class RunDetailModel {
  /**
   * @param interval milliseconds between fetches while the run is not finished.
   */
  constructor(
    private readonly client: RunClient,
    readonly runId: string,
    interval = LIVE_INTERVAL
  ) {
    // As the setTimeout loop it replaces: the next fetch is `interval` after the last one
    // answered (refresh() never rejects, so the poll never backs off), and it goes on while
    // the browser tab is hidden.
    this._poll = new Poll({
      auto: false,
      factory: () => this._tick(),
      frequency: { interval, backoff: false },
      name: `jupyter-orch:run-${runId}`,
      standby: 'never'
    });
  }

  /** Emitted whenever anything shown changes. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The run as last fetched; null until the first answer. */
  get run(): IRun | null {
    return this._run;
  }

  get logs(): readonly ILogLine[] {
    return this._logs;
  }

  /** The pipeline's current definition (for its newest version number), if it still exists. */
  get pipeline(): IPipeline | null {
    return this._pipeline;
  }

  /**
   * The kind of each step as the run's version defines it; empty until known (and for a
   * deleted pipeline). The run record itself does not say.
   */
  get kinds(): Readonly<Record<string, StepKind>> {
    return this._kinds;
  }

  /** How many attempts each step may make, as the run's version says; empty until known. */
  get allowedAttempts(): Readonly<Record<string, number>> {
    return this._allowed;
  }

  /** True until the first fetch has answered (either way). */
  get loading(): boolean {
    return this._loading;
  }

  /** The server says there is no such run. */
  get notFound(): boolean {
    return this._notFound;
  }

  /** Why the last fetch failed (network, server), or null. */
  get loadError(): string | null {
    return this._loadError;
  }

  get busy(): RunAction | null {
    return this._busy;
  }

  /** Cancel was asked of a running run, which stops at its next chance. */
  get cancelRequested(): boolean {
    return (
      this._cancelRequested && !!this._run && !isFinished(this._run.status)
    );
  }

  /** The step highlighted in the DAG and the step list. */
  get selected(): string | null {
    return this._selected;
  }

  /** Whether fetches continue: the run is known and not finished. */
  get watching(): boolean {
    return (
      !this._isDisposed &&
      !this._notFound &&
      !(this._run && isFinished(this._run.status))
    );
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  select(step: string | null): void {
    if (step !== this._selected) {
      this._selected = step;
      this._changed.emit();
    }
  }

  /**
   * Fetches at once (on the poll's zero-delay first tick), then `interval` ms after each
   * answer while the run is not finished.
   */
  start(): void {
    if (this._started || this._isDisposed) {
      return;
    }
    this._started = true;
    void this._poll.start();
  }

  /**
   * Fetches the run, then the log lines after the last one shown. Never throws: failures
   * land in `loadError`.
   */
  async refresh(): Promise<void> {
    const latest = this._fetches.begin();
    // The log is read after the run: the runner writes a run's last lines before it marks
    // the run ended, so once the run reads ended, this fetch has brought every line.
    const run = await settled(this.client.getRun(this.runId));
    const logs = await settled(
      this.client.logs(this.runId, lastId(this._logs))
    );
    if (this._isDisposed || !latest()) {
      return;
    }
    this._loading = false;
    if (run.status === 'fulfilled') {
      this._run = run.value;
      this._loadError = null;
      this._notFound = false;
    } else if (isNotFound(run.reason)) {
      this._notFound = true;
    } else {
      this._loadError = messageOf(run.reason);
    }
    if (logs.status === 'fulfilled') {
      this._logs = appendLines(this._logs, logs.value);
    }
    if (this._run && !this._pipelineAsked) {
      this._pipelineAsked = true;
      void this._fetchPipeline(this._run.pipeline, this._run.version);
    }
    this._changed.emit();
  }

  /** Asks the server to cancel the run; the run as it answered is shown at once. */
  async cancel(): Promise<ICancelOutcome> {
    const outcome = await this._act('cancel', () =>
      this.client.cancel(this.runId)
    );
    this._cancelRequested = outcome.outcome === 'requested';
    this._show(outcome.run);
    void this.refresh();
    return outcome;
  }

  /** Pins the run (retention never deletes it) or unpins it; shown as the server answered. */
  async setPinned(pinned: boolean): Promise<IRun> {
    const run = await this._act('pin', () =>
      this.client.setPinned(this.runId, pinned)
    );
    this._show(run);
    return run;
  }

  /**
   * Ends a retrying step's wait: its next attempt now, or no more attempts. The run as the
   * server answered is shown at once; the executor acts within seconds, which the next
   * fetches show.
   */
  async wakeStep(step: string, action: StepWake): Promise<IRun> {
    const run = await this._act(action, () =>
      this.client.wakeStep(this.runId, step, action)
    );
    this._show(run);
    return run;
  }

  /**
   * Starts a new run with the same parameters (only the unfinished steps `fromFailed`): of the
   * files as they are now, or of this run's own version byte for byte (`exact`).
   */
  rerun(fromFailed: boolean, exact = false): Promise<IRun> {
    return this._act(fromFailed ? 'rerun-failed' : 'rerun', () =>
      this.client.rerun(this.runId, fromFailed, exact)
    );
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._poll.dispose();
    Signal.clearData(this);
  }

  /**
   * One fetch of the poll; the poll stops once there is nothing more to watch (a finished
   * run's notifications still being sent are watched too).
   */
  private async _tick(): Promise<void> {
    await this.refresh();
    const sending =
      !this._notFound && this._run !== null && notificationsPending(this._run);
    if (!this.watching && !sending) {
      this._poll.dispose();
    }
  }

  /** Shows the run an action answered with; a fetch still on its way is dropped. */
  private _show(run: IRun): void {
    this._fetches.supersede();
    this._run = run;
    this._changed.emit();
  }

  private async _act<T>(action: RunAction, call: () => Promise<T>): Promise<T> {
    this._busy = action;
    this._changed.emit();
    try {
      return await call();
    } finally {
      this._busy = null;
      if (!this._isDisposed) {
        this._changed.emit();
      }
    }
  }

  private async _fetchPipeline(name: string, version: number): Promise<void> {
    try {
      const pipeline = await this.client.getPipeline(name);
      if (!this._isDisposed) {
        this._pipeline = pipeline;
        this._changed.emit();
      }
    } catch {
      // Deleted since, or unreachable: the run's own version number still shows.
    }
    try {
      // The run's version, not the current definition: it may be older, and only the
      // stored definition has the `defaults` that give a step its retries.
      const { definition } = await this.client.version(name, version);
      if (!this._isDisposed) {
        this._kinds = kindsByStep(definition.steps);
        this._allowed = allowedAttempts(definition);
        this._changed.emit();
      }
    } catch {
      // Without it, the steps show no kind label and no "of N" attempts; exports are still
      // summarised.
    }
  }

  private _changed = new Signal<this, void>(this);
  private _run: IRun | null = null;
  private _logs: readonly ILogLine[] = [];
  private _pipeline: IPipeline | null = null;
  private _pipelineAsked = false;
  private _kinds: Record<string, StepKind> = {};
  private _allowed: Record<string, number> = {};
  private _loading = true;
  private _notFound = false;
  private _loadError: string | null = null;
  private _busy: RunAction | null = null;
  private _cancelRequested = false;
  private _selected: string | null = null;
  private _started = false;
  private _isDisposed = false;
  private _poll: Poll;
  /** A slow, older answer never replaces a newer one. */
  private _fetches = new LatestRequest();
}

/** The id of the last line held (0: none, which asks the server for every line). */
function lastId(lines: readonly ILogLine[]): number {
  return lines.length ? lines[lines.length - 1].id : 0;
}

/** `known` followed by the fetched lines it lacks (two fetches may bring the same lines). */
function appendLines(
  known: readonly ILogLine[],
  fetched: readonly ILogLine[]
): readonly ILogLine[] {
  const last = lastId(known);
  const fresh = fetched.filter(line => line.id > last);
  return fresh.length ? [...known, ...fresh] : known;
}

/** A promise's outcome, never a rejection. */
async function settled<T>(
  promise: Promise<T>
): Promise<PromiseSettledResult<T>> {
  const [outcome] = await Promise.allSettled([promise]);
  return outcome;
}

/** The server's "no such run" (not a missing server extension, which is a 404 too). */
function isNotFound(error: unknown): boolean {
  return (
    error instanceof OrchError &&
    error.status === 404 &&
    !(error instanceof ServerExtensionMissingError)
  );
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
