/**
 * The pipeline builder's form state and the pure rules it follows: default step names,
 * notebook paths relative to the pipeline file, step edits that keep `needs` consistent.
 * No DOM and no JupyterLab imports (unit-tested with vitest).
 *
 * Parameter values as text live in `builderValues.ts` (re-exported here); the fields of each
 * step kind in `builderKinds.ts`; reading and writing YAML in `builderYaml.ts`; checks and the
 * mapping of the server's field paths to form fields in `builderProblems.ts`.
 */
import {
  emptyKindFields,
  IKindFields,
  kindDetail,
  movePaths,
  nameSource
} from './builderKinds';
import { emptyNotify, INotifyForm } from './builderNotify';
import { dirname, joinPath, relativePath } from './builderPaths';
import type { ITriggerRow } from './builderTriggersModel';
import { trans } from '../common/i18n';
import type { StepKind } from '../api/tokens';

export { dirname, joinPath, relativePath } from './builderPaths';

export {
  inferValue,
  sameValue,
  typeWord,
  valueOf,
  valueText
} from './builderValues';

/** One `name: value` row (run parameters and step parameters). */
export interface IParamRow {
  /** Stable id for React and for mapping problems; never written to the file. */
  key: string;
  name: string;
  /** The value as typed: `7` is an int, `"7"` a string, `[1, 2]` a list. */
  text: string;
}

/** A step: what it runs (`IKindFields`: its kind and the fields of each kind) and its policy. */
export interface IStepForm extends IKindFields {
  key: string;
  /** Its index in the loaded file's `steps`, whose other keys (comments, kernel...) are kept. */
  sourceIndex: number | null;
  name: string;
  /** Whether the user typed the name (otherwise it follows the notebook, function...). */
  nameEdited: boolean;
  /** Keys of the steps it needs. */
  needs: string[];
  /** Names in the file's `needs` that are no step (kept until unticked). */
  unknownNeeds: string[];
  parameters: IParamRow[];
  /** The `if` expression; empty for none. */
  condition: string;
  /** Empty: not set (the file's `defaults` or 0). */
  retries: string;
  /** Empty: not set; seconds or a duration such as `5m`. */
  timeout: string;
}

export interface IScheduleForm {
  /** Empty: no schedule. */
  cron: string;
  timezone: string;
}

export interface IBuilderForm {
  name: string;
  description: string;
  /** The pipeline file, relative to the server's root folder. */
  path: string;
  /** Whether the user typed the path (otherwise it follows the name). */
  pathEdited: boolean;
  parameters: IParamRow[];
  steps: IStepForm[];
  schedule: IScheduleForm;
  /** The event triggers (`on:`), one row each (builderTriggersModel.ts). */
  triggers: ITriggerRow[];
  /** The pipeline's `notify:` channels (a step's own `notify:` stays as written). */
  notify: INotifyForm;
  /** What the file's `defaults` give steps that set nothing, shown as placeholders. */
  inherited: { retries: string; timeout: string };
}

let counter = 0;

/** A fresh key for a row or a step. */
export function newKey(prefix: string): string {
  counter += 1;
  return `${prefix}${counter}`;
}

// --- names and paths ----------------------------------------------------------------------

export const PIPELINE_NAME = /^[a-z0-9][a-z0-9_-]*$/;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PYTHON_KEYWORDS = new Set(
  (
    'False None True and as assert async await break class continue def del elif else except ' +
    'finally for from global if import in is lambda nonlocal not or pass raise return try ' +
    'while with yield'
  ).split(' ')
);

/** Why a step or parameter name is refused, or null (the server's identifier rule). */
export function identifierProblem(name: string): string | null {
  if (!name) {
    return trans.__('give a name');
  }
  if (!IDENTIFIER.test(name)) {
    return trans.__('use letters, digits and _, not starting with a digit');
  }
  if (PYTHON_KEYWORDS.has(name)) {
    return trans.__('%1 is a Python keyword; choose another name', name);
  }
  return null;
}

