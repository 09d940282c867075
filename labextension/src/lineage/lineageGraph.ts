/**
 * The lineage view's picture of the server's graph: a node per dataset (a table or a file, its
 * name shortened, the run that last wrote it) and per step ("pipeline / step", another
 * pipeline's marked), an edge per read (dataset -> step) and write (step -> dataset), placed
 * left to right by dagre (dag/dag.ts). Pure (React Flow types only): unit-tested.
 */
import type { Edge, Node } from '@xyflow/react';

import type {
  ILastWritten,
  ILineageDataset,
  ILineageGraph,
  ILineageStep
} from '../api/lineage';
import { layoutDag } from '../dag/dag';
import { relativeTime, runLabel, zonedTime } from '../common/format';
import { trans } from '../common/i18n';

/** Every node's box (dagre lays them out at this size; lineage.css draws it). */
export const LINEAGE_NODE = { width: 280, height: 84 };

export type DatasetKind = 'table' | 'file';

/** What a dataset's node shows: `type`, not `interface`, as React Flow's data is a record. */
export type DatasetNodeData = {
  name: string;
  /** The name shortened to fit the box (the full name is the tooltip). */
  short: string;
  kind: DatasetKind;
  /** A file under the server's root, which JupyterLab opens; else null. */
  path: string | null;
  lastWritten: ILastWritten | null;
  /** "last written by load #3 · 5 min ago"; null when no recorded run wrote it. */
  writtenText: string | null;
  /** The writing step, run and exact time. */
  writtenTitle: string | null;
};

export type StepNodeData = {
  pipeline: string;
  step: string;
  /** "pipeline / step". */
  label: string;
  /** A step of another pipeline than the one whose lineage is shown. */
  other: boolean;
};

export type DatasetNode = Node<DatasetNodeData, 'dataset'>;
export type StepNode = Node<StepNodeData, 'step'>;
export type LineageNode = DatasetNode | StepNode;

/** What files are named with besides a folder: `daily.csv` at the root is a file. */
const FILE_EXTENSIONS = new Set([
  'arrow',
  'avro',
  'csv',
  'db',
  'feather',
  'gz',
  'h5',
  'hdf5',
  'html',
  'ipynb',
  'json',
  'jsonl',
  'md',
  'ndjson',
  'npy',
  'npz',
  'orc',
  'parquet',
  'pdf',
  'pickle',
  'pkl',
  'png',
  'sqlite',
  'svg',
  'tsv',
  'txt',
  'xls',
  'xlsx',
  'xml',
  'yaml',
  'yml',
  'zip'
]);

/** A URL-like connection label (`sqlite:/data/wh.db`, `postgresql://host/db`), not a drive. */
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]+:/;

/**
 * Whether a dataset is a table or a file. Tables start with their connection's name or label
 * (`warehouse.mart.daily`, `sqlite:/data/wh.db.orders`); files are paths (`exports/daily.csv`,
 * `/srv/out.parquet`), or a file name at the root (`daily.csv`).
 */
export function datasetKind(name: string): DatasetKind {
  if (SCHEME.test(name)) {
    return 'table';
  }
  if (name.includes('/') || name.includes('\\')) {
    return 'file';
  }
  const extension = name.split('.').pop()?.toLowerCase() ?? '';
  return name.includes('.') && FILE_EXTENSIONS.has(extension)
    ? 'file'
    : 'table';
}

/** The path JupyterLab opens a file dataset at: relative ones only (under the root). */
export function openablePath(name: string): string | null {
  if (datasetKind(name) !== 'file') {
    return null;
  }
  const absolute = /^([/\\]|[A-Za-z]:[/\\])/.test(name);
  return absolute || name.split('/').includes('..') ? null : name;
}

/**
 * A long name kept to `max` characters where names differ: its start (a scheme, a leading
 * `/`) and as many of its last path parts as fit (`sqlite:/…/lab0/warehouse.sqlite.daily`);
 * a name without folders loses its middle.
 */
export function shortName(name: string, max = 36): string {
  if (name.length <= max) {
    return name;
  }
  const parts = name.split('/');
  if (parts.length > 1) {
    const head = parts[0];
    let tail = parts[parts.length - 1];
    for (let i = parts.length - 2; i > 0; i--) {
      const longer = `${parts[i]}/${tail}`;
      if (`${head}/…/${longer}`.length > max) {
        break;
      }
      tail = longer;
    }
    for (const shortened of [`${head}/…/${tail}`, `…/${tail}`]) {
      if (shortened.length <= max) {
        return shortened;
      }
    }
    name = tail;
  }
  const keep = max - 1;
  const front = Math.ceil(keep / 3);
  return `${name.slice(0, front)}…${name.slice(name.length - (keep - front))}`;
}

/** "pipeline / step". */
export function stepLabel(pipeline: string, step: string): string {
  return trans.__('%1 / %2', pipeline, step);
}

/** "last written by load #3 · 5 min ago" (no time when the server knows none). */
export function writtenText(
  last: ILastWritten,
  now: Date = new Date()
): string {
  const run = runLabel({ id: last.run_id, number: last.run_number });
  const when = relativeTime(last.at, now);
  return when
    ? trans.__('last written by %1 %2 · %3', last.pipeline, run, when)
    : trans.__('last written by %1 %2', last.pipeline, run);
}

