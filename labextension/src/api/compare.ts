/**
 * Two runs side by side (GET /orch/runs/{a}/compare/{b}), one step's output notebooks of two
 * runs cell by cell (.../steps/{step}/notebooks), and the run record's versioning fields
 * (`exact`). Shapes and calls only: the views are in compare/.
 */
import type { OrchClient } from './api';
import type {
  IRun,
  JSONObject,
  JSONValue,
  RunStatus,
  StepStatus,
  Trigger
} from './tokens';

/**
 * A run record as servers with versions give it: `exact` when it replays its version byte for
 * byte (`version` is the version it ran). Older servers omit it.
 */
export interface IVersionedRun extends IRun {
  exact?: boolean;
}

/** Whether the run is an exact replay of its version (not a rerun with the current files). */
export function isExactReplay(run: IRun): boolean {
  return (run as IVersionedRun).exact === true;
}

/** One of the two runs compared. */
export interface IComparedRun {
  id: string;
  number: number | null;
  pipeline: string;
  version: number;
  status: RunStatus;
  trigger: Trigger;
  started_at: string | null;
  ended_at: string | null;
  duration_seconds: number | null;
  parameters: JSONObject;
  exact: boolean;
}

/** A parameter's value in each run (null: not given there). */
export interface IParameterComparison {
  name: string;
  a: JSONValue | null;
  b: JSONValue | null;
  same: boolean;
}

/** A step's last attempt in one run. */
export interface IComparedStep {
  status: StepStatus;
  duration_seconds: number | null;
  peak_memory_bytes: number | null;
  outputs: JSONObject;
  /** Relative to the server's root dir; null when the attempt left none or it is outside. */
  output_notebook: string | null;
  /** Its file name in the run's folder; null when the attempt left none (older servers omit it). */
  output_notebook_name?: string | null;
}

/** A step in both runs: null on the side whose run has no such step. */
export interface IStepComparison {
  name: string;
  a: IComparedStep | null;
  b: IComparedStep | null;
  /** The outputs whose values differ (or that only one side has). */
  changed_outputs: string[];
  /** Both attempts left an output notebook: the cell-by-cell view is available. */
  notebooks: boolean;
}

/** GET /orch/runs/{a}/compare/{b}. */
export interface IRunComparison {
  a: IComparedRun;
  b: IComparedRun;
  parameters: IParameterComparison[];
  version: { a: number; b: number; same: boolean };
  steps: IStepComparison[];
}

/** GET /orch/runs/{a}/compare/{b}/steps/{step}/notebooks: an nbdime diff of two notebooks. */
export interface IStepNotebooksComparison {
  step: string;
  a_path: string;
  b_path: string;
  /** Run a's output notebook (nbformat JSON): what the diff applies to. */
  base: JSONObject;
  /** nbdime's diff of run a's notebook to run b's. */
  diff: JSONValue[];
}

const seg = encodeURIComponent;

/** Runs `a` and `b` side by side: parameters, version, each step's outcome and outputs. */
export function compareRuns(
  client: OrchClient,
  a: string,
  b: string
): Promise<IRunComparison> {
  return client.request<IRunComparison>(`runs/${seg(a)}/compare/${seg(b)}`);
}

/** The output notebooks `step` left in runs `a` and `b`, as an nbdime diff of a's to b's. */
export function compareStepNotebooks(
  client: OrchClient,
  a: string,
  b: string,
  step: string
): Promise<IStepNotebooksComparison> {
  return client.request<IStepNotebooksComparison>(
    `runs/${seg(a)}/compare/${seg(b)}/steps/${seg(step)}/notebooks`
  );
}
