/**
 * What the builder's canvas does to the form: connecting two steps adds a need, deleting an
 * edge removes it, deleting nodes removes steps, and notebooks dropped (or picked several at a
 * time) become steps chained in order. Pure (no DOM, no React Flow): the form stays the one
 * state, and `formToYaml` writes what the canvas and the form both edit.
 *
 * Where a new step goes, in one rule for every way of adding one: after the step it was dropped
 * on, else after the selected step, else after the last step of the list; several new steps
 * form a chain in the order given.
 */
import {
  dependents,
  IBuilderForm,
  IStepForm,
  newStep,
  removeStep
} from '../builder/builderModel';
import { trans } from '../common/i18n';
import type { StepKind } from '../api/tokens';

/** A form edit the canvas made, or why it made none (the form is then unchanged). */
export interface ICanvasEdit {
  form: IBuilderForm;
  /** Why nothing changed, in words for the user; null when the edit was made or a no-op. */
  problem: string | null;
}

/** The steps added by an edit, in order, and the form with them. */
export interface IAddedSteps {
  form: IBuilderForm;
  added: string[];
}

function stepLabel(form: IBuilderForm, key: string): string {
  const index = form.steps.findIndex(s => s.key === key);
  const step = form.steps[index];
  return step?.name.trim() || trans.__('step %1', index + 1);
}

/** The form where `to` needs `from` (an edge dragged from `from` to `to`); cycles refused. */
export function connect(
  form: IBuilderForm,
  from: string,
  to: string
): ICanvasEdit {
  const target = form.steps.find(s => s.key === to);
  if (!target || !form.steps.some(s => s.key === from)) {
    return { form, problem: trans.__('Connect two steps of this pipeline.') };
  }
  if (from === to) {
    return { form, problem: trans.__('A step cannot need itself.') };
  }
  if (target.needs.includes(from)) {
    return { form, problem: null };
  }
  if (dependents(form.steps, to).has(from)) {
    const a = stepLabel(form, from);
    const b = stepLabel(form, to);
    return {
      form,
      problem: trans.__(
        'Not connected: %1 already runs after %2, so %2 needing %1 would make a cycle.',
        a,
        b
      )
    };
  }
  const steps = form.steps.map(s =>
    s.key === to ? { ...s, needs: [...s.needs, from] } : s
  );
  return { form: { ...form, steps }, problem: null };
}

/** The form where `to` no longer needs `from` (an edge deleted). */
export function disconnect(
  form: IBuilderForm,
  from: string,
  to: string
): IBuilderForm {
  const steps = form.steps.map(s =>
    s.key === to && s.needs.includes(from)
      ? { ...s, needs: s.needs.filter(n => n !== from) }
      : s
  );
  return { ...form, steps };
}

/** The form without these steps, and without them in anyone's needs (nodes deleted). */
export function removeSteps(
  form: IBuilderForm,
  keys: Iterable<string>
): IBuilderForm {
  let steps = form.steps;
  for (const key of keys) {
    steps = removeStep(steps, key);
  }
  return { ...form, steps };
}

/**
 * The step new steps go after: `target` (the node dropped on, or the selected one) when it is
 * a step, else the last step; null for an empty pipeline.
 */
export function chainAfter(
  form: IBuilderForm,
  target: string | null
): string | null {
  if (target !== null && form.steps.some(s => s.key === target)) {
    return target;
  }
  return form.steps.length ? form.steps[form.steps.length - 1].key : null;
}

/** The form with `steps` appended, each needing the one before it; the first needs `after`. */
export function appendChained(
  form: IBuilderForm,
  steps: IStepForm[],
  after: string | null
): IAddedSteps {
  let previous = after;
  const chained = steps.map(step => {
    const needs =
      previous !== null && !step.needs.includes(previous)
        ? [...step.needs, previous]
        : step.needs;
    previous = step.key;
    return { ...step, needs };
  });
  return {
    form: { ...form, steps: [...form.steps, ...chained] },
    added: chained.map(s => s.key)
  };
}

/** The notebooks among dropped or picked paths (folders and other files are no step). */
export function notebookPaths(paths: readonly string[]): string[] {
  return paths.filter(path => path.toLowerCase().endsWith('.ipynb'));
}

/**
 * The form with a notebook step per notebook of `paths` (relative to the root), chained in
 * order after `target` (see `chainAfter`); other paths are left out.
 */
export function addNotebooks(
  form: IBuilderForm,
  paths: readonly string[],
  target: string | null
): IAddedSteps {
  const steps: IStepForm[] = [];
  for (const path of notebookPaths(paths)) {
    // Each name is unique among the steps so far, the new ones included
    steps.push(newStep({ ...form, steps: [...form.steps, ...steps] }, path));
  }
  return appendChained(form, steps, chainAfter(form, target));
}

/** The form with an empty step of `kind` (a palette button), after `target` (`chainAfter`). */
export function addStepOfKind(
  form: IBuilderForm,
  kind: StepKind,
  target: string | null
): IAddedSteps {
  return appendChained(
    form,
    [newStep(form, undefined, kind)],
    chainAfter(form, target)
  );
}

/** Why some dropped paths were left out, or null when every one became a step. */
export function droppedProblem(paths: readonly string[]): string | null {
  const others = paths.filter(p => !notebookPaths([p]).length);
  if (!others.length) {
    return null;
  }
  const names = others.map(p => p.split('/').pop() || p).join(', ');
  return trans.__(
    'Only notebooks (.ipynb) become steps by dropping; left out: %1. Add other kinds with the palette.',
    names
  );
}
