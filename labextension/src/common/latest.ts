import { errorMessage } from '../api/errorText';

/**
 * Numbers requests so that only the answer to the newest one is used: an older answer that
 * comes late (a poll for the filter the user just left) is dropped instead of overwriting
 * a newer one. Models poll and refresh on demand, so their requests overlap.
 */
export class LatestRequest {
  /**
   * Starts a request. Call the returned function when its answer comes: true while no newer
   * request has started (or `supersede` been called), so the answer is still wanted.
   */
  begin(): () => boolean {
    const ticket = ++this._count;
    return () => ticket === this._count;
  }

  /** Makes every request started so far stale (an answer got another way is newer). */
  supersede(): void {
    this._count++;
  }

  private _count = 0;
}

/**
 * A page model's loading: whether a request is under way and why the last one failed, the
 * answer of an older request dropped (`LatestRequest`). `changed` is called as each starts and
 * as the newest ends.
 */
export class LatestLoad {
  constructor(private readonly _changed: () => void) {}

  get loading(): boolean {
    return this._loading;
  }

  /** Why the last request failed (the server's message), or null. */
  get error(): string | null {
    return this._error;
  }

  /**
   * Runs `request`; its answer goes to `accept`, its failure to `failed` (after `error` is
   * set), unless a newer request started meanwhile.
   */
  async run<T>(
    request: () => Promise<T>,
    accept: (answer: T) => void,
    failed?: () => void
  ): Promise<void> {
    const current = this._latest.begin();
    this._loading = true;
    this._changed();
    try {
      const answer = await request();
      if (current()) {
        accept(answer);
        this._error = null;
      }
    } catch (error) {
      if (current()) {
        this._error = errorMessage(error);
        failed?.();
      }
    } finally {
      if (current()) {
        this._loading = false;
        this._changed();
      }
    }
  }

  private _loading = false;
  private _error: string | null = null;
  private readonly _latest = new LatestRequest();
}