/** The tooltip of "last written by": the step, the run and the exact time. */
export function writtenTitle(last: ILastWritten): string {
  const run = runLabel({ id: last.run_id, number: last.run_number });
  const at = zonedTime(last.at);
  return at
    ? trans.__(
        'Written by %1 in run %2 at %3. Open the run.',
        stepLabel(last.pipeline, last.step),
        run,
        at
      )
    : trans.__(
        'Written by %1 in run %2. Open the run.',
        stepLabel(last.pipeline, last.step),
        run
      );
}

function datasetData(node: ILineageDataset, now: Date): DatasetNodeData {
  const last = node.last_written ?? null;
  return {
    name: node.name,
    short: shortName(node.name),
    kind: datasetKind(node.name),
    path: openablePath(node.name),
    lastWritten: last,
    writtenText: last ? writtenText(last, now) : null,
    writtenTitle: last ? writtenTitle(last) : null
  };
}

function stepData(node: ILineageStep, pipeline: string): StepNodeData {
  return {
    pipeline: node.pipeline,
    step: node.step,
    label: stepLabel(node.pipeline, node.step),
    other: node.pipeline !== pipeline
  };
}

/** What a screen reader says of a node. */
function nodeLabel(node: LineageNode): string {
  if (node.type === 'step') {
    const { label, pipeline, other } = node.data;
    return other
      ? trans.__('Step %1, of another pipeline (%2)', label, pipeline)
      : trans.__('Step %1', label);
  }
  const { name, kind, writtenText: written } = node.data;
  const what =
    kind === 'file' ? trans.__('File %1', name) : trans.__('Table %1', name);
  return written ? trans.__('%1, %2', what, written) : what;
}

/** The graph's name for an edge's end: a dataset's name, a step's "pipeline / step". */
function endName(node: LineageNode): string {
  return node.type === 'step' ? node.data.label : node.data.name;
}

/**
 * The nodes and edges to draw for `pipeline`'s lineage graph, placed left to right (edges
 * whose ends the graph lacks are left out); `now` for the relative times.
 */
export function lineageElements(
  graph: ILineageGraph,
  pipeline: string,
  now: Date = new Date()
): { nodes: LineageNode[]; edges: Edge[] } {
  const byId = new Map<string, LineageNode>();
  for (const node of graph.nodes) {
    const drawn: LineageNode =
      node.kind === 'step'
        ? {
            id: node.id,
            type: 'step',
            position: { x: 0, y: 0 },
            data: stepData(node, pipeline)
          }
        : {
            id: node.id,
            type: 'dataset',
            position: { x: 0, y: 0 },
            data: datasetData(node, now)
          };
    byId.set(node.id, drawn);
  }
  const shown = graph.edges.filter(
    (e, i, all) =>
      byId.has(e.from) &&
      byId.has(e.to) &&
      e.from !== e.to &&
      all.findIndex(o => o.from === e.from && o.to === e.to) === i
  );
  const needs: Record<string, string[]> = {};
  for (const edge of shown) {
    (needs[edge.to] ??= []).push(edge.from);
  }
  const layout = layoutDag(
    { nodes: [...byId.keys()].map(id => ({ id })), needs },
    LINEAGE_NODE
  );
  const nodes = layout.nodes.flatMap(placed => {
    const node = byId.get(placed.id);
    return node
      ? [
          {
            ...node,
            position: { x: placed.x, y: placed.y },
            ariaLabel: nodeLabel(node)
          } as LineageNode
        ]
      : [];
  });
  const edges: Edge[] = shown.map(edge => {
    const from = byId.get(edge.from) as LineageNode;
    const to = byId.get(edge.to) as LineageNode;
    const reads = edge.kind === 'reads';
    return {
      id: `${edge.from}->${edge.to}`,
      source: edge.from,
      target: edge.to,
      className: reads ? 'jp-OrchLineage-reads' : 'jp-OrchLineage-writes',
      data: { kind: edge.kind },
      ariaLabel: reads
        ? trans.__('%1 reads %2', endName(to), endName(from))
        : trans.__('%1 writes %2', endName(from), endName(to))
    };
  });
  return { nodes, edges };
}

/** What the nodes open. */
export interface ILineageActions {
  openRun: (id: string) => void;
  /** Opens a file under the server's root in JupyterLab. */
  openFile: (path: string) => void;
  /** Opens another pipeline's lineage. */
  showLineage: (pipeline: string) => void;
}

/**
 * What Enter (or a double click) on a node opens: a dataset's last run, else its file; another
 * pipeline's step, that pipeline's lineage. False when there is nothing to open.
 */
export function openNode(
  node: Pick<LineageNode, 'type' | 'data'>,
  actions: ILineageActions
): boolean {
  if (node.type === 'dataset') {
    const data = node.data as DatasetNodeData;
    if (data.lastWritten) {
      actions.openRun(data.lastWritten.run_id);
      return true;
    }
    if (data.path) {
      actions.openFile(data.path);
      return true;
    }
    return false;
  }
  const data = node.data as StepNodeData;
  if (data.other) {
    actions.showLineage(data.pipeline);
    return true;
  }
  return false;
}
