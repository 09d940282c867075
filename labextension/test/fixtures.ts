/**
 * Builders of API records for unit tests: a complete record with plain defaults, which each
 * test overrides with the values it is about.
 */
import type { IAttempt, IRun, IStepRun } from '../src/api/tokens';

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

/** Attempt `number` of a step: it succeeded in 5 s and wrote an output notebook. */
export function makeAttempt(
  number: number,
  changes: Partial<IAttempt> = {}
): IAttempt {
  return {
    number,
    status: 'succeeded',
    started_at: '2026-01-02T09:00:00Z',
    ended_at: '2026-01-02T09:00:05Z',
    duration_s: 5,
    outputs: {},
    error: null,
    output_notebook: `runs/r1/step_${number}.ipynb`,
    resources: null,
    ...changes
  };
}

/** A step of a run in `status`, with its attempts and needs. */
export function makeStep(
  name: string,
  status: IStepRun['status'],
  attempts: IAttempt[] = [],
  needs: string[] = []
): IStepRun {
  return { name, status, attempts, needs };
}
