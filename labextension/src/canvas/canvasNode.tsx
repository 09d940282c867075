/**
 * A step's node on the canvas: its kind tag, its name, and its notebook's file name with the
 * folder on a line of its own (another kind: what it runs). A handle on each side: drag from
 * the right one (what runs first) to another step to make that step need this one.
 */
import { Handle, NodeProps, Position } from '@xyflow/react';
import * as React from 'react';

import type { StepNode } from './canvasGraph';
import { trans } from '../common/i18n';
import { KIND_TAGS } from '../common/stepKinds';

function StepNodeView(props: NodeProps<StepNode>): JSX.Element {
  const { data } = props;
  return (
    <div className="jp-OrchCanvas-node">
      <Handle
        type="target"
        position={Position.Left}
        className="jp-OrchCanvas-handle"
        title={trans.__('What %1 needs connects here', data.name)}
      />
      <div className="jp-OrchCanvas-nodeHead">
        <span className="jp-OrchCanvas-kind" data-kind={data.kind}>
          {KIND_TAGS[data.kind]}
        </span>
        <span className="jp-OrchCanvas-name">{data.name}</span>
      </div>
      <div className="jp-OrchCanvas-file">{data.file}</div>
      {data.folder !== null && (
        <div className="jp-OrchCanvas-folder">{data.folder}</div>
      )}
      <Handle
        type="source"
        position={Position.Right}
        className="jp-OrchCanvas-handle"
        title={trans.__('Drag to the step that needs %1', data.name)}
      />
    </div>
  );
}

/** React Flow's node types of the canvas (a constant: a new object would redraw every node). */
export const NODE_TYPES = { step: React.memo(StepNodeView) };
