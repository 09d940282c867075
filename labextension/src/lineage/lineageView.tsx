/**
 * A pipeline's lineage in the main area: the datasets its steps read and write and the other
 * pipelines' steps that write what it reads or read what it writes, drawn left to right with
 * React Flow (lineageGraph.ts places them, lineageNode.tsx draws them). Refresh asks again; with
 * nothing recorded yet, it says where lineage comes from. The widget owns a `LineageModel`.
 */
import {
  fileIcon,
  ReactWidget,
  refreshIcon,
  tableRowsIcon,
  UseSignal
} from '@jupyterlab/ui-components';
import {
  applyNodeChanges,
  Background,
  Controls,
  MarkerType,
  Node,
  NodeChange,
  ReactFlow,
  ReactFlowProvider,
  useReactFlow
} from '@xyflow/react';
import * as React from 'react';

import type { ILineageGraph, LineageClient } from '../api/lineage';
import { Sentence } from '../common/components';
import { trans } from '../common/i18n';
import {
  ILineageActions,
  lineageElements,
  LineageNode,
  openNode
} from './lineageGraph';
import { lineageIcon } from './lineageIcon';
import { LineageModel } from './lineageModel';
import { LINEAGE_NODE_TYPES, LineageActions } from './lineageNode';

export interface ILineageOptions extends ILineageActions {
  client: LineageClient;
  pipeline: string;
}

export class LineageWidget extends ReactWidget {
  constructor(readonly options: ILineageOptions) {
    super();
    const { pipeline } = options;
    this.title.label = trans.__('%1 lineage', pipeline);
    this.title.caption = trans.__(
      'Lineage of %1: the datasets its steps read and write, and the pipelines that share them',
      pipeline
    );
    this.title.icon = lineageIcon;
    this.addClass('jp-OrchLineage');
    this.model = new LineageModel(options.client, pipeline);
    void this.model.refresh();
  }

  readonly model: LineageModel;

  get pipeline(): string {
    return this.options.pipeline;
  }

  protected render(): JSX.Element {
    return (
      <LineageActions.Provider value={this.options}>
        <UseSignal signal={this.model.changed}>
          {() => <LineageView model={this.model} options={this.options} />}
        </UseSignal>
      </LineageActions.Provider>
    );
  }
}

function LineageView(props: {
  model: LineageModel;
  options: ILineageOptions;
}): JSX.Element {
  const { model, options } = props;
  const graph = model.graph;
  return (
    <div className="jp-OrchLineage-content">
      <header className="jp-OrchLineage-header">
        <h2 className="jp-OrchLineage-title">
          {trans.__('Lineage of %1', model.pipeline)}
        </h2>
        <button
          type="button"
          className="jp-mod-styled jp-OrchLineage-refresh"
          title={trans.__('Read the lineage again')}
          disabled={model.loading}
          onClick={() => void model.refresh()}
        >
          <refreshIcon.react tag="span" className="jp-OrchLineage-icon" />
          {trans.__('Refresh')}
        </button>
        {!!graph?.nodes.length && <Legend />}
      </header>
      {model.error && (
        <p className="jp-OrchField-error" role="alert">
          {trans.__(
            'Could not read the lineage of %1: %2',
            model.pipeline,
            model.error
          )}
        </p>
      )}
      {!graph ? (
        !model.error && (
          <p className="jp-OrchLineage-message" role="status" aria-busy="true">
            {trans.__('Reading the lineage of %1…', model.pipeline)}
          </p>
        )
      ) : graph.nodes.length === 0 ? (
        <EmptyLineage pipeline={model.pipeline} />
      ) : (
        <ReactFlowProvider>
          <LineageFlow graph={graph} pipeline={options.pipeline} />
        </ReactFlowProvider>
      )}
    </div>
  );
}

/** How to read the graph: the node kinds and the edges. */
function Legend(): JSX.Element {
  return (
    <ul className="jp-OrchLineage-legend" aria-label={trans.__('Legend')}>
      <li>
        <tableRowsIcon.react tag="span" className="jp-OrchLineage-icon" />
        {trans.__('table')}
      </li>
      <li>
        <fileIcon.react tag="span" className="jp-OrchLineage-icon" />
        {trans.__('file')}
      </li>
      <li>
        <span className="jp-OrchLineage-swatch" />
        {trans.__('step of this pipeline')}
      </li>
      <li>
        <span className="jp-OrchLineage-swatch jp-mod-other" />
        {trans.__('step of another pipeline')}
      </li>
      <li>
        <span className="jp-OrchLineage-line jp-OrchLineage-reads" />
        {trans.__('reads')}
      </li>
      <li>
        <span className="jp-OrchLineage-line jp-OrchLineage-writes" />
        {trans.__('writes')}
      </li>
    </ul>
  );
}

