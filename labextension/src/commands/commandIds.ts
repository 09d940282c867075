/**
 * The ids of jupyter-orch's commands, and how a command describes its arguments: shared by
 * the core commands and the file commands.
 */
import type { ReadonlyJSONObject } from '@lumino/coreutils';

/** Ids of the commands this extension adds (palette, menus, toolbars). */
export namespace CommandIDs {
  export const openPanel = 'jupyter-orch:open-panel';
  export const refresh = 'jupyter-orch:refresh';
  export const newPipeline = 'jupyter-orch:new-pipeline';
  export const editPipeline = 'jupyter-orch:edit-pipeline';
  export const runPipeline = 'jupyter-orch:run-pipeline';
  export const removePipeline = 'jupyter-orch:remove-pipeline';
  export const openRun = 'jupyter-orch:open-run';
  export const openRunLink = 'jupyter-orch:open-run-link';
  export const scheduleNotebook = 'jupyter-orch:schedule-notebook';
  export const openInOrchestration = 'jupyter-orch:open-in-orchestration';
  export const openOutputNotebook = 'jupyter-orch:open-output-notebook';
  export const openOutputLink = 'jupyter-orch:open-output-link';
  export const copyOutputNotebook = 'jupyter-orch:copy-output-notebook';
  /** A pipeline's versions: who, when, what changed; args `{ pipeline }`. */
  export const versionHistory = 'jupyter-orch:version-history';
  /** Two versions side by side (nbdime); args `{ pipeline, from, to }`. */
  export const versionDiff = 'jupyter-orch:version-diff';
  /** Two runs side by side; args `{ a, b }` (run ids). */
  export const compareRuns = 'jupyter-orch:compare-runs';
  /** One step's output notebooks of two runs, cell by cell; args `{ a, b, step }`. */
  export const compareStepNotebooks = 'jupyter-orch:compare-step-notebooks';
  /** A pipeline's lineage: the datasets its steps read and write; args `{ pipeline }`. */
  export const lineage = 'jupyter-orch:lineage';
  /** One run per slot of a pipeline's schedule over past days; args `{ pipeline }`. */
  export const backfillPipeline = 'jupyter-orch:backfill-pipeline';
  /** Who did what, when and from where; args `{ pipeline? }` (none: every pipeline). */
  export const activity = 'jupyter-orch:activity';
}

/** A command's `describedBy`: its arguments (all optional), as JSON schema properties. */
export function describeArgs(properties: ReadonlyJSONObject = {}): {
  args: ReadonlyJSONObject;
} {
  return { args: { type: 'object', properties } };
}
