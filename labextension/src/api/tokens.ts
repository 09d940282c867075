/**
 * The words and JSON shapes of jupyter-orch's REST API (`/orch/...`), as the server's
 * OpenAPI document (`GET /orch/openapi.json`) describes them. Nothing here does I/O.
 */

/** What a run is doing or how it ended (stored strings: never rename). */
export type RunStatus =
  'queued' | 'running' | 'succeeded' | 'failed' | 'timed_out' | 'cancelled';

/** A step's state within one run. */
export type StepStatus =
  | 'pending'
  | 'running'
  | 'retrying'
  | 'succeeded'
  | 'failed'
  | 'timed_out'
  | 'skipped'
  | 'upstream_failed'
  | 'cancelled';

export type AttemptStatus =
  'running' | 'succeeded' | 'failed' | 'timed_out' | 'cancelled';

/** What started a run. */
export type Trigger =
  | 'schedule'
  | 'manual'
  | 'api'
  | 'webhook'
  | 'event'
  | 'rerun'
  | 'test'
  | 'backfill';

export const RUN_STATUSES: readonly RunStatus[] = [
  'queued',
  'running',
  'succeeded',
  'failed',
  'timed_out',
  'cancelled'
];

/*
 * The status groups: each defined once, here, and imported where a status is asked "is it
 * one of these?". The names mirror the server's (jupyter_orch/records.py, and
 * ACTIVE_RUN_STATUSES in jupyter_orch/store/repository.py); the UNSUCCESSFUL_/RERUNNABLE_/
 * FAILED_ATTEMPT_ groups are the UI's own.
 */

/** Statuses after which a run never changes again. */
export const FINISHED_RUN_STATUSES: ReadonlySet<string> = new Set<RunStatus>([
  'succeeded',
  'failed',
  'timed_out',
  'cancelled'
]);

/** Statuses of a run that has not finished yet: it can still be cancelled. */
export const ACTIVE_RUN_STATUSES: ReadonlySet<string> = new Set<RunStatus>([
  'queued',
  'running'
]);

/** Run statuses after which a rerun from the failed step makes sense. */
export const UNSUCCESSFUL_RUN_STATUSES: ReadonlySet<string> =
  new Set<RunStatus>(['failed', 'timed_out', 'cancelled']);

/** Step statuses that make a step the reason its run failed. */
export const FAILED_STEP_STATUSES: ReadonlySet<string> = new Set<StepStatus>([
  'failed',
  'timed_out'
]);

/** Step statuses a "rerun from failed step" runs again (everything that did not succeed). */
export const RERUNNABLE_STEP_STATUSES: ReadonlySet<string> =
  new Set<StepStatus>(['failed', 'timed_out', 'upstream_failed', 'cancelled']);

/** Attempt statuses of an attempt that went wrong (not cancelled). */
export const FAILED_ATTEMPT_STATUSES: ReadonlySet<string> =
  new Set<AttemptStatus>(['failed', 'timed_out']);

export type JSONValue =
  string | number | boolean | null | JSONValue[] | { [key: string]: JSONValue };

export type JSONObject = { [key: string]: JSONValue };

export interface IErrorDetail {
  field: string;
  message: string;
  line?: number | null;
  file?: string | null;
}

export interface ISchedule {
  cron: string;
  timezone: string;
  misfire: 'skip' | 'coalesce' | 'all';
  /** The schedule in words, e.g. "every day at 09:00 (Europe/Berlin)". */
  description: string;
}

export interface IPipelineSummary {
  name: string;
  path: string | null;
  version: number;
  description: string;
  active: boolean;
  paused: boolean;
  /** Archived: it never fires, cannot be run, and the list hides it unless asked for all. */
  archived: boolean;
  schedule: ISchedule | null;
  on: JSONObject;
  next_run_at: string | null;
  last_status: RunStatus | null;
  last_run_at: string | null;
  missed_ticks: number;
}

/** What a step runs: a notebook, a SQL query, a Python function or an export of a file. */
export type StepKind = 'notebook' | 'query' | 'function' | 'export';

export const STEP_KINDS: readonly StepKind[] = [
  'notebook',
  'query',
  'function',
  'export'
];

