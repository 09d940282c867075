/**
 * A server request asked a moment after its input last changed (validation, previews): a new
 * request replaces the one still waiting, and only the newest request's answer is passed on,
 * so a slow answer to an older input never overwrites a newer one. No React here: the hook
 * in hooks.ts drives it, and unit tests drive it with fake timers.
 */
import { LatestRequest } from './latest';

/** A request and what to do with its answer. */
export interface IDebouncedRequest<T> {
  request: () => Promise<T>;
  onResult: (value: T) => void;
  onError: (error: unknown) => void;
}

export class Debounced {
  /** @param delayMs how long a request waits for the next change before it is sent. */
  constructor(readonly delayMs: number) {}

  /** Whether a request is waiting for its delay. */
  get pending(): boolean {
    return this._timer !== null;
  }

  /** Sends `next.request` after the delay, unless `schedule` or `cancel` comes first. */
  schedule<T>(next: IDebouncedRequest<T>): void {
    this.cancel();
    const latest = this._requests.begin();
    this._timer = setTimeout(() => {
      this._timer = null;
      // As the hand-written versions did: a handler that throws on a result lands in onError.
      next
        .request()
        .then(value => {
          if (latest()) {
            next.onResult(value);
          }
        })
        .catch(error => {
          if (latest()) {
            next.onError(error);
          }
        });
    }, this.delayMs);
  }

  /** Drops the waiting request, and any answer still to come. */
  cancel(): void {
    if (this._timer !== null) {
      clearTimeout(this._timer);
      this._timer = null;
    }
    this._requests.supersede();
  }

  private _timer: ReturnType<typeof setTimeout> | null = null;
  private _requests = new LatestRequest();
}
