/**
 * The state of the activity log page: the filters, the entries read so far (newest first) and
 * the cursor of the next older page. No DOM and no JupyterLab import: the widget renders it,
 * unit tests drive it with a fake client.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { ActivityClient, IActivityEntry, listActivity } from '../api/activity';
import { LatestLoad } from '../common/latest';
import { filtersQuery, IActivityFilters, NO_FILTERS } from './activityText';

/** How many entries a page asks for. */
export const PAGE_SIZE = 50;

export class ActivityModel {
  constructor(
    private readonly _client: ActivityClient,
    filters: Partial<IActivityFilters> = {}
  ) {
    this._filters = { ...NO_FILTERS, ...filters };
  }

  /** Emitted whenever anything shown changes. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get filters(): IActivityFilters {
    return this._filters;
  }

  /** Newest first; null until the first answer. */
  get entries(): readonly IActivityEntry[] | null {
    return this._entries;
  }

  /** Whether older entries are left to load ("Load more"). */
  get hasMore(): boolean {
    return this._cursor !== null;
  }

  get loading(): boolean {
    return this._load.loading;
  }

  /** Why the last request failed (the server's message), or null. */
  get error(): string | null {
    return this._load.error;
  }

  /** Changes some filters and reads the first page again (the filters show at once). */
  setFilters(changes: Partial<IActivityFilters>): Promise<void> {
    this._filters = { ...this._filters, ...changes };
    return this.refresh();
  }

  /** Reads the newest page again under the current filters. */
  refresh(): Promise<void> {
    return this._page(null);
  }

  /** Reads the next older page and adds it below; nothing when there is none. */
  async loadMore(): Promise<void> {
    if (this._cursor === null || this._load.loading) {
      return;
    }
    return this._page(this._cursor);
  }

  private _page(cursor: string | null): Promise<void> {
    return this._load.run(
      () =>
        listActivity(
          this._client,
          filtersQuery(this._filters, cursor, PAGE_SIZE)
        ),
      page => {
        const before = cursor !== null ? (this._entries ?? []) : [];
        const seen = new Set(before.map(e => e.id));
        this._entries = [
          ...before,
          ...page.entries.filter(e => !seen.has(e.id))
        ];
        this._cursor = page.next_cursor;
      },
      () => {
        if (cursor === null) {
          this._entries = [];
          this._cursor = null;
        }
      }
    );
  }

  private _filters: IActivityFilters;
  private _entries: IActivityEntry[] | null = null;
  private _cursor: string | null = null;
  private readonly _changed = new Signal<this, void>(this);
  private readonly _load = new LatestLoad(() => this._changed.emit());
}
