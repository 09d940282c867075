import type { Contents, ServerConnection } from '@jupyterlab/services';
import { describe, expect, it } from 'vitest';

import { OrchClient, OrchError } from '../src/api/api';
import { RUNS_DRIVE } from '../src/output/outputNotebook';
import {
  ReadOnlyRunsError,
  RunsDrive,
  RunsDrivePathError
} from '../src/output/runsDrive';
import { FakeServer } from './fakeServer';

const RUN = '01JH5ZC2K0QWE7Q9Q3Z5ZC2K0Q';
const NOTEBOOK = { cells: [], metadata: {}, nbformat: 4, nbformat_minor: 5 };

/** The model GET /orch/runs/{run}/notebooks/{name} answers (content null with content=0). */
function notebookModel(name: string, content: unknown = NOTEBOOK) {
  return {
    name,
    path: `${RUN}/${name}`,
    type: 'notebook',
    format: content === null ? null : 'json',
    mimetype: null,
    writable: false,
    created: '2026-12-06T09:00:00Z',
    last_modified: '2026-12-06T09:00:05Z',
    size: 1234,
    content
  };
}

/** Only what the drive reads of the server's settings: its base URL. */
const FAKE_SETTINGS = {
  baseUrl: 'http://fake-server:8888/base/'
} as ServerConnection.ISettings;

function drive(server: FakeServer): RunsDrive {
  return new RunsDrive(new OrchClient(server.transport), FAKE_SETTINGS);
}

