/**
 * The backfills the Runs section shows: those running (GET /orch/backfills?status=running,
 * asked at each of the panel's polls), and those seen running here that have ended since,
 * with how they ended, until dismissed: the end of a backfill is seen, not just its absence.
 */
import {
  BackfillClient,
  cancelBackfill,
  getBackfill,
  IBackfill,
  listBackfills
} from '../api/backfills';
import { OrchError } from '../api/api';

export class RunningBackfills {
  /** @param onChange called when what is shown changed outside a refresh (a dismissal). */
  constructor(
    private readonly _client: BackfillClient,
    private readonly _onChange: () => void
  ) {}

  /** Newest first: the running ones, and the ended ones not dismissed yet. */
  get backfills(): readonly IBackfill[] {
    return this._shown;
  }

  /** Whether any is running: the panel polls fast meanwhile (their runs come and go). */
  get active(): boolean {
    return this._shown.some(b => b.status === 'running');
  }

  /**
   * Asks which are running, and how those that were have ended. Never throws: on an older
   * server without backfills, or a passing failure, what is shown stays (the next poll says).
   */
  async refresh(): Promise<void> {
    let running: IBackfill[];
    try {
      running = await listBackfills(this._client, { status: 'running' });
    } catch {
      return;
    }
    const ids = new Set(running.map(b => b.id));
    const others = await Promise.all(
      this._shown
        .filter(b => !ids.has(b.id))
        .map(b => (b.status === 'running' ? this._ended(b) : b))
    );
    this._set([...running, ...others.filter(b => b !== null)]);
  }

  /** Shows a backfill just started here (whether or not a poll sees it running). */
  add(backfill: IBackfill): void {
    this._set([backfill, ...this._shown.filter(b => b.id !== backfill.id)]);
    this._onChange();
  }

  /** Cancels a running backfill (its queued runs dropped, running ones stopped). */
  async cancel(id: string): Promise<void> {
    const cancelled = await cancelBackfill(this._client, id);
    this._set(this._shown.map(b => (b.id === id ? cancelled : b)));
    this._onChange();
  }

  /** Stops showing an ended backfill. */
  dismiss(id: string): void {
    this._set(this._shown.filter(b => b.id !== id));
    this._onChange();
  }

  /** A backfill no longer running, as it ended; null once the server forgot it. */
  private async _ended(backfill: IBackfill): Promise<IBackfill | null> {
    try {
      return await getBackfill(this._client, backfill.id);
    } catch (error) {
      return error instanceof OrchError && error.status === 404
        ? null
        : backfill;
    }
  }

  private _set(backfills: IBackfill[]): void {
    this._shown = backfills.sort((a, b) =>
      b.created_at.localeCompare(a.created_at)
    );
  }

  private _shown: IBackfill[] = [];
}
