/**
 * The state of a pipeline's version history page: the versions (newest first), the two the
 * user selected to compare, and the version being rolled back to. No DOM and no JupyterLab
 * import: the widget renders it, unit tests drive it with a fake client.
 */
import { ISignal, Signal } from '@lumino/signaling';

import {
  IPipelineVersion,
  listVersions,
  VersionsClient
} from '../api/versions';
import { LatestLoad } from '../common/latest';
import { comparePair, toggleSelected } from './versionsModel';

export class HistoryModel {
  constructor(
    private readonly _client: VersionsClient,
    readonly pipeline: string
  ) {}

  /** Emitted whenever anything shown changes. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Newest first; null until the first answer. */
  get versions(): readonly IPipelineVersion[] | null {
    return this._versions;
  }

  /** The newest version; null before the first answer or for none. */
  get latest(): IPipelineVersion | null {
    return this._versions?.[0] ?? null;
  }

  get loading(): boolean {
    return this._load.loading;
  }

  /** Why the last refresh failed (the server's message), or null. */
  get error(): string | null {
    return this._load.error;
  }

  /** The versions ticked for "Compare selected", at most two. */
  get selected(): readonly number[] {
    return this._selected;
  }

  /** The selected pair as [older, newer], or null unless two are ticked. */
  get pair(): [number, number] | null {
    return comparePair([...this._selected]);
  }

  /** The version a rollback is under way to, or null. */
  get rollingBack(): number | null {
    return this._rollingBack;
  }

  set rollingBack(version: number | null) {
    this._rollingBack = version;
    this._changed.emit();
  }

  toggle(version: number): void {
    this._selected = toggleSelected([...this._selected], version);
    this._changed.emit();
  }

  refresh(): Promise<void> {
    return this._load.run(
      () => listVersions(this._client, this.pipeline),
      versions => {
        this._versions = versions;
        const known = new Set(versions.map(v => v.version));
        this._selected = this._selected.filter(v => known.has(v));
      }
    );
  }

  private _versions: IPipelineVersion[] | null = null;
  private _selected: number[] = [];
  private _rollingBack: number | null = null;
  private readonly _changed = new Signal<this, void>(this);
  private readonly _load = new LatestLoad(() => this._changed.emit());
}
