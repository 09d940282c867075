/**
 * The lineage view's pure part: the server's graph turned into placed nodes and edges, their
 * labels, which datasets are tables and which are files (and which files JupyterLab opens), and
 * the page's model with a fake server.
 */
import { describe, expect, it } from 'vitest';

import { OrchClient } from '../src/api/api';
import type { ILineageGraph } from '../src/api/lineage';
import {
  DatasetNode,
  datasetKind,
  ILineageActions,
  lineageElements,
  LINEAGE_NODE,
  openablePath,
  openNode,
  shortName,
  StepNode,
  stepLabel,
  writtenText,
  writtenTitle
} from '../src/lineage/lineageGraph';
import { LineageModel } from '../src/lineage/lineageModel';
import { FakeServer } from './fakeServer';

const NOW = new Date('2026-12-06T10:00:00Z');

/** `report` reads what `load` writes, and writes a chart file. */
function graph(): ILineageGraph {
  return {
    nodes: [
      {
        id: 'step:report/totals',
        kind: 'step',
        pipeline: 'report',
        step: 'totals'
      },
      {
        id: 'step:report/chart',
        kind: 'step',
        pipeline: 'report',
        step: 'chart'
      },
      {
        id: 'step:load/extract',
        kind: 'step',
        pipeline: 'load',
        step: 'extract'
      },
      {
        id: 'dataset:wh.raw.orders',
        kind: 'dataset',
        name: 'wh.raw.orders',
        last_written: {
          pipeline: 'load',
          step: 'extract',
          run_id: 'run-load-0007',
          run_number: 7,
          at: '2026-12-06T09:55:00Z'
        }
      },
      {
        id: 'dataset:wh.mart.totals',
        kind: 'dataset',
        name: 'wh.mart.totals',
        last_written: {
          pipeline: 'report',
          step: 'totals',
          run_id: 'abcdef0123456789',
          run_number: null,
          at: null
        }
      },
      {
        id: 'dataset:charts/daily.png',
        kind: 'dataset',
        name: 'charts/daily.png',
        last_written: null
      }
    ],
    edges: [
      {
        from: 'step:load/extract',
        to: 'dataset:wh.raw.orders',
        kind: 'writes'
      },
      {
        from: 'dataset:wh.raw.orders',
        to: 'step:report/totals',
        kind: 'reads'
      },
      {
        from: 'step:report/totals',
        to: 'dataset:wh.mart.totals',
        kind: 'writes'
      },
      {
        from: 'dataset:wh.mart.totals',
        to: 'step:report/chart',
        kind: 'reads'
      },
      {
        from: 'step:report/chart',
        to: 'dataset:charts/daily.png',
        kind: 'writes'
      },
      // Left out: a duplicate, and an end the graph does not have
      {
        from: 'step:report/chart',
        to: 'dataset:charts/daily.png',
        kind: 'writes'
      },
      { from: 'dataset:gone', to: 'step:report/chart', kind: 'reads' }
    ]
  };
}

describe('dataset kinds', () => {
  it('tells tables from files', () => {
    expect(datasetKind('warehouse.mart.daily')).toBe('table');
    expect(datasetKind('warehouse.orders')).toBe('table');
    expect(datasetKind('sqlite:/data/wh.sqlite.orders')).toBe('table');
    expect(datasetKind('sqlite:memory.orders')).toBe('table');
    expect(datasetKind('postgresql://db.example:5432/sales.public.x')).toBe(
      'table'
    );
    expect(datasetKind('exports/daily.csv')).toBe('file');
    expect(datasetKind('/srv/data/out.parquet')).toBe('file');
    expect(datasetKind('daily.csv')).toBe('file');
    expect(datasetKind('report.XLSX')).toBe('file');
    expect(datasetKind('C:\\data\\x.csv')).toBe('file');
    expect(datasetKind('ml.scores')).toBe('table');
  });

  it('opens only files under the root', () => {
    expect(openablePath('exports/daily.csv')).toBe('exports/daily.csv');
    expect(openablePath('daily.csv')).toBe('daily.csv');
    expect(openablePath('/srv/data/out.parquet')).toBeNull();
    expect(openablePath('../outside.csv')).toBeNull();
    expect(openablePath('C:\\data\\x.csv')).toBeNull();
    expect(openablePath('warehouse.mart.daily')).toBeNull();
    expect(openablePath('sqlite:/data/wh.sqlite.orders')).toBeNull();
  });
});

