import { describe, expect, it } from 'vitest';

import { rovingTarget, tabbableIndex } from '../src/panel/rovingFocus';

describe('rovingTarget', () => {
  it.each([
    ['ArrowDown', 0, 1],
    ['ArrowDown', 1, 2],
    ['ArrowUp', 2, 1],
    ['ArrowUp', 1, 0],
    ['Home', 2, 0],
    ['End', 0, 2]
  ])('%s from row %i of 3 moves to row %i', (key, from, to) => {
    expect(rovingTarget(key, from, 3)).toBe(to);
  });

  it('stops at the ends', () => {
    expect(rovingTarget('ArrowDown', 2, 3)).toBe(2);
    expect(rovingTarget('ArrowUp', 0, 3)).toBe(0);
  });

  it('leaves other keys alone', () => {
    expect(rovingTarget('Tab', 1, 3)).toBeNull();
    expect(rovingTarget('a', 1, 3)).toBeNull();
  });
});

describe('tabbableIndex', () => {
  const keys = ['run-c', 'run-b', 'run-a'];

  it('is the first row until a row is focused', () => {
    expect(tabbableIndex(keys, null)).toBe(0);
  });

  it('follows the focused row when rows are added above it', () => {
    expect(tabbableIndex(keys, 'run-b')).toBe(1);
    expect(tabbableIndex(['run-d', ...keys], 'run-b')).toBe(2);
  });

  it('falls back to the first row when the focused row is gone', () => {
    expect(tabbableIndex(keys, 'run-x')).toBe(0);
  });
});
