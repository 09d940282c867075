/**
 * The runs' output notebooks as a contents drive, `OrchRuns`: `OrchRuns:<run id>/<name>` is the
 * output notebook `<name>` of the run, read through the server's
 * `/orch/runs/{run_id}/notebooks/{name}`, wherever the run's folder is. The contents API serves
 * only the server's root dir; a team's shared `runs_dir` is outside it. Read-only: every write
 * rejects, so the document manager opens these notebooks as it opens a read-only file.
 */
import { URLExt } from '@jupyterlab/coreutils';
import type { Contents, ServerConnection } from '@jupyterlab/services';
import { ISignal, Signal } from '@lumino/signaling';

import type { OrchClient } from '../api/api';
import { trans } from '../common/i18n';
import { RUNS_DRIVE } from './outputNotebook';

/** The part of the REST client the drive uses. */
export type RunsDriveClient = Pick<OrchClient, 'request'>;

/** What a write to the drive rejects with. */
export class ReadOnlyRunsError extends Error {
  constructor(what: string) {
    super(
      trans.__(
        'Output notebooks of runs are read-only: %1 is not changed (open it as a copy to edit it)',
        what
      )
    );
    this.name = 'ReadOnlyRunsError';
  }
}

/** A local path that names nothing the drive serves (only `<run id>` and `<run id>/<name>`). */
export class RunsDrivePathError extends Error {
  constructor(localPath: string) {
    super(
      trans.__(
        '%1 is not an output notebook of a run (expected %2)',
        `${RUNS_DRIVE}:${localPath}`,
        `${RUNS_DRIVE}:<run id>/<notebook>.ipynb`
      )
    );
    this.name = 'RunsDrivePathError';
  }
}

const seg = encodeURIComponent;
const RUN_ID = /^[0-9A-Za-z]{1,32}$/;
const NOTEBOOK_NAME = /^[^/\\]{1,255}\.ipynb$/;

/** The run and the notebook (null: the run's directory) a local path names. */
function parts(localPath: string): { run: string; name: string | null } {
  const names = localPath.split('/').filter(Boolean);
  const [run, name] = names;
  // The server's own patterns: a run id, and a notebook's file name (never `..`)
  if (
    names.length < 1 ||
    names.length > 2 ||
    !RUN_ID.test(run) ||
    (name !== undefined && !NOTEBOOK_NAME.test(name))
  ) {
    throw new RunsDrivePathError(localPath);
  }
  return { run, name: name ?? null };
}

/** The route (under `orch/`) of a local path: a run's notebook, or the run's list of them. */
function route(localPath: string): string {
  const { run, name } = parts(localPath);
  const notebooks = `runs/${seg(run)}/notebooks`;
  return name === null ? notebooks : `${notebooks}/${seg(name)}`;
}

/** The server's answer checked as a contents model, and marked read-only whatever it says. */
function readOnlyModel(data: unknown, localPath: string): Contents.IModel {
  const model = data as Partial<Contents.IModel> | null;
  if (
    !model ||
    typeof model.name !== 'string' ||
    typeof model.path !== 'string' ||
    typeof model.type !== 'string'
  ) {
    throw new Error(
      trans.__('The server sent no contents model for %1', localPath)
    );
  }
  const content =
    model.type === 'directory' && Array.isArray(model.content)
      ? (model.content as Contents.IModel[]).map(item => ({
          ...item,
          writable: false
        }))
      : model.content;
  return { ...(model as Contents.IModel), content, writable: false };
}

export class RunsDrive implements Contents.IDrive {
  readonly name = RUNS_DRIVE;

  constructor(
    private readonly _client: RunsDriveClient,
    readonly serverSettings: ServerConnection.ISettings
  ) {}

  /** Never emitted: nothing changes a run's notebooks through the lab. */
  get fileChanged(): ISignal<this, Contents.IChangedArgs> {
    return this._fileChanged;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    Signal.clearData(this);
  }

  /** A run's notebook (`<run id>/<name>`) or the run's list of them (`<run id>`). */
  async get(
    localPath: string,
    options?: Contents.IFetchOptions
  ): Promise<Contents.IModel> {
    const withContent = options?.content ?? true;
    const query = withContent ? '' : '?content=0';
    const data = await this._client.request<unknown>(
      `${route(localPath)}${query}`
    );
    return readOnlyModel(data, localPath);
  }

  /** The notebook itself, as an attachment. */
  async getDownloadUrl(localPath: string): Promise<string> {
    const { name } = parts(localPath);
    if (name === null) {
      throw new RunsDrivePathError(localPath);
    }
    return (
      URLExt.join(this.serverSettings.baseUrl, 'orch', route(localPath)) +
      '?download=1'
    );
  }

  /** None: the notebooks are never saved, so there is nothing to go back to. */
  async listCheckpoints(
    _localPath: string
  ): Promise<Contents.ICheckpointModel[]> {
    return [];
  }

  async newUntitled(options?: Contents.ICreateOptions): Promise<never> {
    throw new ReadOnlyRunsError(`${RUNS_DRIVE}:${options?.path ?? ''}`);
  }

  async delete(localPath: string): Promise<never> {
    throw this._readOnly(localPath);
  }

  async rename(oldLocalPath: string, _newLocalPath: string): Promise<never> {
    throw this._readOnly(oldLocalPath);
  }

  async save(
    localPath: string,
    _options?: Partial<Contents.IModel>
  ): Promise<never> {
    throw this._readOnly(localPath);
  }

  async copy(localPath: string, _toLocalDir: string): Promise<never> {
    throw this._readOnly(localPath);
  }

  async createCheckpoint(localPath: string): Promise<never> {
    throw this._readOnly(localPath);
  }

  async restoreCheckpoint(
    localPath: string,
    _checkpointID: string
  ): Promise<never> {
    throw this._readOnly(localPath);
  }

  async deleteCheckpoint(
    localPath: string,
    _checkpointID: string
  ): Promise<never> {
    throw this._readOnly(localPath);
  }

  private _readOnly(localPath: string): ReadOnlyRunsError {
    return new ReadOnlyRunsError(`${RUNS_DRIVE}:${localPath}`);
  }

  private _isDisposed = false;
  private readonly _fileChanged = new Signal<this, Contents.IChangedArgs>(this);
}
