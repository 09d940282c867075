import { describe, expect, it } from 'vitest';

import { OrchClient, OrchError } from '../src/api/api';
import {
  IPipelineVersion,
  listVersions,
  rollback,
  versionDiff
} from '../src/api/versions';
import { parseUnifiedDiff } from '../src/diff/unifiedDiff';
import { HistoryModel } from '../src/versions/historyModel';
import {
  actorLabel,
  comparePair,
  normalizePath,
  previousVersion,
  toggleSelected,
  versionPaths,
  writtenPaths
} from '../src/versions/versionsModel';
import { FakeServer } from './fakeServer';

function version(
  number: number,
  changes: Partial<IPipelineVersion> = {}
): IPipelineVersion {
  return {
    version: number,
    path: 'reports/daily.yaml',
    content_hash: `h${number}`,
    created_at: '2026-12-06T09:00:00+00:00',
    created_by: 'alice',
    summary: null,
    files: [{ path: 'transform.ipynb', kind: 'notebook', hash: 'x' }],
    ...changes
  };
}

describe('versions API', () => {
  it('lists, compares and rolls back through the REST routes', async () => {
    const server = new FakeServer()
      .on('GET', /versions$/, () => ({
        status: 200,
        body: { versions: [version(2), version(1)] }
      }))
      .on('GET', /versions\/1\/diff\/2$/, () => ({
        status: 200,
        body: {
          pipeline: 'a b',
          from: 1,
          to: 2,
          yaml: '',
          files: [],
          notes: []
        }
      }))
      .on('POST', /rollback$/, request => ({
        status: 200,
        body: {
          pipeline: 'a b',
          version: version(3),
          recorded_edits: null,
          written: ['transform.ipynb'],
          asked: request.body
        }
      }));
    const client = new OrchClient(server.transport);
    expect((await listVersions(client, 'a b')).map(v => v.version)).toEqual([
      2, 1
    ]);
    expect((await versionDiff(client, 'a b', 1, 2)).to).toBe(2);
    const done = await rollback(client, 'a b', 1);
    expect(done.version.version).toBe(3);
    expect(server.requests.map(r => `${r.method} ${r.path}`)).toEqual([
      'GET orch/pipelines/a%20b/versions',
      'GET orch/pipelines/a%20b/versions/1/diff/2',
      'POST orch/pipelines/a%20b/rollback'
    ]);
    expect(server.requests[2].body).toEqual({ version: 1 });
  });

  it('turns an error answer into the server message', async () => {
    const server = new FakeServer().on('POST', /rollback$/, () => ({
      status: 404,
      body: { error: 'daily has no version 9' }
    }));
    const error = await rollback(
      new OrchClient(server.transport),
      'daily',
      9
    ).catch(e => e);
    expect(error).toBeInstanceOf(OrchError);
    expect(String(error.message)).toContain('no version 9');
  });
});

describe('history model', () => {
  it('reads the versions and keeps at most two selected', async () => {
    const server = new FakeServer().on('GET', /versions$/, () => ({
      status: 200,
      body: { versions: [version(3), version(2), version(1)] }
    }));
    const model = new HistoryModel(new OrchClient(server.transport), 'daily');
    await model.refresh();
    expect(model.latest?.version).toBe(3);
    model.toggle(3);
    expect(model.pair).toBeNull();
    model.toggle(1);
    expect(model.pair).toEqual([1, 3]);
    model.toggle(2);
    expect(model.selected).toEqual([1, 2]);
  });

  it('says why it could not read them', async () => {
    const server = new FakeServer().on('GET', /versions$/, () => ({
      status: 404,
      body: { error: 'no pipeline named daily' }
    }));
    const model = new HistoryModel(new OrchClient(server.transport), 'daily');
    await model.refresh();
    expect(model.versions).toBeNull();
    expect(model.error).toContain('no pipeline named daily');
  });
});

describe('version helpers', () => {
  it('names who recorded a version', () => {
    expect(actorLabel('alice')).toBe('alice');
    expect(actorLabel('scheduler')).toBe('Scheduler');
    expect(actorLabel('token:1a2b3c4d')).toBe('API token 1a2b3c4d');
    expect(actorLabel(null)).toBe('Unknown');
  });

  it('finds a version’s files under the root', () => {
    const v = version(1, {
      files: [
        { path: 'nb/transform.ipynb', kind: 'notebook', hash: 'a' },
        { path: '../shared/load.sql', kind: 'sql', hash: 'b' }
      ]
    });
    expect(versionPaths(v)).toEqual([
      'reports/daily.yaml',
      'reports/nb/transform.ipynb',
      'shared/load.sql'
    ]);
    expect(versionPaths(version(1, { path: 'daily.yaml' }))).toEqual([
      'daily.yaml',
      'transform.ipynb'
    ]);
    expect(normalizePath('../x')).toBeNull();
  });

  it('reads written paths both ways', () => {
    expect(writtenPaths(['a.ipynb'], 'reports/daily.yaml')).toEqual([
      'a.ipynb',
      'reports/a.ipynb'
    ]);
  });

  it('picks the version before and the pair to compare', () => {
    const list = [version(5), version(3), version(1)];
    expect(previousVersion(list, 5)).toBe(3);
    expect(previousVersion(list, 1)).toBeNull();
    expect(comparePair([4, 2])).toEqual([2, 4]);
    expect(comparePair([4])).toBeNull();
    expect(toggleSelected([1, 2], 3)).toEqual([2, 3]);
    expect(toggleSelected([1, 2], 1)).toEqual([2]);
  });
});

describe('unified diff', () => {
  it('numbers old and new lines', () => {
    const lines = parseUnifiedDiff(
      '--- v1\n+++ v2\n@@ -1,3 +1,3 @@\n name: a\n-x: 1\n+x: 2\n y: 3\n'
    );
    expect(lines.map(l => [l.kind, l.oldLine, l.newLine])).toEqual([
      ['meta', null, null],
      ['meta', null, null],
      ['hunk', null, null],
      ['context', 1, 1],
      ['del', 2, null],
      ['add', null, 2],
      ['context', 3, 3]
    ]);
  });
});
