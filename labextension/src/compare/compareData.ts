/**
 * What a comparison of two runs shows, decided without a DOM: which runs "Compare with…" offers
 * (the previous run first), which of two runs is `a` (the older), which parameters and outputs
 * differ, and how a difference reads. Pure functions: unit-tested.
 */
import type {
  IComparedStep,
  IRunComparison,
  IStepComparison
} from '../api/compare';
import type { IRun, JSONValue } from '../api/tokens';
import { formatDuration } from '../common/format';
import { itemParentName } from '../run/forEach';

/** Whether two JSON values are equal (an object's keys in any order). */
export function sameJSON(
  a: JSONValue | undefined,
  b: JSONValue | undefined
): boolean {
  if (a === b) {
    return true;
  }
  if (
    a === null ||
    b === null ||
    a === undefined ||
    b === undefined ||
    typeof a !== 'object' ||
    typeof b !== 'object' ||
    Array.isArray(a) !== Array.isArray(b)
  ) {
    return false;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => sameJSON(item, b[i]));
  }
  const left = a as { [key: string]: JSONValue };
  const right = b as { [key: string]: JSONValue };
  const keys = Object.keys(left);
  return (
    keys.length === Object.keys(right).length &&
    keys.every(
      key =>
        Object.prototype.hasOwnProperty.call(right, key) &&
        sameJSON(left[key], right[key])
    )
  );
}

type Dated = Pick<IRun, 'id' | 'created_at' | 'number'>;

/**
 * Whether run `x` was made before run `y`: by their numbers when both have one (a pipeline
 * numbers its runs in order), else by creation time.
 */
export function isOlder(x: Dated, y: Dated): boolean {
  if (x.number && y.number) {
    return x.number < y.number;
  }
  const tx = Date.parse(x.created_at ?? '');
  const ty = Date.parse(y.created_at ?? '');
  if (!isNaN(tx) && !isNaN(ty) && tx !== ty) {
    return tx < ty;
  }
  return x.id < y.id;
}

/** The ids to compare, `a` the older run and `b` the newer: differences read "a → b". */
export function comparePair(x: Dated, y: Dated): { a: string; b: string } {
  return isOlder(x, y) ? { a: x.id, b: y.id } : { a: y.id, b: x.id };
}

/**
 * What "Compare with…" offers for `run` among `runs` (its pipeline's recent runs): the
 * previous run (the newest made before it), then the others newest first; never `run` itself.
 */
export function compareCandidates<T extends Dated>(
  run: Dated,
  runs: readonly T[]
): { previous: T | null; others: T[] } {
  const others = runs
    .filter(r => r.id !== run.id)
    .sort((x, y) => (isOlder(x, y) ? 1 : isOlder(y, x) ? -1 : 0));
  const previous = others.find(r => isOlder(r, run)) ?? null;
  return { previous, others: others.filter(r => r !== previous) };
}

/** A named value in each run; `changed` when they differ (or only one run has it). */
export interface IValueRow {
  name: string;
  a: JSONValue | undefined;
  b: JSONValue | undefined;
  changed: boolean;
}

/** The parameters side by side, as the server lists them; `changed` where not `same`. */
export function parameterRows(comparison: IRunComparison): IValueRow[] {
  return comparison.parameters.map(p => ({
    name: p.name,
    a: p.a ?? undefined,
    b: p.b ?? undefined,
    changed: !p.same
  }));
}

/**
 * A step's outputs side by side, by name. `changed` as the server's `changed_outputs` says;
 * compared here too, so that an older answer without it still shows what differs.
 */
export function outputRows(step: IStepComparison): IValueRow[] {
  const a = step.a?.outputs ?? {};
  const b = step.b?.outputs ?? {};
  const names = Array.from(new Set([...Object.keys(a), ...Object.keys(b)]));
  const listed = new Set(step.changed_outputs ?? []);
  return names
    .sort((x, y) => x.localeCompare(y))
    .map(name => ({
      name,
      a: a[name],
      b: b[name],
      changed:
        listed.has(name) ||
        !(name in a) ||
        !(name in b) ||
        !sameJSON(a[name], b[name])
    }));
}

/** Whether a step's outcome differs between the runs: its status, its outputs, or presence. */
export function stepDiffers(step: IStepComparison): boolean {
  if (!step.a || !step.b) {
    return true;
  }
  return (
    step.a.status !== step.b.status || outputRows(step).some(row => row.changed)
  );
}

/** What differs between the runs, counted for the comparison's summary line. */
export function differenceCounts(comparison: IRunComparison): {
  parameters: number;
  steps: number;
  /** The items of for-each steps (`report[1]`) that differ, apart from the steps. */
  items: number;
  version: boolean;
} {
  const differing = comparison.steps.filter(stepDiffers);
  const items = differing.filter(s => itemParentName(s.name) !== null).length;
  return {
    parameters: comparison.parameters.filter(p => !p.same).length,
    steps: differing.length - items,
    items,
    version: !comparison.version.same
  };
}

/** How much longer (+) or shorter (−) run b's figure is: "+1.2 s", "−3 min 05 s"; "" if equal. */
export function durationDelta(
  a: number | null | undefined,
  b: number | null | undefined
): string {
  if (typeof a !== 'number' || typeof b !== 'number') {
    return '';
  }
  const delta = b - a;
  if (Math.abs(delta) < 0.05) {
    return '';
  }
  return `${delta > 0 ? '+' : '−'}${formatDuration(Math.abs(delta))}`;
}

/** One side's value of a step fact, undefined when the step is missing from that run. */
export function stepFact<K extends keyof IComparedStep>(
  step: IComparedStep | null,
  key: K
): IComparedStep[K] | undefined {
  return step ? step[key] : undefined;
}
