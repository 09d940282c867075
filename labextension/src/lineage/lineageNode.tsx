/**
 * The lineage graph's two kinds of node. A dataset: an icon saying table or file, its name (a
 * file under the root opens in JupyterLab from it) and "last written by <pipeline> #<run> ·
 * <when>", which opens that run. A step: "pipeline / step", another pipeline's marked as such
 * (it opens that pipeline's lineage). What they open comes from `LineageActions`.
 */
import { fileIcon, tableRowsIcon } from '@jupyterlab/ui-components';
import { Handle, NodeProps, Position } from '@xyflow/react';
import * as React from 'react';

import { Sentence } from '../common/components';
import { trans } from '../common/i18n';
import type { DatasetNode, ILineageActions, StepNode } from './lineageGraph';

/** What the nodes open (the widget's options). */
export const LineageActions = React.createContext<ILineageActions | null>(null);

/** The handles edges attach to: not for connecting (the graph is read-only). */
function Handles(): JSX.Element {
  return (
    <>
      <Handle
        type="target"
        position={Position.Left}
        isConnectable={false}
        className="jp-OrchLineage-handle"
      />
      <Handle
        type="source"
        position={Position.Right}
        isConnectable={false}
        className="jp-OrchLineage-handle"
      />
    </>
  );
}

function DatasetNodeView(props: NodeProps<DatasetNode>): JSX.Element {
  const { data } = props;
  const actions = React.useContext(LineageActions);
  const icon = data.kind === 'file' ? fileIcon : tableRowsIcon;
  const last = data.lastWritten;
  return (
    <div
      className="jp-OrchLineage-node jp-OrchLineage-dataset"
      data-dataset={data.name}
      data-kind={data.kind}
    >
      <Handles />
      <div className="jp-OrchLineage-head">
        <icon.react
          tag="span"
          className="jp-OrchLineage-icon"
          title={data.kind === 'file' ? trans.__('File') : trans.__('Table')}
        />
        <span className="jp-OrchLineage-kind">
          {data.kind === 'file' ? trans.__('file') : trans.__('table')}
        </span>
      </div>
      {data.path ? (
        <button
          type="button"
          className="jp-OrchLineage-name jp-OrchLineage-link nodrag"
          title={trans.__('Open %1', data.name)}
          onClick={() => actions?.openFile(data.path as string)}
        >
          {data.short}
        </button>
      ) : (
        <div className="jp-OrchLineage-name" title={data.name}>
          {data.short}
        </div>
      )}
      {last ? (
        <button
          type="button"
          className="jp-OrchLineage-written jp-OrchLineage-link nodrag"
          data-run={last.run_id}
          title={data.writtenTitle ?? undefined}
          onClick={() => actions?.openRun(last.run_id)}
        >
          {data.writtenText}
        </button>
      ) : (
        <div className="jp-OrchLineage-written jp-OrchLineage-muted">
          {trans.__('no recorded run writes it')}
        </div>
      )}
    </div>
  );
}

function StepNodeView(props: NodeProps<StepNode>): JSX.Element {
  const { data } = props;
  return (
    <div
      className={`jp-OrchLineage-node jp-OrchLineage-step${data.other ? ' jp-mod-other' : ''}`}
      data-pipeline={data.pipeline}
      data-step={data.step}
      title={
        data.other
          ? trans.__(
              '%1: a step of another pipeline. Enter or double click shows its lineage.',
              data.label
            )
          : data.label
      }
    >
      <Handles />
      <div className="jp-OrchLineage-head">
        <span className="jp-OrchLineage-kind">{trans.__('step')}</span>
        {data.other && (
          <span className="jp-OrchLineage-other">
            {trans.__('other pipeline')}
          </span>
        )}
      </div>
      <div className="jp-OrchLineage-name">
        <Sentence
          text={trans.__('%1 / %2', '%1', '%2')}
          nodes={[
            <span className="jp-OrchLineage-pipeline">{data.pipeline}</span>,
            <span className="jp-OrchLineage-stepName">{data.step}</span>
          ]}
        />
      </div>
    </div>
  );
}

/** React Flow's node types of the graph (a constant: a new object would redraw every node). */
export const LINEAGE_NODE_TYPES = {
  dataset: React.memo(DatasetNodeView),
  step: React.memo(StepNodeView)
};
