/**
 * What an output notebook says about itself: the cell where its run failed, and what an
 * editable copy of it is called. Read from the notebook, not from the run, so that a notebook
 * restored after a reload still opens at its error. Pure: unit-tested.
 */
import { shortId } from '../common/format';

/** The parts of an nbformat cell read here (a cell of `INotebookModel.toJSON()` is one). */
export interface INotebookCell {
  cell_type: string;
  source?: string | string[];
  metadata?: { [key: string]: unknown };
  outputs?: readonly { output_type: string }[];
}

/** The tag of the two markdown cells papermill adds to a notebook whose run raised. */
export const PAPERMILL_ERROR_TAG = 'papermill-error-cell-tag';

/** The HTML id in papermill's second cell, the one just before the cell that raised. */
const PAPERMILL_ANCHOR = 'id="papermill-error-cell"';

function sourceText(cell: INotebookCell): string {
  const source = cell.source ?? '';
  return Array.isArray(source) ? source.join('') : source;
}

function hasTag(cell: INotebookCell, tag: string): boolean {
  const tags = cell.metadata?.tags;
  return Array.isArray(tags) && tags.includes(tag);
}

/**
 * Whether a cell holds an error output, or papermill marked it as the one executing when the
 * run stopped without one (the kernel died, the step timed out).
 */
function raised(cell: INotebookCell): boolean {
  const papermill = cell.metadata?.papermill as { exception?: unknown } | null;
  return (
    (cell.outputs ?? []).some(output => output.output_type === 'error') ||
    papermill?.exception === true
  );
}

/**
 * The index of the cell where the notebook's run failed, or null when none did: the cell after
 * papermill's "encountered an exception here" anchor when papermill left one; else the last
 * cell that raised (papermill reports the last; a generated notebook has one error cell).
 */
export function failingCellIndex(
  cells: readonly INotebookCell[]
): number | null {
  const anchor = cells.findIndex(
    cell =>
      hasTag(cell, PAPERMILL_ERROR_TAG) &&
      sourceText(cell).includes(PAPERMILL_ANCHOR)
  );
  if (anchor >= 0 && anchor + 1 < cells.length) {
    return anchor + 1;
  }
  for (let index = cells.length - 1; index >= 0; index--) {
    if (raised(cells[index])) {
      return index;
    }
  }
  return null;
}

/**
 * Where a copy to edit goes: the home folder (not the run's folder, which retention deletes),
 * named after the step and the run, as the output notebook's path
 * `<runs dir>/<pipeline>/<run id>/<step>.ipynb` gives them:
 * `count_region-5ZC2K0QW-copy.ipynb`; the `n`th try `...-copy-2.ipynb` when that name is taken.
 */
export function copyPath(outputNotebook: string, n = 1): string {
  const parts = outputNotebook.split('/').filter(Boolean);
  const stem = (parts.pop() ?? '').replace(/\.ipynb$/i, '') || 'output';
  const run = parts.pop();
  const suffix = n > 1 ? `copy-${n}` : 'copy';
  return (
    [stem, run ? shortId(run) : '', suffix].filter(Boolean).join('-') + '.ipynb'
  );
}

/**
 * The name of the lab's contents drive serving the runs' output notebooks (runsDrive.ts), read
 * through the server's `/orch/runs/{id}/notebooks` routes: a run folder outside the server's
 * root (a shared `runs_dir`) is not in the contents API.
 */
export const RUNS_DRIVE = 'OrchRuns';

/** What an attempt (of a run, or of a comparison) says about its output notebook. */
export interface IOutputNotebookFields {
  /** Relative to the server's root dir; null when it is outside it (or there is none). */
  output_notebook: string | null;
  /** Its file name in the run's folder; null when there is none; absent from older servers. */
  output_notebook_name?: string | null;
}

/**
 * The path the lab opens an attempt's output notebook at: its path under the root when it has
 * one (the contents API, as any file), else `OrchRuns:<run id>/<name>` (the runs drive), else
 * null (the attempt left none).
 */
export function outputNotebookPath(
  runId: string,
  attempt: IOutputNotebookFields
): string | null {
  if (attempt.output_notebook) {
    return attempt.output_notebook;
  }
  const name = attempt.output_notebook_name;
  return name ? `${RUNS_DRIVE}:${runId}/${name}` : null;
}

/**
 * The path to open one of the notebooks of a step comparison at, from the name the server
 * shows for it (`a_path`, `b_path`): a path under the root names the folders of the run
 * (`<runs dir>/<pipeline>/<run id>/<step>.ipynb`, at least two), so a bare file name is that of
 * a run folder outside the root, served by the runs drive.
 */
export function comparedNotebookPath(runId: string, shown: string): string {
  return shown.includes('/') ? shown : `${RUNS_DRIVE}:${runId}/${shown}`;
}
