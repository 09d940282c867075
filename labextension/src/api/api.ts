/**
 * The REST API client: every request to `/orch/...` goes through `OrchClient.request`, which
 * turns a failed response into an `OrchError` carrying the server's message and field details.
 *
 * It takes the transport as a function so that it has no JupyterLab import: the lab passes one
 * built on `ServerConnection` (see `connection.ts`), unit tests pass a fake. The errors are
 * errors.ts.
 */
import {
  errorFrom,
  NetworkError,
  OrchError,
  ServerExtensionMissingError,
  ServerUnavailableError
} from './errors';
import type {
  ICancelOutcome,
  IChannel,
  IConnection,
  IHealth,
  ILogLine,
  INotebookParameters,
  INotebookPipeline,
  IPipeline,
  IPipelineSummary,
  IRun,
  IRunPage,
  ISchedulePreview,
  IScheduleNotebookRequest,
  IValidation,
  IVersion,
  IVersionDetail,
  JSONObject,
  ScheduleInput,
  StepWake
} from './tokens';

export {
  errorFrom,
  NetworkError,
  OrchError,
  ServerExtensionMissingError,
  ServerUnavailableError
};

/** Sends one request to a path under the server's base URL (e.g. `orch/runs`). */
export type Transport = (path: string, init: RequestInit) => Promise<Response>;

interface IQuery {
  [key: string]: string | number | undefined | null;
}

/** `?a=1&b=x` of a query's non-empty fields; '' when there are none. */
export function queryString(query: IQuery): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') {
      params.set(key, String(value));
    }
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** Which runs `listRuns` asks for (GET /orch/runs), newest first. */
export interface IRunQuery {
  pipeline?: string;
  status?: string;
  /** Text in the pipeline's name, the run's id, `#number`, trigger or status. */
  q?: string;
  /** ISO times bounding the runs' creation: at or after `since`, before `until`. */
  since?: string;
  until?: string;
  limit?: number;
  cursor?: string | null;
}

/** Encodes one path segment (pipeline names and run ids are plain, but be safe). */
const seg = encodeURIComponent;

export class OrchClient {
  constructor(private readonly transport: Transport) {}

  /**
   * One request; the parsed JSON body on success (undefined for 204).
   *
   * @throws OrchError with the server's `error` and `details`, ServerExtensionMissingError
   *   when `/orch` is not served at all, NetworkError when nothing answers.
   */
  async request<T>(
    path: string,
    init: {
      method?: string;
      body?: unknown;
      headers?: Record<string, string>;
    } = {}
  ): Promise<T> {
    const requestInit: RequestInit = { method: init.method ?? 'GET' };
    const headers: Record<string, string> = { ...(init.headers ?? {}) };
    if (init.body !== undefined) {
      requestInit.body = JSON.stringify(init.body);
      headers['Content-Type'] = 'application/json';
    }
    requestInit.headers = headers;
    const response = await this.send(path, requestInit);
    const text = await response.text();
    const data = parseJSON(text);
    if (!response.ok) {
      throw errorFrom(response.status, data, text);
    }
    return data as T;
  }

  /** A GET whose answer is a file (an image); it fails as `request` does. */
  async requestBlob(path: string): Promise<Blob> {
    const response = await this.send(path, { method: 'GET', headers: {} });
    if (!response.ok) {
      const text = await response.text();
      throw errorFrom(response.status, parseJSON(text), text);
    }
    return response.blob();
  }

  private async send(path: string, init: RequestInit): Promise<Response> {
    // The server's activity log tells the lab's actions from other REST clients'
    const headers = {
      ...(init.headers as Record<string, string>),
      'X-Orch-Client': 'jupyterlab'
    };
    try {
      return await this.transport(`orch/${path}`, { ...init, headers });
    } catch (reason) {
      throw new NetworkError(
        reason instanceof Error ? reason.message : String(reason)
      );
    }
  }

  // --- pipelines -------------------------------------------------------------------------

  /** The pipelines; archived ones too with `all` (the server hides them otherwise). */
  async listPipelines(
    options: { all?: boolean } = {}
  ): Promise<IPipelineSummary[]> {
    const data = await this.request<{ pipelines: IPipelineSummary[] }>(
      `pipelines${queryString({ all: options.all ? 'true' : undefined })}`
    );
    return data.pipelines;
  }

  getPipeline(name: string): Promise<IPipeline> {
    return this.request<IPipeline>(`pipelines/${seg(name)}`);
  }

  /** Registers a file under the root dir, or saves `yaml` there first. */
  register(body: {
    path: string;
    yaml?: string;
    replace?: boolean;
  }): Promise<IPipeline> {
    return this.request<IPipeline>('pipelines', { method: 'POST', body });
  }

  validate(body: { path: string; yaml?: string }): Promise<IValidation> {
    return this.request<IValidation>('pipelines/validate', {
      method: 'POST',
      body
    });
  }

  setPaused(name: string, paused: boolean): Promise<IPipeline> {
    return this.updatePipeline(name, { paused });
  }

  /** Archives a pipeline (it stops firing and is listed only with `all`), or brings it back. */
  setArchived(name: string, archived: boolean): Promise<IPipeline> {
    return this.updatePipeline(name, { archived });
  }

