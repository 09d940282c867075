/**
 * The builder's canvas (React Flow): the form's steps as nodes laid out by dagre, their needs as
 * edges. Notebooks dropped from the file browser become steps; dragging from one node's handle
 * to another makes the second need the first; Delete removes the selected steps or edges;
 * selecting a node shows its card in the form. Every edit goes through the form (canvasModel),
 * so the form and the canvas edit the same YAML.
 */
import {
  applyNodeChanges,
  Background,
  Connection,
  Controls,
  Edge,
  EdgeChange,
  MarkerType,
  NodeChange,
  OnSelectionChangeParams,
  ReactFlow,
  ReactFlowProvider,
  useReactFlow
} from '@xyflow/react';
import * as React from 'react';

import type { IBuilderForm } from '../builder/builderModel';
import { trans } from '../common/i18n';
import { nodeKeyAt, useFileDrop } from './canvasDrop';
import {
  canvasEdges,
  canvasSteps,
  layoutPositions,
  StepNode,
  syncNodes
} from './canvasGraph';
import {
  addNotebooks,
  addStepOfKind,
  chainAfter,
  connect,
  disconnect,
  droppedProblem,
  IAddedSteps,
  removeSteps
} from './canvasModel';
import { NODE_TYPES } from './canvasNode';
import { CanvasMessage, CanvasPalette } from './canvasPalette';

export interface ICanvasProps {
  form: IBuilderForm;
  /** The selected step (its card is marked in the form), or null. */
  selected: string | null;
  onSelect: (key: string | null) => void;
  /** Changes the form (connections, deletions). */
  onEdit: (change: (form: IBuilderForm) => IBuilderForm) => void;
  /** Adds steps (dropped notebooks, the palette): selected; `check`: their fields checked. */
  onAdded: (outcome: IAddedSteps, check: boolean) => void;
  /** Moves the focus to a step's card in the form (Enter on a selected node, double click). */
  onOpenStep: (key: string) => void;
  /** The palette's Notebook…: the file dialog, its notebooks added as steps. */
  onPickNotebooks: () => void;
}

const FIT = { padding: 0.15, maxZoom: 1 };
const EDGE_OPTIONS = {
  markerEnd: { type: MarkerType.ArrowClosed, color: 'var(--jp-ui-font-color2)' }
};
/** How the canvas is used with the keyboard, for screen readers. */
function keysText(): string {
  return trans.__(
    'Keyboard: Tab reaches each step and connection; Enter or Space selects it; arrow keys move a selected step; Enter on a selected step edits it in the form, where Needs connects steps; Delete removes the selected steps or connections; the palette adds steps.'
  );
}

/** React Flow's descriptions of nodes and edges, in the user's words. */
function ariaLabels(): Record<string, string> {
  const keys = keysText();
  return {
    'node.a11yDescription.default': keys,
    'node.a11yDescription.keyboardDisabled': keys,
    'edge.a11yDescription.default': trans.__(
      'A connection: the step it points to needs the other. Enter or Space selects it; Delete removes it.'
    )
  };
}

function isTextInput(target: EventTarget | null): boolean {
  return (
    target instanceof HTMLElement &&
    (['INPUT', 'TEXTAREA', 'SELECT'].includes(target.nodeName) ||
      target.isContentEditable)
  );
}

/** The canvas, with React Flow's state provider of its own. */
export function PipelineCanvas(props: ICanvasProps): JSX.Element {
  return (
    <ReactFlowProvider>
      <CanvasFlow {...props} />
    </ReactFlowProvider>
  );
}

