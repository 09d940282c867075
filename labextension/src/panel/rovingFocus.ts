/**
 * Keyboard moves in the sidebar's lists (a roving tabindex): one row is tabbable, Up and Down
 * move focus between rows, Home and End to the first and last, Enter or Space opens the row.
 */
import * as React from 'react';

/** The keys that open the focused row, as a click on it does. */
const OPEN_KEYS = ['Enter', ' '];

/**
 * The row that `key` moves focus to from row `index` of `count` rows; null when the key does
 * not move focus. Up and Down stop at the ends.
 */
export function rovingTarget(
  key: string,
  index: number,
  count: number
): number | null {
  switch (key) {
    case 'ArrowDown':
      return Math.min(index + 1, count - 1);
    case 'ArrowUp':
      return Math.max(index - 1, 0);
    case 'Home':
      return 0;
    case 'End':
      return count - 1;
    default:
      return null;
  }
}

/**
 * The row that Tab reaches: the one last focused (found by its key, so it stays the same row
 * when rows are added above it), else the first.
 */
export function tabbableIndex(
  keys: readonly string[],
  active: string | null
): number {
  return Math.max(active === null ? 0 : keys.indexOf(active), 0);
}

/** What a list gets from `useRovingFocus`: props for its element and each row's tabIndex. */
export interface IRovingFocus {
  listProps: {
    onFocus: (event: React.FocusEvent<HTMLElement>) => void;
    onKeyDown: (event: React.KeyboardEvent<HTMLElement>) => void;
  };
  tabIndex: (index: number) => 0 | -1;
}

/**
 * A roving tabindex over a list whose children are its rows, `keys` naming them in order;
 * `open(index)` is what Enter on a row does. Keys pressed inside a row (on its buttons) are
 * left to them.
 */
export function useRovingFocus(
  keys: readonly string[],
  open: (index: number) => void
): IRovingFocus {
  const [active, setActive] = React.useState<string | null>(null);
  const tabbable = tabbableIndex(keys, active);
  return {
    listProps: {
      onFocus: event => {
        const index = rowIndex(event);
        if (index >= 0) {
          setActive(keys[index]);
        }
      },
      onKeyDown: event => {
        const index = rowIndex(event);
        if (index < 0) {
          return;
        }
        if (OPEN_KEYS.includes(event.key)) {
          event.preventDefault();
          open(index);
          return;
        }
        const target = rovingTarget(event.key, index, keys.length);
        if (target !== null) {
          event.preventDefault();
          (event.currentTarget.children[target] as HTMLElement).focus();
        }
      }
    },
    tabIndex: index => (index === tabbable ? 0 : -1)
  };
}

/** The index of the row an event is on, or -1 when it comes from inside a row. */
function rowIndex(event: React.SyntheticEvent<HTMLElement>): number {
  const list = event.currentTarget;
  const target = event.target as Element;
  return target.parentElement === list
    ? Array.prototype.indexOf.call(list.children, target)
    : -1;
}