describe('labels', () => {
  it('shortens long names where they differ', () => {
    expect(shortName('warehouse.mart.daily')).toBe('warehouse.mart.daily');
    const sqlite =
      'sqlite:/tmp/pytest-of-root/pytest-5/lab0/warehouse.sqlite.daily';
    expect(shortName(sqlite)).toBe('sqlite:/…/warehouse.sqlite.daily');
    expect(shortName(sqlite, 40)).toBe('sqlite:/…/lab0/warehouse.sqlite.daily');
    expect(
      shortName('/srv/a/very/deep/folder/tree/of/exports/daily.csv', 30)
    ).toBe('/…/tree/of/exports/daily.csv');
    expect(shortName('exports/' + 'x'.repeat(40) + '.csv', 20)).toBe(
      'xxxxxxx…xxxxxxxx.csv'
    );
    const long = 'warehouse.' + 'y'.repeat(50);
    const short = shortName(long, 24);
    expect(short).toHaveLength(24);
    expect(short.startsWith('warehous')).toBe(true);
    expect(short.endsWith('yyy')).toBe(true);
  });

  it('names steps and the run that last wrote a dataset', () => {
    expect(stepLabel('load', 'extract')).toBe('load / extract');
    const last = graph().nodes[3];
    if (last.kind !== 'dataset' || !last.last_written) {
      throw new Error('fixture');
    }
    expect(writtenText(last.last_written, NOW)).toBe(
      'last written by load #7 · 5 min ago'
    );
    expect(writtenTitle(last.last_written)).toMatch(
      /^Written by load \/ extract in run #7 at 2026-12-06 \d\d:55:00/
    );
    // No number (an old run): the end of its id; no time: none said
    expect(
      writtenText({
        pipeline: 'report',
        step: 'totals',
        run_id: 'abcdef0123456789',
        run_number: null,
        at: null
      })
    ).toBe('last written by report 23456789');
  });
});

describe('lineageElements', () => {
  const { nodes, edges } = lineageElements(graph(), 'report', NOW);
  const byId = new Map(nodes.map(n => [n.id, n]));

  it('gives a node per step and dataset, of two kinds', () => {
    expect(nodes.map(n => n.id).sort()).toEqual([
      'dataset:charts/daily.png',
      'dataset:wh.mart.totals',
      'dataset:wh.raw.orders',
      'step:load/extract',
      'step:report/chart',
      'step:report/totals'
    ]);
    const extract = byId.get('step:load/extract') as StepNode;
    expect(extract.type).toBe('step');
    expect(extract.data).toEqual({
      pipeline: 'load',
      step: 'extract',
      label: 'load / extract',
      other: true
    });
    expect(extract.ariaLabel).toBe(
      'Step load / extract, of another pipeline (load)'
    );
    expect((byId.get('step:report/totals') as StepNode).data.other).toBe(false);

    const orders = byId.get('dataset:wh.raw.orders') as DatasetNode;
    expect(orders.type).toBe('dataset');
    expect(orders.data.kind).toBe('table');
    expect(orders.data.path).toBeNull();
    expect(orders.data.writtenText).toBe('last written by load #7 · 5 min ago');
    expect(orders.ariaLabel).toBe(
      'Table wh.raw.orders, last written by load #7 · 5 min ago'
    );
    const chart = byId.get('dataset:charts/daily.png') as DatasetNode;
    expect(chart.data).toMatchObject({
      kind: 'file',
      path: 'charts/daily.png',
      lastWritten: null,
      writtenText: null
    });
    expect(chart.ariaLabel).toBe('File charts/daily.png');
  });

  it('places them left to right: what is written before what reads it', () => {
    const x = (id: string) => byId.get(id)?.position.x ?? NaN;
    const order = [
      'step:load/extract',
      'dataset:wh.raw.orders',
      'step:report/totals',
      'dataset:wh.mart.totals',
      'step:report/chart',
      'dataset:charts/daily.png'
    ];
    for (let i = 1; i < order.length; i++) {
      expect(x(order[i])).toBeGreaterThanOrEqual(
        x(order[i - 1]) + LINEAGE_NODE.width
      );
    }
  });

  it('gives an edge per read and write, once, between nodes it has', () => {
    expect(edges.map(e => [e.source, e.target, e.className])).toEqual([
      ['step:load/extract', 'dataset:wh.raw.orders', 'jp-OrchLineage-writes'],
      ['dataset:wh.raw.orders', 'step:report/totals', 'jp-OrchLineage-reads'],
      ['step:report/totals', 'dataset:wh.mart.totals', 'jp-OrchLineage-writes'],
      ['dataset:wh.mart.totals', 'step:report/chart', 'jp-OrchLineage-reads'],
      ['step:report/chart', 'dataset:charts/daily.png', 'jp-OrchLineage-writes']
    ]);
    expect(edges[0].ariaLabel).toBe('load / extract writes wh.raw.orders');
    expect(edges.map(e => e.data?.kind)).toEqual([
      'writes',
      'reads',
      'writes',
      'reads',
      'writes'
    ]);
    expect(edges[1].ariaLabel).toBe('report / totals reads wh.raw.orders');
  });

  it('is empty for a graph with nothing recorded', () => {
    expect(lineageElements({ nodes: [], edges: [] }, 'report')).toEqual({
      nodes: [],
      edges: []
    });
  });
});

