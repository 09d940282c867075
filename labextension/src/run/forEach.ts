/**
 * For-each steps as the lab shows them: a run lists a for-each step (`report`) followed by one
 * step run per item (`report[0]`, `report[1]`...), each naming it as its `parent`. The lab shows
 * the step once, with its items' progress ("2/3"), and its items under it. Pure: unit-tested.
 */
import { clip, formatValue, statusKind } from '../common/format';
import { trans } from '../common/i18n';
import type { IStepRun, JSONValue } from '../api/tokens';

/** Whether a step run is an item of a for-each step. */
export function isItem(step: Pick<IStepRun, 'parent'>): boolean {
  return typeof step.parent === 'string';
}

/** The run's own steps, without the items of its for-each steps. */
export function realSteps<T extends Pick<IStepRun, 'parent'>>(
  steps: readonly T[]
): T[] {
  return steps.filter(step => !isItem(step));
}

/** A step and its items (none for a step without `for_each`, or before its list resolved). */
export interface IStepGroup {
  /** The step, a for-each step with the status `itemsStatus` gives it. */
  step: IStepRun;
  /** In item order. */
  items: IStepRun[];
}

/**
 * A for-each step's status as the lab shows it: `running` while it is `pending` but its items
 * have begun (the server leaves the step pending until every item has ended); else its own.
 */
export function itemsStatus(
  step: Pick<IStepRun, 'status'>,
  items: readonly Pick<IStepRun, 'status'>[]
): IStepRun['status'] {
  return step.status === 'pending' &&
    items.some(item => item.status !== 'pending')
    ? 'running'
    : step.status;
}

/**
 * The run's steps in pipeline order, each with its items (a for-each step with the status
 * `itemsStatus` gives it). An item whose step is not in the list (a server newer or older
 * than this code) stands as a step of its own.
 */
export function groupSteps(steps: readonly IStepRun[]): IStepGroup[] {
  const groups = new Map<string, IStepGroup>();
  for (const step of realSteps(steps)) {
    groups.set(step.name, { step, items: [] });
  }
  for (const step of steps) {
    const group = step.parent === undefined ? null : groups.get(step.parent);
    if (group) {
      group.items.push(step);
    } else if (isItem(step)) {
      groups.set(step.name, { step, items: [] });
    }
  }
  for (const group of groups.values()) {
    group.items.sort((a, b) => (a.item_index ?? 0) - (b.item_index ?? 0));
    const status = itemsStatus(group.step, group.items);
    if (status !== group.step.status) {
      group.step = { ...group.step, status };
    }
  }
  return [...groups.values()];
}

/** How far a for-each step's items are: `succeeded` of `total`, and how many failed or run. */
export interface IItemProgress {
  total: number;
  succeeded: number;
  /** Failed, timed out, or not run because a step they need failed. */
  failed: number;
  /** Running, or waiting for a retry. */
  running: number;
}

/** The parts of an items' bar, in order (the rest of it: the items not begun). */
export const ITEM_PARTS = ['succeeded', 'failed', 'running'] as const;

export function itemProgress(
  items: readonly Pick<IStepRun, 'status'>[]
): IItemProgress {
  const progress = { total: items.length, succeeded: 0, failed: 0, running: 0 };
  for (const { status } of items) {
    const kind = statusKind(status);
    if (kind === 'ok') {
      progress.succeeded++;
    } else if (kind === 'bad') {
      progress.failed++;
    } else if (kind === 'busy') {
      progress.running++;
    }
  }
  return progress;
}

/** "2/3": the items that succeeded, of all. */
export function progressText(progress: IItemProgress): string {
  return `${progress.succeeded}/${progress.total}`;
}

/** "2 of 3 items succeeded, 1 failed": the progress in words, for tooltips and screen readers. */
export function progressWords(progress: IItemProgress): string {
  const parts = [
    trans._n(
      '%2 of %1 item succeeded',
      '%2 of %1 items succeeded',
      progress.total,
      progress.succeeded
    )
  ];
  if (progress.failed) {
    parts.push(trans.__('%1 failed', progress.failed));
  }
  if (progress.running) {
    parts.push(trans.__('%1 running', progress.running));
  }
  return parts.join(', ');
}

/** How long an item's value may get beside its name (the whole value in its tooltip). */
export const ITEM_VALUE_MAX = 40;

/** An item's value as its row shows it: a string as it is, anything else as compact JSON. */
export function itemValueText(
  value: JSONValue | undefined,
  max = ITEM_VALUE_MAX
): string {
  const text = typeof value === 'string' ? value : formatValue(value);
  return clip(text, max);
}

/** Up to this many items, a for-each step shows them without being asked. */
export const ITEMS_SHOWN_OPEN = 5;

/** Whether a for-each step's items are shown before the user opens or closes them: when they
 * are few, or when any went wrong (its error is one click nearer). */
export function itemsOpenByDefault(
  items: readonly Pick<IStepRun, 'status'>[]
): boolean {
  return items.length <= ITEMS_SHOWN_OPEN || itemProgress(items).failed > 0;
}

/**
 * The for-each step an item's name names (`report[1]` -> `report`), for the views whose data
 * give names only (a comparison's steps, the stats' steps); null for a step's own name. Step
 * names are identifiers, so brackets only ever mean an item.
 */
export function itemParentName(name: string): string | null {
  const match = /^(.+)\[\d+\]$/.exec(name);
  return match ? match[1] : null;
}
