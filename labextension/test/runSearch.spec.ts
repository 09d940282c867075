import { describe, expect, it } from 'vitest';

import { OrchClient } from '../src/api/api';
import { zonedTime } from '../src/common/format';
import { OrchModel } from '../src/panel/model';
import {
  dateBounds,
  hasFilters,
  searchPipelines
} from '../src/panel/runFilters';
import { FakeServer, fakeRun } from './fakeServer';

describe('the sidebar search', () => {
  const pipelines = [
    { name: 'daily-sales', description: 'Revenue by region', path: 'a.yaml' },
    { name: 'quality', description: null, path: 'checks/quality.yaml' },
    { name: 'export' }
  ];

  it('finds pipelines by name, description or file, in part and any case', () => {
    expect(searchPipelines(pipelines, 'SALES').map(p => p.name)).toEqual([
      'daily-sales'
    ]);
    expect(searchPipelines(pipelines, 'region').map(p => p.name)).toEqual([
      'daily-sales'
    ]);
    expect(searchPipelines(pipelines, 'checks/').map(p => p.name)).toEqual([
      'quality'
    ]);
    expect(searchPipelines(pipelines, '  ')).toBe(pipelines);
    expect(searchPipelines(pipelines, 'nothing')).toEqual([]);
  });

  it('bounds a range of days at local midnights, both days included', () => {
    const { since, until } = dateBounds('2026-03-01', '2026-03-02');
    expect(new Date(since!).getTime()).toBe(
      new Date(2026, 2, 1, 0, 0, 0).getTime()
    );
    expect(new Date(until!).getTime()).toBe(
      new Date(2026, 2, 3, 0, 0, 0).getTime()
    );
    expect(dateBounds('', '')).toEqual({ since: undefined, until: undefined });
    expect(dateBounds('01/03/2026', '').since).toBeUndefined();
  });

  it('asks the server for the runs the search and the days find', async () => {
    const server = new FakeServer()
      .on('GET', /^orch\/pipelines/, () => ({
        status: 200,
        body: { pipelines: [] }
      }))
      .on('GET', /^orch\/runs/, () => ({
        status: 200,
        body: { runs: [fakeRun('r1', 'failed')], next_cursor: null }
      }))
      .on('GET', /^orch\/health/, () => ({
        status: 200,
        body: { problems: [] }
      }));
    const model = new OrchModel(new OrchClient(server.transport));
    expect(hasFilters(model.filters)).toBe(false);
    await model.setFilters({ search: ' #42 ', from: '2026-03-01' });
    expect(hasFilters(model.filters)).toBe(true);
    const query = new URLSearchParams(
      server.requests
        .filter(r => r.path.startsWith('orch/runs'))
        .pop()!
        .path.split('?')[1]
    );
    expect(query.get('q')).toBe('#42');
    expect(query.get('since')).toBe(new Date(2026, 2, 1).toISOString());
    expect(query.has('until')).toBe(false);
    model.dispose();
  });

  it('shows a time with its zone', () => {
    const text = zonedTime('2026-03-01T08:00:00Z');
    expect(text).toMatch(/^2026-03-01 \d\d:00:00 \S+/);
    expect(zonedTime(null)).toBe('');
    expect(zonedTime('not a time')).toBe('');
  });
});