function EmptyLineage(props: { pipeline: string }): JSX.Element {
  return (
    <div className="jp-OrchLineage-message jp-OrchLineage-empty">
      <h3>{trans.__('No lineage recorded for %1 yet', props.pipeline)}</h3>
      <p>
        {trans.__(
          'Lineage appears after the pipeline runs: each step records the datasets it read and wrote.'
        )}
      </p>
      <ul>
        <li>
          {trans.__(
            'Query steps record the tables their SQL reads and writes.'
          )}
        </li>
        <li>
          {trans.__(
            'Export steps record their source file and their target table or file.'
          )}
        </li>
        <li>
          <Sentence
            text={trans.__(
              'Notebooks and functions record what they declare with %1.',
              '%1'
            )}
            nodes={[
              // eslint-disable-next-line jupyter/no-untranslated-string -- Python code
              <code>jupyter_orch.lineage(inputs=[...], outputs=[...])</code>
            ]}
          />
        </li>
      </ul>
    </div>
  );
}

const FIT = { padding: 0.12, maxZoom: 1 };

/** React Flow's words, in the user's language. */
function ariaLabels(): Record<string, string> {
  const keys = trans.__(
    'Tab reaches each dataset and step; Enter opens the run that last wrote a dataset (or its file), or another pipeline’s lineage.'
  );
  return {
    'node.a11yDescription.default': keys,
    'node.a11yDescription.keyboardDisabled': keys,
    'controls.ariaLabel': trans.__('Zoom controls'),
    'controls.zoomIn.ariaLabel': trans.__('Zoom in'),
    'controls.zoomOut.ariaLabel': trans.__('Zoom out'),
    'controls.fitView.ariaLabel': trans.__('Fit the graph in view')
  };
}

function LineageFlow(props: {
  graph: ILineageGraph;
  pipeline: string;
}): JSX.Element {
  const { graph, pipeline } = props;
  const actions = React.useContext(LineageActions);
  const flow = useReactFlow();
  const elements = React.useMemo(
    () => lineageElements(graph, pipeline),
    [graph, pipeline]
  );
  const [nodes, setNodes] = React.useState<LineageNode[]>(elements.nodes);
  React.useEffect(() => {
    setNodes(elements.nodes);
    void flow.fitView(FIT);
  }, [elements]);
  const edges = React.useMemo(
    () =>
      elements.edges.map(edge => ({
        ...edge,
        markerEnd: {
          type: MarkerType.ArrowClosed,
          color:
            edge.data?.kind === 'writes'
              ? 'var(--jp-brand-color1)'
              : 'var(--jp-ui-font-color2)'
        }
      })),
    [elements]
  );
  const labels = React.useMemo(ariaLabels, []);
  const open = (node: Node) => {
    if (actions) {
      openNode(node as LineageNode, actions);
    }
  };
  const onKeyDown = (event: React.KeyboardEvent) => {
    const target = event.target as HTMLElement;
    // Enter on a node itself: a button inside a node acts on its own
    if (
      event.key !== 'Enter' ||
      !target.classList.contains('react-flow__node')
    ) {
      return;
    }
    const node = nodes.find(n => n.id === target.dataset.id);
    if (node) {
      event.preventDefault();
      open(node);
    }
  };
  return (
    <div
      className="jp-OrchLineage-flow"
      onKeyDown={onKeyDown}
      data-nodes={nodes.length}
    >
      <ReactFlow<LineageNode>
        aria-label={trans.__(
          'Lineage graph of %1: datasets and the steps that read and write them, left to right.',
          pipeline
        )}
        nodes={nodes}
        edges={edges}
        nodeTypes={LINEAGE_NODE_TYPES}
        onNodesChange={(changes: NodeChange<LineageNode>[]) =>
          setNodes(current => applyNodeChanges(changes, current))
        }
        onNodeDoubleClick={(_, node) => open(node)}
        ariaLabelConfig={labels}
        nodesConnectable={false}
        edgesFocusable={false}
        deleteKeyCode={null}
        panActivationKeyCode={null}
        fitView
        fitViewOptions={FIT}
        minZoom={0.2}
        maxZoom={1.5}
      >
        <Background />
        <Controls showInteractive={false} fitViewOptions={FIT} />
      </ReactFlow>
    </div>
  );
}
