import { describe, expect, it } from 'vitest';

import { outputPathFromSearch, runIdFromSearch } from '../src/commands/links';

describe('runIdFromSearch', () => {
  it('reads the run a notification links to', () => {
    expect(runIdFromSearch('?orch-run=01M94208ME3V30GR6R78G2YX25')).toBe(
      '01M94208ME3V30GR6R78G2YX25'
    );
    expect(runIdFromSearch('?reset&orch-run=abc123')).toBe('abc123');
  });

  it('ignores a missing or malformed id', () => {
    expect(runIdFromSearch('')).toBeNull();
    expect(runIdFromSearch(undefined)).toBeNull();
    expect(runIdFromSearch('?orch-run=../../etc')).toBeNull();
    expect(runIdFromSearch('?orch-run=')).toBeNull();
  });
});

describe('outputPathFromSearch', () => {
  it('reads the output notebook a notebook widget links to', () => {
    expect(
      outputPathFromSearch('?orch-output=orch-runs%2Fp%2FR1%2Fa+b.ipynb')
    ).toBe('orch-runs/p/R1/a b.ipynb');
  });

  it('ignores paths that are not a notebook inside the root', () => {
    expect(outputPathFromSearch('')).toBeNull();
    expect(outputPathFromSearch('?orch-output=%2Fetc%2Fx.ipynb')).toBeNull();
    expect(
      outputPathFromSearch('?orch-output=a%2F..%2F..%2Fx.ipynb')
    ).toBeNull();
    expect(outputPathFromSearch('?orch-output=a%2Fsecret.txt')).toBeNull();
  });
});
