import { describe, expect, it } from 'vitest';

import { runIdFromSearch } from '../src/commands/links';

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