function CanvasFlow(props: ICanvasProps): JSX.Element {
  const { form, selected, onEdit, onSelect } = props;
  const flow = useReactFlow();
  const wrapper = React.useRef<HTMLDivElement>(null);
  const moved = React.useRef(new Set<string>());
  const [nodes, setNodes] = React.useState<StepNode[]>([]);
  const [edgeSelection, setEdgeSelection] = React.useState<Set<string>>(
    () => new Set()
  );
  const [message, setMessage] = React.useState<string | null>(null);

  const steps = React.useMemo(() => canvasSteps(form), [form]);
  // dagre runs again only when steps or needs change (not on every key typed in the form)
  const shape = form.steps.map(s => `${s.key}<${s.needs.join(',')}`).join(';');
  const positions = React.useMemo(() => layoutPositions(form), [shape]);
  const edges: Edge[] = React.useMemo(
    () =>
      canvasEdges(form).map(e => ({ ...e, selected: edgeSelection.has(e.id) })),
    [form, edgeSelection]
  );
  // Stable: React Flow calls a new selection handler again at once
  const latestSelect = React.useRef(onSelect);
  latestSelect.current = onSelect;
  const onSelectionChange = React.useCallback(
    ({ nodes: chosen }: OnSelectionChangeParams) =>
      latestSelect.current(chosen.length === 1 ? chosen[0].id : null),
    []
  );

  // Counts the layouts drawn: each (new steps or needs, Lay out) is fitted in view once drawn
  const [layouts, setLayouts] = React.useState(0);
  React.useEffect(() => {
    setNodes(current => syncNodes(current, steps, positions, moved.current));
  }, [steps]);
  React.useEffect(() => setLayouts(n => n + 1), [positions]);
  React.useEffect(() => {
    // A step selected outside the canvas (a new one) is the canvas's selection too
    if (selected !== null) {
      setNodes(current =>
        current.every(n => !!n.selected === (n.id === selected))
          ? current
          : current.map(n => ({ ...n, selected: n.id === selected }))
      );
    }
  }, [selected]);
  React.useEffect(() => {
    if (form.steps.length) {
      void flow.fitView(FIT);
    }
  }, [layouts]);

  const onNodesChange = (changes: NodeChange<StepNode>[]) => {
    for (const change of changes) {
      if (change.type === 'position' && change.position) {
        moved.current.add(change.id);
      }
    }
    // Removing goes through the form (deleteSelection), like every other edit
    setNodes(current =>
      applyNodeChanges(
        changes.filter(c => c.type !== 'remove'),
        current
      )
    );
  };
  const onEdgesChange = (changes: EdgeChange[]) => {
    setEdgeSelection(current => {
      const next = new Set(current);
      for (const change of changes) {
        if (change.type === 'select') {
          if (change.selected) {
            next.add(change.id);
          } else {
            next.delete(change.id);
          }
        }
      }
      return next;
    });
  };
  const onConnect = ({ source, target }: Connection) => {
    const outcome = connect(form, source, target);
    setMessage(outcome.problem);
    if (!outcome.problem) {
      onEdit(f => connect(f, source, target).form);
    }
  };
  const deleteSelection = (): boolean => {
    const keys = nodes.filter(n => n.selected).map(n => n.id);
    const cut = canvasEdges(form).filter(
      e =>
        edgeSelection.has(e.id) &&
        !keys.includes(e.source) &&
        !keys.includes(e.target)
    );
    if (!keys.length && !cut.length) {
      return false;
    }
    onEdit(f =>
      cut.reduce(
        (edited, e) => disconnect(edited, e.source, e.target),
        removeSteps(f, keys)
      )
    );
    setEdgeSelection(new Set());
    if (selected !== null && keys.includes(selected)) {
      onSelect(null);
    }
    return true;
  };
  const onKeyDown = (event: React.KeyboardEvent) => {
    if (isTextInput(event.target)) {
      return;
    }
    if (event.key === 'Delete' || event.key === 'Backspace') {
      if (deleteSelection()) {
        event.preventDefault();
      }
    } else if (event.key === 'Enter') {
      // Selected before this key (React Flow's own handler selects on the first Enter)
      const key = nodeKeyAt(event.target as Element);
      if (key && nodes.some(n => n.id === key && n.selected)) {
        props.onOpenStep(key);
      }
    }
  };
  useFileDrop(wrapper, ({ paths, target }) => {
    setMessage(droppedProblem(paths));
    props.onAdded(
      addNotebooks(form, paths, nodeKeyAt(target) ?? selected),
      true
    );
  });
  const after = chainAfter(form, selected);
  // The translator is set once, when the plugins activate
  const labels = React.useMemo(ariaLabels, []);

  return (
    <aside className="jp-OrchCanvas" aria-label={trans.__('Canvas')}>
      <CanvasPalette
        after={after === null ? null : (steps.get(after)?.name ?? null)}
        onAddNotebooks={props.onPickNotebooks}
        onAdd={kind =>
          props.onAdded(addStepOfKind(form, kind, selected), false)
        }
        onLayout={() => {
          moved.current.clear();
          setNodes(current => syncNodes(current, steps, positions, new Set()));
          setLayouts(n => n + 1);
        }}
      />
      <CanvasMessage message={message} onDismiss={() => setMessage(null)} />
      <div
        ref={wrapper}
        className="jp-OrchCanvas-flow"
        onKeyDown={onKeyDown}
        data-steps={nodes.length}
      >
        <ReactFlow<StepNode>
          aria-label={trans.__(
            "Pipeline canvas. Drop notebooks here from the file browser; drag from a step's right handle to another step to make it need the first. %1",
            labels['node.a11yDescription.default']
          )}
          nodes={nodes}
          edges={edges}
          nodeTypes={NODE_TYPES}
          defaultEdgeOptions={EDGE_OPTIONS}
          onNodesChange={onNodesChange}
          onEdgesChange={onEdgesChange}
          onConnect={onConnect}
          onSelectionChange={onSelectionChange}
          onNodeClick={event => (event.currentTarget as HTMLElement).focus()}
          onNodeDoubleClick={(_, node) => props.onOpenStep(node.id)}
          onEdgeClick={event => (event.currentTarget as SVGElement).focus()}
          ariaLabelConfig={labels}
          // Deleting and panning keys act here only, never elsewhere in JupyterLab
          deleteKeyCode={null}
          panActivationKeyCode={null}
          connectionRadius={36}
          autoPanOnConnect={false}
          zoomOnScroll={false}
          preventScrolling={false}
          fitViewOptions={FIT}
          minZoom={0.3}
          maxZoom={1.5}
        >
          <Background />
          <Controls showInteractive={false} fitViewOptions={FIT} />
        </ReactFlow>
        {!form.steps.length && (
          <div className="jp-OrchCanvas-empty">
            {trans.__(
              'Drop notebooks here from the file browser, or add steps with the buttons above. Dropped notebooks run one after another.'
            )}
          </div>
        )}
      </div>
    </aside>
  );
}