/** A step as the pipeline file gives it, with its `kind` (GET /orch/pipelines/{name}). */
export interface IStepDefinition {
  name: string;
  kind?: StepKind;
  /** Present for notebook steps only. */
  notebook?: string;
  /** The SQL text, or `{file: path.sql}` (query steps). */
  sql?: string | { file: string };
  /** A connection name, `${ENV}` or a URL without a password (query steps). */
  connection?: string;
  /** `FILE.py:FUNCTION` or `package.module:function` (function steps). */
  python?: string;
  /** `{from, to: {table, connection, if_exists, key} | {file}}` (export steps). */
  export?: JSONObject;
  parameters?: JSONObject;
  needs: string[];
  if?: string;
  run_if?: string;
  retries?: number;
  timeout?: number | string;
  [key: string]: JSONValue | undefined;
}

export interface IPipeline extends IPipelineSummary {
  /** Run parameters by name, with their defaults. */
  parameters: JSONObject;
  steps: IStepDefinition[];
  limits: JSONObject;
}

/** A named database connection the server defines (GET /orch/connections); never a password. */
export interface IConnection {
  name: string;
  /** `JUPYTER_ORCH_CONN_<NAME>` or `c.OrchApp.connections`. */
  defined_by: string;
  dialect?: string;
  host?: string | null;
  port?: number | null;
  database?: string | null;
  /** What is wrong with it, when it cannot be used. */
  problem?: string;
}

export interface IValidation {
  valid: boolean;
  problems: IErrorDetail[];
  name?: string;
}

export interface IVersion {
  version: number;
  path: string | null;
  content_hash: string;
  created_at: string | null;
}

export interface IVersionDetail {
  pipeline: string;
  version: number;
  path: string | null;
  created_at: string | null;
  /** The pipeline file's text as registered. */
  source: string;
  definition: JSONObject;
}

export interface IAttemptError {
  ename: string;
  evalue: string;
  traceback?: string[];
  cell_index?: number | null;
}

export interface IAttempt {
  number: number;
  status: AttemptStatus;
  started_at: string | null;
  ended_at: string | null;
  duration_s: number | null;
  outputs: JSONObject;
  error: IAttemptError | null;
  /**
   * Relative to the server's root dir, null when it is outside it: open it with the document
   * manager (`outputNotebookPath` gives the path the lab opens).
   */
  output_notebook: string | null;
  /**
   * Its file name in the run's folder (`clean.ipynb`, `clean.attempt-2.ipynb`), served by
   * `/orch/runs/{id}/notebooks/{name}` wherever the folder is; null when the attempt left none.
   * Older servers omit it.
   */
  output_notebook_name?: string | null;
  /** What the attempt's process tree used; null when it was not measured. */
  resources: IAttemptResources | null;
}

/** What one attempt used: its processes' resident memory summed at its peak, and CPU time. */
export interface IAttemptResources {
  peak_memory_bytes: number;
  cpu_seconds: number;
}

export interface IStepRun {
  name: string;
  needs: string[];
  status: StepStatus;
  attempts: IAttempt[];
  reused_from?: string;
  /** When a `retrying` step makes its next attempt. */
  next_attempt_at?: string;
  /** Which cell a `running` notebook step runs (updated at most twice a second). */
  progress?: ICellProgress;
  /**
   * An item of a for-each step (`report[1]`): the step it is an item of. The run lists each
   * item right after that step; no step `needs` an item.
   */
  parent?: string;
  /** An item's place in its step's list, from 0. */
  item_index?: number;
  /** An item's value (`{{ item }}` in its step's templates). */
  item?: JSONValue;
  /** What the step runs, from the version the run ran (GET /orch/runs/{id} only; an item's is
   * its step's). */
  kind?: StepKind;
  /** A for-each step (GET /orch/runs/{id} only): `skipped` when its list had no items. */
  for_each?: true;
}

/** A running notebook step's progress: code cell `cell` of `cells`, since `started_at`. */
export interface ICellProgress {
  cell: number;
  cells: number;
  /** The cell's index among all the notebook's cells (markdown included), from 0. */
  cell_index: number;
  /** The cell's first line that is not blank (at most 200 characters). */
  source: string;
  /** When the cell began: Unix seconds, the server's clock. */
  started_at: number;
}

/** What Retry now (`retry-now`) and Fail now (`fail-now`) ask of a step waiting for a retry. */
export type StepWake = 'retry-now' | 'fail-now';

