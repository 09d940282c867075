/**
 * The canvas's picture of the form: a node per step (its kind, name, file and folder), an edge
 * per `needs`, and where each node stands (dagre's layout, except for the nodes the user moved
 * in this session; positions never go into the YAML). Pure (React Flow types only).
 */
import type { Edge, Node, XYPosition } from '@xyflow/react';

import { kindDetail } from '../builder/builderKinds';
import {
  dirname,
  IBuilderForm,
  notebookFromRoot
} from '../builder/builderModel';
import { layoutDag } from '../dag/dag';
import { trans } from '../common/i18n';
import { KIND_LABELS } from '../common/stepKinds';
import type { StepKind } from '../api/tokens';

/** A node's box on the canvas (dagre lays them out at this size). */
export const CANVAS_NODE = { width: 200, height: 72 };

/** What a node shows: `type`, not `interface`, as React Flow's node data is a record. */
export type StepNodeData = {
  /** 1-based, as the form's "Step n". */
  n: number;
  name: string;
  kind: StepKind;
  /** A notebook's file name, else what the step runs (`kindDetail`). */
  file: string;
  /** A notebook's folder (relative to the root, `/` for the root), shortened from the left. */
  folder: string | null;
  /** The tooltip: name, kind and the full path or detail. */
  title: string;
};

export type StepNode = Node<StepNodeData, 'step'>;

/** Keeps the end of a long folder, where folders differ: `…/reports/2026/q1/`. */
export function shortFolder(folder: string, max = 28): string {
  const shown = folder ? `${folder}/` : '/';
  return shown.length > max ? `…${shown.slice(shown.length - max + 1)}` : shown;
}

/** The data of each step's node, in form order. */
export function canvasSteps(form: IBuilderForm): Map<string, StepNodeData> {
  const nodes = new Map<string, StepNodeData>();
  form.steps.forEach((step, index) => {
    const name = step.name.trim() || trans.__('Unnamed step');
    const path = notebookFromRoot(form, step);
    const file = path ? (path.split('/').pop() ?? path) : kindDetail(step);
    nodes.set(step.key, {
      n: index + 1,
      name,
      kind: step.kind,
      file,
      folder: path ? shortFolder(dirname(path)) : null,
      title: trans.__('%1 (%2): %3', name, KIND_LABELS[step.kind], path ?? file)
    });
  });
  return nodes;
}

/** An edge's id; its source and target are the step keys. */
export function edgeId(from: string, to: string): string {
  return `${from}->${to}`;
}

/** An edge from each need to the step that needs it (steps only; unknown names stay in the form). */
export function canvasEdges(form: IBuilderForm): Edge[] {
  const keys = new Set(form.steps.map(s => s.key));
  const names = new Map(form.steps.map(s => [s.key, s.name.trim()]));
  const name = (key: string) => names.get(key) || trans.__('step');
  return form.steps.flatMap(step =>
    step.needs
      .filter(need => keys.has(need) && need !== step.key)
      .map(need => ({
        id: edgeId(need, step.key),
        source: need,
        target: step.key,
        ariaLabel: trans.__('%1 needs %2', name(step.key), name(need))
      }))
  );
}

/** Where dagre puts each step's node (top-left corners), by step key. */
export function layoutPositions(form: IBuilderForm): Map<string, XYPosition> {
  const needs: Record<string, string[]> = {};
  for (const step of form.steps) {
    needs[step.key] = step.needs;
  }
  const layout = layoutDag(
    { nodes: form.steps.map(s => ({ id: s.key })), needs },
    CANVAS_NODE
  );
  return new Map(
    layout.nodes
      .filter(node => !node.missing)
      .map(node => [node.id, { x: node.x, y: node.y }])
  );
}

/**
 * The nodes to draw: one per step, at dagre's place unless `moved` (then where the user left
 * it); what React Flow measured and selected of the nodes drawn so far is kept.
 */
export function syncNodes(
  current: readonly StepNode[],
  steps: Map<string, StepNodeData>,
  positions: Map<string, XYPosition>,
  moved: ReadonlySet<string>
): StepNode[] {
  const drawn = new Map(current.map(node => [node.id, node]));
  return [...steps].map(([key, data]) => {
    const before = drawn.get(key);
    const position =
      before && moved.has(key)
        ? before.position
        : (positions.get(key) ?? before?.position ?? { x: 0, y: 0 });
    return {
      ...(before ?? { id: key, type: 'step' as const }),
      position,
      data,
      ariaLabel: trans.__(
        'Step %1: %2, %3, %4',
        data.n,
        data.name,
        KIND_LABELS[data.kind],
        data.file
      ),
      domAttributes: {
        title: data.title,
        'data-step': data.name,
        'data-kind': data.kind
      } as StepNode['domAttributes']
    };
  });
}