describe('opening a node', () => {
  function recorder(): { actions: ILineageActions; calls: string[] } {
    const calls: string[] = [];
    return {
      calls,
      actions: {
        openRun: id => calls.push(`run ${id}`),
        openFile: path => calls.push(`file ${path}`),
        showLineage: name => calls.push(`lineage ${name}`)
      }
    };
  }

  it('opens the last run, else the file; another pipeline’s lineage', () => {
    const { nodes } = lineageElements(graph(), 'report', NOW);
    const { actions, calls } = recorder();
    const opened = nodes.map(node => [node.id, openNode(node, actions)]);
    expect(Object.fromEntries(opened)).toEqual({
      'dataset:charts/daily.png': true,
      'dataset:wh.mart.totals': true,
      'dataset:wh.raw.orders': true,
      'step:load/extract': true,
      'step:report/chart': false,
      'step:report/totals': false
    });
    expect(calls.sort()).toEqual([
      'file charts/daily.png',
      'lineage load',
      'run abcdef0123456789',
      'run run-load-0007'
    ]);
  });
});

describe('LineageModel', () => {
  it('asks GET /orch/lineage?pipeline= and keeps the graph', async () => {
    const server = new FakeServer().on('GET', /^orch\/lineage\?/, () => ({
      status: 200,
      body: graph()
    }));
    const model = new LineageModel(new OrchClient(server.transport), 'a b');
    let changes = 0;
    model.changed.connect(() => changes++);
    await model.refresh();
    expect(server.requests.map(r => r.path)).toEqual([
      'orch/lineage?pipeline=a+b'
    ]);
    expect(model.graph?.nodes).toHaveLength(6);
    expect(model.loading).toBe(false);
    expect(model.error).toBeNull();
    expect(changes).toBe(2);
  });

  it('says why it could not read it, and forgets that once it can', async () => {
    let status = 404;
    const server = new FakeServer().on('GET', /lineage/, () =>
      status === 404
        ? { status, body: { error: "no pipeline named 'x'" } }
        : { status, body: { nodes: [], edges: [] } }
    );
    const model = new LineageModel(new OrchClient(server.transport), 'x');
    await model.refresh();
    expect(model.error).toContain("no pipeline named 'x'");
    expect(model.graph).toBeNull();
    status = 200;
    await model.refresh();
    expect(model.error).toBeNull();
    expect(model.graph).toEqual({ nodes: [], edges: [] });
  });
});
