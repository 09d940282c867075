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
