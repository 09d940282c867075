import { describe, expect, it } from 'vitest';

import { OrchClient, OrchError } from '../src/api/api';
import {
  artifactImage,
  artifactPreview,
  ArtifactClient,
  IArtifact,
  ITablePreview
} from '../src/api/artifacts';
import {
  ArtifactPreviews,
  artifactKey,
  artifactsOf,
  concurrentNote,
  MAX_THUMBNAILS,
  PREVIEW_ROWS,
  rowsCaption,
  sortArtifacts,
  thumbnails
} from '../src/run/artifactsModel';

function artifact(name: string, changes: Partial<IArtifact> = {}): IArtifact {
  const type = /\.(png|svg)$/.test(name)
    ? 'image'
    : /\.(csv|parquet)$/.test(name)
      ? 'table'
      : 'file';
  return {
    name,
    path: `orch-runs/p/R1/artifacts/${name}`,
    type,
    size: 10,
    modified_at: '2026-12-07T09:00:00+00:00',
    attempt: 1,
    ...changes
  };
}

function preview(changes: Partial<ITablePreview> = {}): ITablePreview {
  return {
    path: 'orch-runs/p/R1/artifacts/t.csv',
    format: 'csv',
    columns: ['a'],
    types: null,
    rows: [['1']],
    more_rows: false,
    hidden_columns: 0,
    total_rows: null,
    ...changes
  };
}

/** Settles each request when the test says, and records what was asked. */
class FakeArtifactClient implements ArtifactClient {
  asked: string[] = [];
  private pending: {
    resolve: (value: unknown) => void;
    reject: (error: unknown) => void;
  }[] = [];

  request<T>(path: string): Promise<T> {
    return this.defer<T>(path);
  }

  requestBlob(path: string): Promise<Blob> {
    return this.defer<Blob>(path);
  }

  /** Answers the oldest request still waiting. */
  answer(value: unknown): Promise<void> {
    this.pending.shift()?.resolve(value);
    return new Promise(resolve => setTimeout(resolve, 0));
  }

  fail(error: unknown): Promise<void> {
    this.pending.shift()?.reject(error);
    return new Promise(resolve => setTimeout(resolve, 0));
  }

  private defer<T>(path: string): Promise<T> {
    this.asked.push(path);
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ resolve: resolve as (v: unknown) => void, reject });
    });
  }
}

function previewsOf(client: FakeArtifactClient) {
  const made: Blob[] = [];
  const revoked: string[] = [];
  const previews = new ArtifactPreviews(
    client,
    'R1',
    blob => {
      made.push(blob);
      return `blob:${made.length}`;
    },
    url => revoked.push(url)
  );
  let changes = 0;
  previews.changed.connect(() => changes++);
  return { previews, made, revoked, changes: () => changes };
}

describe('the artifacts of a step', () => {
  it('are images, then tables, then the rest, by name', () => {
    const files = [
      artifact('z.txt'),
      artifact('b.csv'),
      artifact('b.png'),
      artifact('a.parquet'),
      artifact('a.png'),
      artifact('m.ipynb', { type: 'notebook' })
    ];
    expect(sortArtifacts(files).map(a => a.name)).toEqual([
      'a.png',
      'b.png',
      'a.parquet',
      'b.csv',
      'm.ipynb',
      'z.txt'
    ]);
    expect(artifactsOf({})).toEqual([]);
    expect(artifactsOf({ artifacts: files })).toBe(files);
  });

  it('show at most MAX_THUMBNAILS images inline, never one outside the root', () => {
    const images = Array.from({ length: MAX_THUMBNAILS + 3 }, (_, i) =>
      artifact(`i${String(i).padStart(2, '0')}.png`)
    );
    const outside = artifact('a-outside.png', { path: null });
    const inline = thumbnails(sortArtifacts([outside, ...images]));
    expect(inline.size).toBe(MAX_THUMBNAILS);
    expect(inline.has('a-outside.png')).toBe(false);
    expect(inline.has('i00.png')).toBe(true);
  });

  it('say when a file may be another step’s', () => {
    expect(concurrentNote(artifact('a.csv'))).toBeNull();
    expect(concurrentNote(artifact('a.csv', { concurrent: ['load'] }))).toBe(
      'It may be from load: it ran at the same time.'
    );
    expect(concurrentNote(artifact('a.csv', { concurrent: ['a', 'b'] }))).toBe(
      'It may be from a, b: they ran at the same time.'
    );
  });

  it('caption a preview by what it shows of the file', () => {
    expect(rowsCaption(preview())).toBe('All 1 row');
    expect(rowsCaption(preview({ more_rows: true, hidden_columns: 2 }))).toBe(
      'First 1 row, more follow; 2 more columns not shown'
    );
    expect(
      rowsCaption(preview({ rows: [['1'], ['2']], total_rows: 12000 }))
    ).toBe('First 2 rows of 12,000');
  });
});

