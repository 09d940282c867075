/**
 * The artifacts of one run's detail: the files each step wrote, in the order shown (images,
 * tables, notebooks, other files), and what the view loads for them: an image's bytes as an
 * object URL when it is shown, a table's first rows when its row is opened. Each is fetched
 * once per version of the file (a retry that rewrites it is fetched again) and kept while the
 * run detail is open; `dispose` frees the object URLs. No DOM and no JupyterLab import: the
 * view renders it, unit tests drive it with a fake client.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { trans } from '../common/i18n';
import {
  artifactImage,
  artifactPreview,
  ArtifactClient,
  ArtifactType,
  IArtifact,
  ITablePreview
} from '../api/artifacts';

/** Images shown inline per step; past these, a step's images are links. */
export const MAX_THUMBNAILS = 12;
/** Rows of a table's preview. */
export const PREVIEW_ROWS = 10;

/** Something the view asked for: on its way, there, or why not. */
export type Loadable<T> =
  | { status: 'loading' }
  | { status: 'ready'; value: T }
  | { status: 'error'; message: string };

const TYPE_ORDER: Record<ArtifactType, number> = {
  image: 0,
  table: 1,
  notebook: 2,
  file: 3
};

/** The files a step of the run detail wrote (none when the answer has no `artifacts`). */
export function artifactsOf(step: { artifacts?: IArtifact[] }): IArtifact[] {
  return Array.isArray(step.artifacts) ? step.artifacts : [];
}

/** Images first, then tables, notebooks and other files; by name within each. */
export function sortArtifacts(files: readonly IArtifact[]): IArtifact[] {
  return [...files].sort(
    (a, b) =>
      (TYPE_ORDER[a.type] ?? 9) - (TYPE_ORDER[b.type] ?? 9) ||
      a.name.localeCompare(b.name)
  );
}

/** Which images of a step are shown inline: the first MAX_THUMBNAILS that can be fetched. */
export function thumbnails(files: readonly IArtifact[]): Set<string> {
  const shown = files.filter(a => a.type === 'image' && a.path !== null);
  return new Set(shown.slice(0, MAX_THUMBNAILS).map(a => a.name));
}

/** One version of a file: its path, size and modification time. */
export function artifactKey(artifact: IArtifact): string {
  return `${artifact.path}|${artifact.size}|${artifact.modified_at}`;
}

/** Why a file may be another step's, or null when it is this step's alone. */
export function concurrentNote(artifact: IArtifact): string | null {
  const others = artifact.concurrent ?? [];
  if (others.length === 0) {
    return null;
  }
  return trans._n(
    'It may be from %2: it ran at the same time.',
    'It may be from %2: they ran at the same time.',
    others.length,
    others.join(', ')
  );
}

/** "3 of 120 rows", "10 rows, more follow", for a preview's caption. */
export function rowsCaption(preview: ITablePreview): string {
  const shown = preview.rows.length;
  let rows: string;
  if (preview.total_rows !== null) {
    rows = trans._n(
      'First %1 row of %2',
      'First %1 rows of %2',
      shown,
      preview.total_rows.toLocaleString('en-US')
    );
  } else {
    rows = preview.more_rows
      ? trans._n(
          'First %1 row, more follow',
          'First %1 rows, more follow',
          shown
        )
      : trans._n('All %1 row', 'All %1 rows', shown);
  }
  const hidden = preview.hidden_columns;
  return hidden
    ? trans._n(
        '%2; %1 more column not shown',
        '%2; %1 more columns not shown',
        hidden,
        rows
      )
    : rows;
}

export class ArtifactPreviews {
  /**
   * @param makeUrl turns an image's bytes into a URL for `<img>` (the browser's object URL).
   * @param revokeUrl frees such a URL.
   */
  constructor(
    private readonly client: ArtifactClient,
    readonly runId: string,
    private readonly makeUrl: (blob: Blob) => string = blob =>
      URL.createObjectURL(blob),
    private readonly revokeUrl: (url: string) => void = url =>
      URL.revokeObjectURL(url)
  ) {}

  /** Emitted when something asked for arrives (or fails). */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** A table's first rows, or null until `loadTable` asks for them. */
  table(artifact: IArtifact): Loadable<ITablePreview> | null {
    return this._tables.get(artifactKey(artifact)) ?? null;
  }

  /** An image's object URL, or null until `loadImage` asks for it. */
  image(artifact: IArtifact): Loadable<string> | null {
    return this._images.get(artifactKey(artifact)) ?? null;
  }

  /** Fetches a table's first rows, unless they are there or on their way (a failure again). */
  loadTable(artifact: IArtifact): void {
    const path = artifact.path;
    if (path !== null) {
      this._load(this._tables, artifact, () =>
        artifactPreview(this.client, this.runId, path, PREVIEW_ROWS)
      );
    }
  }

  /** Fetches an image, unless it is there or on its way (a failure again). */
  loadImage(artifact: IArtifact): void {
    const path = artifact.path;
    if (path !== null) {
      this._load(
        this._images,
        artifact,
        async () =>
          this.makeUrl(await artifactImage(this.client, this.runId, path)),
        url => this.revokeUrl(url)
      );
    }
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    for (const image of this._images.values()) {
      if (image.status === 'ready') {
        this.revokeUrl(image.value);
      }
    }
    this._images.clear();
    this._tables.clear();
    Signal.clearData(this);
  }

  private _load<T>(
    into: Map<string, Loadable<T>>,
    artifact: IArtifact,
    fetch: () => Promise<T>,
    discard: (value: T) => void = () => undefined
  ): void {
    const key = artifactKey(artifact);
    const known = into.get(key);
    if (this._isDisposed || (known && known.status !== 'error')) {
      return;
    }
    into.set(key, { status: 'loading' });
    this._changed.emit();
    fetch().then(
      value => {
        if (this._isDisposed) {
          discard(value); // arrived after the view closed
          return;
        }
        into.set(key, { status: 'ready', value });
        this._changed.emit();
      },
      (error: unknown) => {
        if (!this._isDisposed) {
          const message =
            error instanceof Error ? error.message : String(error);
          into.set(key, { status: 'error', message });
          this._changed.emit();
        }
      }
    );
  }

  private _changed = new Signal<this, void>(this);
  private _tables = new Map<string, Loadable<ITablePreview>>();
  private _images = new Map<string, Loadable<string>>();
  private _isDisposed = false;
}
