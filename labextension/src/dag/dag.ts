/**
 * Lays out a pipeline's steps as a graph with dagre: each step a box, each `needs` an edge
 * from the step it needs. Pure (no DOM): the SVG view draws what this returns.
 */
import dagre from '@dagrejs/dagre';

import type { StepKind } from '../api/tokens';
import type { IItemProgress } from '../run/forEach';

export interface IDagNode {
  /** The step name; unique. */
  id: string;
  /** A second line, e.g. the notebook or the status. */
  detail?: string;
  /** A status (run detail) or none (builder preview). */
  status?: string;
  /** What the step runs, shown as a small tag (none when not known). */
  kind?: StepKind;
  /** A for-each step's items (run detail): "2/3" beside its status, and a bar. */
  progress?: IItemProgress;
}

export interface IDagInput {
  nodes: IDagNode[];
  /** Step name -> the steps it needs. Unknown names are drawn as missing nodes. */
  needs: Record<string, string[]>;
}

export interface IPlacedNode extends IDagNode {
  x: number;
  y: number;
  width: number;
  height: number;
  /** Named by a `needs` but not a step. */
  missing: boolean;
}

export interface IPlacedEdge {
  from: string;
  to: string;
  points: { x: number; y: number }[];
}

export interface IDagLayout {
  nodes: IPlacedNode[];
  edges: IPlacedEdge[];
  width: number;
  height: number;
}

export const NODE_WIDTH = 150;
export const NODE_HEIGHT = 44;

/**
 * Positions for every node and edge, left to right in dependency order; `size` is each box's
 * (the builder's canvas draws larger boxes than the run detail).
 */
export function layoutDag(
  input: IDagInput,
  size: { width: number; height: number } = {
    width: NODE_WIDTH,
    height: NODE_HEIGHT
  }
): IDagLayout {
  const graph = new dagre.graphlib.Graph();
  graph.setGraph({
    rankdir: 'LR',
    nodesep: 18,
    ranksep: 40,
    marginx: 8,
    marginy: 8
  });
  graph.setDefaultEdgeLabel(() => ({}));
  const known = new Set(input.nodes.map(n => n.id));
  const byId = new Map<string, IDagNode>();
  for (const node of input.nodes) {
    byId.set(node.id, node);
    graph.setNode(node.id, { ...size });
  }
  for (const [step, needs] of Object.entries(input.needs)) {
    for (const need of needs) {
      if (!need || need === step) {
        continue;
      }
      if (!known.has(need) && !graph.hasNode(need)) {
        graph.setNode(need, { ...size });
      }
      if (graph.hasNode(step)) {
        graph.setEdge(need, step);
      }
    }
  }
  dagre.layout(graph);
  const nodes: IPlacedNode[] = graph.nodes().map(id => {
    const placed = graph.node(id);
    const node = byId.get(id) ?? { id };
    return {
      ...node,
      // dagre gives centres; the view draws from the top-left corner
      x: placed.x - placed.width / 2,
      y: placed.y - placed.height / 2,
      width: placed.width,
      height: placed.height,
      missing: !known.has(id)
    };
  });
  const edges: IPlacedEdge[] = graph.edges().map(e => ({
    from: e.v,
    to: e.w,
    points: graph.edge(e).points.map(p => ({ x: p.x, y: p.y }))
  }));
  const drawn = graph.graph();
  return {
    nodes,
    edges,
    width: Math.max(drawn.width ?? 0, size.width),
    height: Math.max(drawn.height ?? 0, size.height)
  };
}