describe('RunsDrive', () => {
  it('is the OrchRuns drive with the server’s settings', () => {
    const runs = drive(new FakeServer());
    expect(runs.name).toBe(RUNS_DRIVE);
    expect(runs.name).toBe('OrchRuns');
    expect(runs.serverSettings).toBe(FAKE_SETTINGS);
  });

  it('gets a run’s notebook through the runs route, read-only', async () => {
    const server = new FakeServer().on(
      'GET',
      /^orch\/runs\/[^/]+\/notebooks\/[^/?]+$/,
      () => ({ status: 200, body: notebookModel('clean.ipynb') })
    );
    const model = await drive(server).get(`${RUN}/clean.ipynb`, {
      type: 'notebook',
      format: 'json',
      content: true,
      hash: true,
      contentProviderId: 'jupyter-orch-read-only'
    });
    expect(server.requests.map(r => [r.method, r.path])).toEqual([
      ['GET', `orch/runs/${RUN}/notebooks/clean.ipynb`]
    ]);
    expect(model).toMatchObject({
      name: 'clean.ipynb',
      path: `${RUN}/clean.ipynb`,
      type: 'notebook',
      format: 'json',
      writable: false,
      content: NOTEBOOK
    });
  });

  it('asks for no content when none is wanted, as docmanager:open does', async () => {
    const server = new FakeServer().on('GET', /notebooks\/clean/, () => ({
      status: 200,
      body: notebookModel('clean.ipynb', null)
    }));
    const model = await drive(server).get(`${RUN}/clean.ipynb`, {
      content: false
    });
    expect(server.requests[0].path).toBe(
      `orch/runs/${RUN}/notebooks/clean.ipynb?content=0`
    );
    expect(model.content).toBeNull();
  });

  it('lists a run’s notebooks as a directory', async () => {
    const server = new FakeServer().on(
      'GET',
      /^orch\/runs\/[^/]+\/notebooks$/,
      () => ({
        status: 200,
        body: {
          ...notebookModel(RUN, [notebookModel('clean.ipynb', null)]),
          path: RUN,
          type: 'directory',
          format: 'json'
        }
      })
    );
    const model = await drive(server).get(RUN);
    expect(model.type).toBe('directory');
    expect(
      (model.content as Contents.IModel[]).map(item => [
        item.path,
        item.writable
      ])
    ).toEqual([[`${RUN}/clean.ipynb`, false]]);
  });

  it('marks a model read-only whatever the server says', async () => {
    const server = new FakeServer().on('GET', /notebooks/, () => ({
      status: 200,
      body: { ...notebookModel('clean.ipynb'), writable: true }
    }));
    const model = await drive(server).get(`${RUN}/clean.ipynb`);
    expect(model.writable).toBe(false);
  });

  it('encodes the run and the name in the route', async () => {
    const server = new FakeServer().on('GET', /notebooks/, () => ({
      status: 200,
      body: notebookModel('a b#1.ipynb')
    }));
    await drive(server).get(`${RUN}/a b#1.ipynb`);
    expect(server.requests[0].path).toBe(
      `orch/runs/${RUN}/notebooks/a%20b%231.ipynb`
    );
  });

  it('fails as the REST client does when the run or notebook is gone', async () => {
    const server = new FakeServer().on('GET', /notebooks/, () => ({
      status: 404,
      body: { error: `run ${RUN} has no output notebook gone.ipynb` }
    }));
    const failure = drive(server).get(`${RUN}/gone.ipynb`);
    await expect(failure).rejects.toBeInstanceOf(OrchError);
    await expect(failure).rejects.toMatchObject({
      status: 404,
      message: `run ${RUN} has no output notebook gone.ipynb`
    });
  });

  it('refuses a path that names no run or notebook, without a request', async () => {
    const server = new FakeServer();
    const runs = drive(server);
    await expect(runs.get('')).rejects.toBeInstanceOf(RunsDrivePathError);
    await expect(runs.get(`${RUN}/sub/x.ipynb`)).rejects.toBeInstanceOf(
      RunsDrivePathError
    );
    for (const path of ['../x.ipynb', `${RUN}/..`, `${RUN}/notes.txt`]) {
      await expect(runs.get(path)).rejects.toBeInstanceOf(RunsDrivePathError);
    }
    expect(server.requests).toEqual([]);
  });

  it('refuses an answer that is not a contents model', async () => {
    const server = new FakeServer().on('GET', /notebooks/, () => ({
      status: 200,
      body: { unexpected: true }
    }));
    await expect(drive(server).get(`${RUN}/clean.ipynb`)).rejects.toThrow(
      /no contents model/
    );
  });

  it('downloads a notebook from its route under the base URL', async () => {
    const runs = drive(new FakeServer());
    expect(await runs.getDownloadUrl(`${RUN}/clean.ipynb`)).toBe(
      `http://fake-server:8888/base/orch/runs/${RUN}/notebooks/clean.ipynb?download=1`
    );
    await expect(runs.getDownloadUrl(RUN)).rejects.toBeInstanceOf(
      RunsDrivePathError
    );
  });

  it('has no checkpoints', async () => {
    expect(
      await drive(new FakeServer()).listCheckpoints(`${RUN}/a.ipynb`)
    ).toEqual([]);
  });

  it('rejects every write, saying the notebooks are read-only, without a request', async () => {
    const server = new FakeServer();
    const runs = drive(server);
    const path = `${RUN}/clean.ipynb`;
    const writes: Promise<unknown>[] = [
      runs.save(path, { type: 'notebook', format: 'json', content: NOTEBOOK }),
      runs.newUntitled({ path: RUN, type: 'notebook' }),
      runs.delete(path),
      runs.rename(path, `${RUN}/other.ipynb`),
      runs.copy(path, RUN),
      runs.createCheckpoint(path),
      runs.restoreCheckpoint(path, 'checkpoint'),
      runs.deleteCheckpoint(path, 'checkpoint')
    ];
    for (const write of writes) {
      await expect(write).rejects.toBeInstanceOf(ReadOnlyRunsError);
      await expect(write).rejects.toThrow(
        /output notebooks of runs are read-only/i
      );
    }
    await expect(runs.save(path)).rejects.toThrow(`OrchRuns:${path}`);
    expect(server.requests).toEqual([]);
  });

  it('is disposed once, its signal disconnected', () => {
    const runs = drive(new FakeServer());
    let changes = 0;
    runs.fileChanged.connect(() => changes++);
    expect(runs.isDisposed).toBe(false);
    runs.dispose();
    runs.dispose();
    expect(runs.isDisposed).toBe(true);
    expect(changes).toBe(0);
  });
});