export interface IRun {
  id: string;
  pipeline: string;
  version: number;
  status: RunStatus;
  trigger: Trigger;
  parameters: JSONObject;
  created_at: string | null;
  started_at: string | null;
  ended_at: string | null;
  duration_s: number | null;
  error: string | null;
  rerun_of: string | null;
  /** The slot of its schedule a `schedule` or `backfill` run is for (ISO time). */
  scheduled_for: string | null;
  /** The backfill that made it (`trigger` is `backfill`); older servers omit it. */
  backfill_id?: string | null;
  event: JSONObject | null;
  run_dir: string | null;
  /** Kept whatever the retention policy says (POST /orch/runs/{id}/pin). */
  pinned: boolean;
  /** Its number among the pipeline's runs, from 1 (`daily-sales-report #42`). */
  number?: number | null;
  steps: IStepRun[];
  /** What the run sent to the pipeline's channels (`notify:`); older servers omit it. */
  notifications?: INotification[];
}

/** What a notification is about: the run's outcome, a recovery, a long run, a missed tick. */
export type NotificationEvent =
  'failure' | 'success' | 'recovery' | 'long_running' | 'missed';

/** Where a notification is in its delivery: sent once `sent`, given up once `failed`. */
export type NotificationStatus = 'pending' | 'sending' | 'sent' | 'failed';

/** One message to one channel about a run (in GET /orch/runs/{id}). */
export interface INotification {
  id: string;
  event: NotificationEvent;
  /** The step it is about, for a step's own `notify:`; null for the run. */
  step: string | null;
  channel: string;
  /** The recipients of an email channel given in the pipeline file (may be empty). */
  to: string[];
  status: NotificationStatus;
  attempts: number;
  /** Why the last attempt failed. */
  error: string | null;
  created_at: string;
  sent_at: string | null;
}

/** A channel the server defines (GET /orch/channels): never its URL, which holds secrets. */
export interface IChannel {
  name: string;
  /** `email`, `slack`, `msteams`, `discord`, `json`, `pagerduty`, `outbox`, or a scheme. */
  kind: string;
}

/** `GET /orch/health`: whether jobs run on schedule. */
export interface IHealth {
  status: 'ok' | 'degraded';
  schedulers: {
    kind: string;
    host: string;
    pid: number;
    heartbeat_at: string | null;
  }[];
  applied_pipelines: number;
  problems: { code: string; message: string; pipelines: string[] }[];
}

export interface IRunPage {
  runs: IRun[];
  next_cursor: string | null;
}

export interface ILogLine {
  /** Increasing within a run: ask for the lines `after` the last one shown. */
  id: number;
  ts: string | null;
  step: string | null;
  stream: string;
  message: string;
}

export interface ICancelOutcome {
  outcome: 'dropped' | 'requested' | 'finished';
  run: IRun;
}

export interface INotebookParameter {
  name: string;
  default: JSONValue;
  default_source: string;
  inferred_type:
    'int' | 'float' | 'str' | 'bool' | 'list' | 'dict' | 'None' | null;
  help: string;
}

export interface INotebookParameters {
  path: string | null;
  kernel: string | null;
  language: string | null;
  has_parameters_cell: boolean;
  parameters: INotebookParameter[];
  problem: string | null;
  /** The pipeline "Schedule this notebook" made for it, if any. */
  scheduled?: INotebookSchedule | null;
}

/** How a notebook is scheduled now: what the schedule dialog starts from. */
export interface INotebookSchedule {
  name: string;
  path: string | null;
  schedule: ISchedule | null;
  paused: boolean;
  parameters: JSONObject;
  retries: number | null;
  /** Seconds. */
  timeout: number | string | null;
}

/** A cron text (`@daily`, `0 9 * * 1-5`) or the full schedule mapping. */
export type ScheduleInput =
  | string
  | {
      cron: string;
      timezone?: string;
      misfire?: 'skip' | 'coalesce' | 'all';
      max_catchup?: number;
      misfire_grace?: number | string;
    };

export interface IScheduleNotebookRequest {
  path: string;
  /** null: no schedule ("once": it runs when asked, with `run_now`). */
  schedule: ScheduleInput | null;
  parameters?: JSONObject;
  retries?: number;
  timeout?: number | string;
  name?: string;
  run_now?: boolean;
}

export interface INotebookPipeline extends IPipeline {
  created: boolean;
  notebook: string | null;
  run?: IRun;
}

export interface ISchedulePreview {
  cron: string;
  timezone: string;
  description: string;
  next: string[];
  next_local: string[];
}
