/**
 * The state of a pipeline's lineage page: the server's graph (null until the first answer),
 * whether a refresh is under way and why the last one failed. No DOM and no JupyterLab import:
 * the widget renders it, unit tests drive it with a fake client.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { errorMessage } from '../api/errorText';
import { ILineageGraph, LineageClient, pipelineLineage } from '../api/lineage';
import { LatestRequest } from '../common/latest';

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
    return this._loading;
  }

  /** Why the last refresh failed (the server's message), or null. */
  get error(): string | null {
    return this._error;
  }

  /** Asks the server again; a late answer to an older request is dropped. */
  async refresh(): Promise<void> {
    const current = this._latest.begin();
    this._loading = true;
    this._changed.emit();
    try {
      const graph = await pipelineLineage(this._client, this.pipeline);
      if (current()) {
        this._graph = graph;
        this._error = null;
      }
    } catch (error) {
      if (current()) {
        this._error = errorMessage(error);
      }
    } finally {
      if (current()) {
        this._loading = false;
        this._changed.emit();
      }
    }
  }

  private _graph: ILineageGraph | null = null;
  private _loading = false;
  private _error: string | null = null;
  private readonly _latest = new LatestRequest();
  private readonly _changed = new Signal<this, void>(this);
}
