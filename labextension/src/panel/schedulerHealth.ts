/**
 * Whether jobs run on schedule, as the sidebar says it: GET /orch/health, asked at most every
 * HEALTH_EVERY_MS (the panel's refreshes ask more often than that).
 */
import type { OrchClient } from '../api/api';

/** How often the panel asks whether a scheduler is alive (GET /orch/health). */
export const HEALTH_EVERY_MS = 15_000;

export class SchedulerHealth {
  /** @param onChange called when the problem changes. */
  constructor(
    private readonly _client: OrchClient,
    private readonly _onChange: () => void
  ) {}

  /** What keeps jobs from running on schedule, in words; null when nothing does. */
  get problem(): string | null {
    return this._problem;
  }

  /** Asks the server, unless it was asked less than HEALTH_EVERY_MS ago. */
  async check(): Promise<void> {
    const now = Date.now();
    if (now - this._checkedAt < HEALTH_EVERY_MS) {
      return;
    }
    this._checkedAt = now;
    try {
      const health = await this._client.health();
      const problem = health.problems.map(p => p.message).join(' ') || null;
      if (problem !== this._problem) {
        this._problem = problem;
        this._onChange();
      }
    } catch {
      // an older server without the route, or a passing failure: the next check says
    }
  }

  private _problem: string | null = null;
  private _checkedAt = -Infinity;
}