  setSchedule(
    name: string,
    schedule: ScheduleInput | null
  ): Promise<IPipeline> {
    return this.updatePipeline(name, { schedule });
  }

  /** PATCH: changes what the pipeline file does not say (paused, archived, the schedule). */
  private updatePipeline(
    name: string,
    body: {
      paused?: boolean;
      archived?: boolean;
      schedule?: ScheduleInput | null;
    }
  ): Promise<IPipeline> {
    return this.request<IPipeline>(`pipelines/${seg(name)}`, {
      method: 'PATCH',
      body
    });
  }

  deletePipeline(name: string): Promise<void> {
    return this.request<void>(`pipelines/${seg(name)}`, { method: 'DELETE' });
  }

  async versions(name: string): Promise<IVersion[]> {
    const data = await this.request<{ versions: IVersion[] }>(
      `pipelines/${seg(name)}/versions`
    );
    return data.versions;
  }

  version(name: string, version: number): Promise<IVersionDetail> {
    return this.request<IVersionDetail>(
      `pipelines/${seg(name)}/versions/${version}`
    );
  }

  /** Starts a run; `trigger` is `manual` for a click in the UI. */
  trigger(
    name: string,
    parameters: JSONObject = {},
    trigger: 'manual' | 'api' = 'manual'
  ): Promise<IRun> {
    return this.request<IRun>(`pipelines/${seg(name)}/runs`, {
      method: 'POST',
      body: { parameters, trigger }
    });
  }

  // --- runs ------------------------------------------------------------------------------

  listRuns(options: IRunQuery = {}): Promise<IRunPage> {
    return this.request<IRunPage>(`runs${queryString({ ...options })}`);
  }

  getRun(id: string): Promise<IRun> {
    return this.request<IRun>(`runs/${seg(id)}`);
  }

  /** The run's log lines, oldest first; with `after`, only those whose id is greater. */
  async logs(id: string, after?: number): Promise<ILogLine[]> {
    const data = await this.request<{ lines: ILogLine[] }>(
      `runs/${seg(id)}/logs${queryString({ after })}`
    );
    return data.lines;
  }

  cancel(id: string): Promise<ICancelOutcome> {
    return this.request<ICancelOutcome>(`runs/${seg(id)}/cancel`, {
      method: 'POST',
      body: {}
    });
  }

  /** Pins a run (retention never deletes it), or unpins it; the run as it is now. */
  setPinned(id: string, pinned: boolean): Promise<IRun> {
    return this.request<IRun>(`runs/${seg(id)}/pin`, {
      method: 'POST',
      body: { pinned }
    });
  }

  /**
   * Ends a retrying step's wait: its next attempt now (`retry-now`), or no more attempts
   * (`fail-now`); the run's executor acts within seconds. The run as it is now; a 409
   * OrchError when the step is not waiting for a retry.
   */
  wakeStep(id: string, step: string, action: StepWake): Promise<IRun> {
    return this.request<IRun>(`runs/${seg(id)}/steps/${seg(step)}/${action}`, {
      method: 'POST',
      body: {}
    });
  }

  /**
   * A new run of this one with its parameters: of the pipeline's files as they are now
   * (`exact` false, a new version if they changed), or of the run's own recorded version byte
   * for byte (`exact`); only the steps that did not succeed with `fromFailed`.
   */
  rerun(id: string, fromFailed: boolean, exact = false): Promise<IRun> {
    return this.request<IRun>(`runs/${seg(id)}/rerun`, {
      method: 'POST',
      body: { from_failed: fromFailed, exact }
    });
  }

  // --- connections -----------------------------------------------------------------------

  /** The named connections a query or export step can use. */
  async connections(): Promise<IConnection[]> {
    const data = await this.request<{ connections: IConnection[] }>(
      'connections'
    );
    return data.connections;
  }

  // --- notification channels -------------------------------------------------------------

  /** The notification channels a pipeline's `notify:` can name (`outbox` always among them). */
  async channels(): Promise<IChannel[]> {
    const data = await this.request<{ channels: IChannel[] }>('channels');
    return data.channels;
  }

  // --- health ----------------------------------------------------------------------------

  /** Whether jobs run on schedule (a scheduler alive while pipelines are applied). */
  health(): Promise<IHealth> {
    return this.request<IHealth>('health');
  }

  // --- notebooks and schedules -----------------------------------------------------------

  notebookParameters(path: string): Promise<INotebookParameters> {
    return this.request<INotebookParameters>(
      `notebooks/parameters${queryString({ path })}`
    );
  }

  scheduleNotebook(body: IScheduleNotebookRequest): Promise<INotebookPipeline> {
    return this.request<INotebookPipeline>('notebooks/schedule', {
      method: 'POST',
      body
    });
  }

  previewSchedule(
    cron: string,
    timezone: string,
    count = 3
  ): Promise<ISchedulePreview> {
    return this.request<ISchedulePreview>(
      `schedules/preview${queryString({ cron, timezone, count })}`
    );
  }
}

/** A body's JSON; undefined when it is empty or not JSON. */
function parseJSON(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}