/** Why a pipeline name is refused, or null. */
export function pipelineNameProblem(name: string): string | null {
  if (!name.trim()) {
    return trans.__('Give the pipeline a name');
  }
  if (!PIPELINE_NAME.test(name)) {
    return trans.__(
      'Use lower-case letters, digits, - and _, starting with a letter or digit'
    );
  }
  return null;
}

/** A file's name without folder and extension: `a/01_load.ipynb` -> `01_load`. */
export function fileStem(path: string): string {
  const base = path.split('/').pop() ?? '';
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}

/**
 * A valid step name from a notebook path, not among `taken`:
 * `01_load sales.ipynb` -> `load_sales` (then `load_sales_2`...).
 */
export function defaultStepName(notebook: string, taken: string[]): string {
  let base = fileStem(notebook)
    .replace(/[^A-Za-z0-9_]+/g, '_')
    .replace(/^[0-9_]+/, '')
    .replace(/_+/g, '_')
    .replace(/_$/, '');
  if (!base) {
    base = 'step';
  }
  if (PYTHON_KEYWORDS.has(base)) {
    base = `${base}_step`;
  }
  const used = new Set(taken);
  if (!used.has(base)) {
    return base;
  }
  let n = 2;
  while (used.has(`${base}_${n}`)) {
    n += 1;
  }
  return `${base}_${n}`;
}

/** The default file of a pipeline: `<cwd>/<name>.pipeline.yaml`. */
export function defaultPath(cwd: string, name: string): string {
  const file = `${name || 'untitled'}.pipeline.yaml`;
  const dir = cwd.replace(/^\/+|\/+$/g, '');
  return dir ? `${dir}/${file}` : file;
}

/** A step's notebook relative to the root, for `notebookParameters` (null when empty). */
export function notebookFromRoot(
  form: IBuilderForm,
  step: IStepForm
): string | null {
  const notebook = step.kind === 'notebook' ? step.notebook.trim() : '';
  return notebook ? joinPath(dirname(form.path), notebook) : null;
}

// --- edits --------------------------------------------------------------------------------

export function emptyForm(cwd: string, timezone: string): IBuilderForm {
  return {
    name: '',
    description: '',
    path: defaultPath(cwd, ''),
    pathEdited: false,
    parameters: [],
    steps: [],
    schedule: { cron: '', timezone },
    triggers: [],
    notify: emptyNotify(),
    inherited: { retries: '', timeout: '' }
  };
}

export function newParamRow(name = '', text = ''): IParamRow {
  return { key: newKey('p'), name, text };
}

/**
 * A new step of `kind`; `notebookFromRootPath` (a file dialog's answer) is made relative to
 * the file.
 */
export function newStep(
  form: IBuilderForm,
  notebookFromRootPath?: string,
  kind: StepKind = 'notebook'
): IStepForm {
  const notebook = notebookFromRootPath
    ? relativePath(dirname(form.path), notebookFromRootPath)
    : '';
  const taken = form.steps.map(s => s.name);
  return {
    key: newKey('s'),
    sourceIndex: null,
    name: notebook
      ? defaultStepName(notebook, taken)
      : defaultStepName(`step_${form.steps.length + 1}`, taken),
    nameEdited: false,
    ...emptyKindFields(notebook ? 'notebook' : kind),
    notebook,
    needs: [],
    unknownNeeds: [],
    parameters: [],
    condition: '',
    retries: '',
    timeout: ''
  };
}

/** The form with the name set; the path follows it unless typed by hand. */
export function setName(
  form: IBuilderForm,
  name: string,
  cwd: string
): IBuilderForm {
  return form.pathEdited
    ? { ...form, name }
    : { ...form, name, path: defaultPath(cwd, name) };
}

/**
 * The form with the file moved; steps' notebooks, .sql files and .py files keep pointing at
 * the same files.
 */