describe('ArtifactPreviews', () => {
  it('fetches a table once, while it is on its way and once it is there', async () => {
    const client = new FakeArtifactClient();
    const { previews, changes } = previewsOf(client);
    const table = artifact('sales data.csv');
    expect(previews.table(table)).toBeNull();
    previews.loadTable(table);
    previews.loadTable(table);
    expect(previews.table(table)).toEqual({ status: 'loading' });
    expect(client.asked).toEqual([
      'runs/R1/artifacts/preview?path=orch-runs%2Fp%2FR1%2Fartifacts%2Fsales+data.csv' +
        `&rows=${PREVIEW_ROWS}`
    ]);
    await client.answer(preview());
    expect(previews.table(table)).toEqual({
      status: 'ready',
      value: preview()
    });
    previews.loadTable(table);
    expect(client.asked).toHaveLength(1);
    expect(changes()).toBe(2);
  });

  it('fetches a file again once a retry rewrote it', async () => {
    const client = new FakeArtifactClient();
    const { previews } = previewsOf(client);
    const first = artifact('t.csv');
    previews.loadTable(first);
    await client.answer(preview());
    const rewritten = { ...first, size: 99, attempt: 2 };
    expect(artifactKey(rewritten)).not.toBe(artifactKey(first));
    expect(previews.table(rewritten)).toBeNull();
    previews.loadTable(rewritten);
    expect(client.asked).toHaveLength(2);
  });

  it('keeps the server’s message when a preview fails, and may try again', async () => {
    const client = new FakeArtifactClient();
    const { previews } = previewsOf(client);
    const broken = artifact('broken.parquet');
    previews.loadTable(broken);
    await client.fail(
      new OrchError('x/broken.parquet is not a readable Parquet file', 422)
    );
    expect(previews.table(broken)).toEqual({
      status: 'error',
      message: 'x/broken.parquet is not a readable Parquet file'
    });
    previews.loadTable(broken);
    expect(previews.table(broken)).toEqual({ status: 'loading' });
    expect(client.asked).toHaveLength(2);
  });

  it('turns an image into an object URL, freed when the view closes', async () => {
    const client = new FakeArtifactClient();
    const { previews, made, revoked } = previewsOf(client);
    const chart = artifact('chart.png');
    previews.loadImage(chart);
    expect(client.asked).toEqual([
      'runs/R1/artifacts/image?path=orch-runs%2Fp%2FR1%2Fartifacts%2Fchart.png'
    ]);
    const blob = new Blob(['png'], { type: 'image/png' });
    await client.answer(blob);
    expect(made).toEqual([blob]);
    expect(previews.image(chart)).toEqual({ status: 'ready', value: 'blob:1' });
    previews.dispose();
    expect(revoked).toEqual(['blob:1']);
    expect(previews.isDisposed).toBe(true);
  });

  it('frees an image that arrives after the view closed, and asks nothing then', async () => {
    const client = new FakeArtifactClient();
    const { previews, revoked } = previewsOf(client);
    previews.loadImage(artifact('late.png'));
    previews.dispose();
    await client.answer(new Blob(['png']));
    expect(revoked).toEqual(['blob:1']);
    previews.loadImage(artifact('other.png'));
    previews.loadTable(artifact('t.csv'));
    expect(client.asked).toHaveLength(1);
  });

  it('asks nothing for a file outside the root', () => {
    const client = new FakeArtifactClient();
    const { previews } = previewsOf(client);
    previews.loadImage(artifact('a.png', { path: null }));
    previews.loadTable(artifact('a.csv', { path: null }));
    expect(client.asked).toEqual([]);
  });
});

describe('the artifact routes through the client', () => {
  it('return a blob, or the server’s error for a refused file', async () => {
    const seen: string[] = [];
    const client = new OrchClient(async path => {
      seen.push(path);
      if (path.includes('bad.png')) {
        return new Response(
          JSON.stringify({
            error: 'bad.png is larger than 20 MB',
            details: []
          }),
          { status: 422 }
        );
      }
      if (path.includes('/preview?')) {
        return new Response(JSON.stringify(preview()), { status: 200 });
      }
      return new Response(new Blob(['PNG']), { status: 200 });
    });
    const blob = await artifactImage(client, 'R1', 'x/a&b.png');
    expect(await blob.text()).toBe('PNG');
    expect(seen[0]).toBe('orch/runs/R1/artifacts/image?path=x%2Fa%26b.png');
    await expect(artifactImage(client, 'R1', 'bad.png')).rejects.toThrow(
      'bad.png is larger than 20 MB'
    );
    expect(await artifactPreview(client, 'R1', 't.csv', 5)).toEqual(preview());
    expect(seen[2]).toBe('orch/runs/R1/artifacts/preview?path=t.csv&rows=5');
  });
});
