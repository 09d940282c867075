/**
 * Builders of API records for unit tests: a complete record with plain defaults, which each
 * test overrides with the values it is about.
 */
import type { IRun } from '../src/api/tokens';

/** A run: a manual run of "daily" that started and has not ended, unless `overrides` say so. */
export function makeRun(overrides: Partial<IRun> = {}): IRun {
  return {
    id: 'run-1',
    pipeline: 'daily',
    version: 1,
    status: 'running',
    trigger: 'manual',
    parameters: {},
    created_at: '2026-01-02T09:00:00Z',
    started_at: '2026-01-02T09:00:01Z',
    ended_at: null,
    duration_s: null,
    error: null,
    rerun_of: null,
    scheduled_for: null,
    event: null,
    run_dir: null,
    pinned: false,
    steps: [],
    ...overrides
  };
}
