/**
 * The state of a pipeline's lineage page: the server's graph (null until the first answer),
 * whether a refresh is under way and why the last one failed. No DOM and no JupyterLab import:
 * the widget renders it, unit tests drive it with a fake client.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { ILineageGraph, LineageClient, pipelineLineage } from '../api/lineage';
import { LatestLoad } from '../common/latest';

export class LineageModel {
  constructor(
    private readonly _client: LineageClient,
    readonly pipeline: string
  ) {}

  /** Emitted whenever anything shown changes. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The graph; null until the first answer. */
  get graph(): ILineageGraph | null {
    return this._graph;
  }

  get loading(): boolean {
    return this._load.loading;
  }

  /** Why the last refresh failed (the server's message), or null. */
  get error(): string | null {
    return this._load.error;
  }

  /** Asks the server again; a late answer to an older request is dropped. */
  refresh(): Promise<void> {
    return this._load.run(
      () => pipelineLineage(this._client, this.pipeline),
      graph => {
        this._graph = graph;
      }
    );
  }

  private _graph: ILineageGraph | null = null;
  private readonly _changed = new Signal<this, void>(this);
  private readonly _load = new LatestLoad(() => this._changed.emit());
}
