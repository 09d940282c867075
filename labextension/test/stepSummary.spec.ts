import { describe, expect, it } from 'vitest';

import { dagInput } from '../src/run/runView';
import { resourceSummary, stepSummary } from '../src/run/stepSummary';
import type { IAttemptResources } from '../src/api/tokens';
import { makeRun } from './fixtures';

describe('stepSummary', () => {
  it('counts the records a query returned, or the rows it changed', () => {
    const rows = { records_count: 127, columns: ['a'], path: 'r/q.parquet' };
    expect(stepSummary('query', rows)).toEqual({ text: '127 records' });
    expect(stepSummary('query', { ...rows, records_count: 1 })).toEqual({
      text: '1 record'
    });
    expect(stepSummary('query', { records_count: 12345, path: 'x' })).toEqual({
      text: '12,345 records'
    });
    expect(stepSummary('query', { records_count: 3 })).toEqual({
      text: '3 rows changed'
    });
  });

  it('says where an export wrote', () => {
    expect(
      stepSummary('export', {
        records_count: 98,
        table: 'users_per_day',
        action: 'inserted'
      })
    ).toEqual({ text: '98 inserted into users_per_day' });
    expect(
      stepSummary('export', {
        records_count: 98,
        table: 'users_per_day',
        action: 'upserted'
      })
    ).toEqual({ text: '98 upserted into users_per_day' });
    expect(
      stepSummary('export', { records_count: 98, path: 'runs/r1/x.csv' })
    ).toEqual({ text: '98 records written to x.csv', title: 'runs/r1/x.csv' });
  });

  it("counts a function's records when it returned some", () => {
    expect(
      stepSummary('function', { records_count: 7, columns: [], path: 'p' })
    ).toEqual({ text: '7 records' });
    expect(stepSummary('function', { total: 3 })).toBeNull();
  });

  it('says nothing for notebooks, running attempts or unknown kinds', () => {
    expect(stepSummary('notebook', { records_count: 5 })).toBeNull();
    expect(stepSummary('query', {})).toBeNull();
    expect(stepSummary('query', null)).toBeNull();
    expect(stepSummary(null, { records_count: 5 })).toBeNull();
    // An export's outputs say what it was even when the kind is not known
    expect(
      stepSummary(null, { records_count: 2, table: 't', action: 'upserted' })
    ).toEqual({ text: '2 upserted into t' });
  });
});

describe('resourceSummary', () => {
  it('says what an attempt used: peak memory and CPU time', () => {
    expect(
      resourceSummary({ peak_memory_bytes: 1e9, cpu_seconds: 3.24 })?.text
    ).toBe('peak 1.0 GB · CPU 3.2 s');
    expect(
      resourceSummary({ peak_memory_bytes: 48_200_000, cpu_seconds: 75 })?.text
    ).toBe('peak 48 MB · CPU 1 min 15 s');
    expect(
      resourceSummary({ peak_memory_bytes: 0, cpu_seconds: 0 })?.text
    ).toBe('peak 0 B · CPU 0.0 s');
  });

  it('says only what was measured', () => {
    expect(
      resourceSummary({ peak_memory_bytes: 2500 } as IAttemptResources)?.text
    ).toBe('peak 2.5 kB');
    expect(resourceSummary(null)).toBeNull();
    expect(resourceSummary(undefined)).toBeNull();
  });
});

describe('dagInput with kinds', () => {
  it('gives a node its kind when known', () => {
    const run = makeRun({
      steps: [
        { name: 'q', needs: [], status: 'succeeded', attempts: [] },
        { name: 'n', needs: ['q'], status: 'pending', attempts: [] }
      ]
    });
    expect(dagInput(run, { q: 'query' }).nodes).toEqual([
      { id: 'q', status: 'succeeded', kind: 'query' },
      { id: 'n', status: 'pending' }
    ]);
  });
});