export function setPath(form: IBuilderForm, path: string): IBuilderForm {
  const oldDir = dirname(form.path);
  const newDir = dirname(path);
  const move = (relative: string) =>
    relativePath(newDir, joinPath(oldDir, relative));
  const steps =
    oldDir === newDir
      ? form.steps
      : form.steps.map(step => ({ ...step, ...movePaths(step, move) }));
  return { ...form, path, pathEdited: true, steps };
}

/**
 * The steps with one changed; when the change gives it something else to be named after (a
 * notebook, a function, a kind...), a name the user did not type follows.
 */
export function setStepFields(
  form: IBuilderForm,
  key: string,
  change: Partial<IStepForm>
): IStepForm[] {
  return form.steps.map(step => {
    if (step.key !== key) {
      return step;
    }
    const next = { ...step, ...change };
    const source = nameSource(next);
    if (next.nameEdited || !source || source === nameSource(step)) {
      return next;
    }
    const taken = form.steps.filter(s => s.key !== key).map(s => s.name);
    return { ...next, name: defaultStepName(source, taken) };
  });
}

/** The step with its notebook set; a name the user did not type follows the notebook. */
export function setNotebook(
  form: IBuilderForm,
  key: string,
  notebook: string
): IStepForm[] {
  return setStepFields(form, key, { notebook });
}

/** Steps without the one removed, and without it in anyone's needs. */
export function removeStep(steps: IStepForm[], key: string): IStepForm[] {
  return steps
    .filter(s => s.key !== key)
    .map(s =>
      s.needs.includes(key)
        ? { ...s, needs: s.needs.filter(n => n !== key) }
        : s
    );
}

/** Steps with one moved by `delta` places (clamped). */
export function moveStep(
  steps: IStepForm[],
  key: string,
  delta: number
): IStepForm[] {
  const from = steps.findIndex(s => s.key === key);
  const to = Math.max(0, Math.min(steps.length - 1, from + delta));
  if (from < 0 || from === to) {
    return steps;
  }
  const next = steps.slice();
  const [moved] = next.splice(from, 1);
  next.splice(to, 0, moved);
  return next;
}

/** A step's needs as names (known steps in form order, then the unknown names kept). */
export function needNames(steps: IStepForm[], step: IStepForm): string[] {
  const names = steps.filter(s => step.needs.includes(s.key)).map(s => s.name);
  return [...names, ...step.unknownNeeds];
}

/** Keys of the steps that need `key`, directly or not (ticking one would make a cycle). */
export function dependents(steps: IStepForm[], key: string): Set<string> {
  const found = new Set<string>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const step of steps) {
      if (
        !found.has(step.key) &&
        step.needs.some(n => n === key || found.has(n))
      ) {
        found.add(step.key);
        grew = true;
      }
    }
  }
  return found;
}

/** Nodes and edges for the DAG preview: one node per named step (first of duplicates). */
export function dagPreview(form: IBuilderForm): {
  nodes: { id: string; detail?: string; kind?: StepKind }[];
  needs: Record<string, string[]>;
} {
  const nodes: { id: string; detail?: string; kind?: StepKind }[] = [];
  const needs: Record<string, string[]> = {};
  const seen = new Set<string>();
  for (const step of form.steps) {
    const id = step.name.trim();
    if (!id || seen.has(id)) {
      continue;
    }
    seen.add(id);
    nodes.push({ id, detail: kindDetail(step), kind: step.kind });
    needs[id] = needNames(form.steps, step).filter(n => n.trim() !== '');
  }
  return { nodes, needs };
}

/** The step keys the form manages, in the order a new step writes them. */
export const STEP_KEYS: readonly string[] = [
  'name',
  'notebook',
  'sql',
  'connection',
  'python',
  'needs',
  'export',
  'if',
  'retries',
  'timeout',
  'parameters'
];
