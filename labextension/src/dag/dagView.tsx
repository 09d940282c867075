/**
 * Draws a laid-out DAG as SVG: boxes coloured by status, arrows along dagre's edge points.
 */
import * as React from 'react';

import { IDagInput, IPlacedNode, layoutDag } from './dag';
import { clip, statusKind, statusLabel } from '../common/format';
import { trans } from '../common/i18n';
import { KIND_LABELS, KIND_TAGS } from '../common/stepKinds';
import {
  IItemProgress,
  ITEM_PARTS,
  progressText,
  progressWords
} from '../run/forEach';

export interface IDagViewProps extends IDagInput {
  /** Called with a step name when its box is clicked. */
  onSelect?: (id: string) => void;
  selected?: string | null;
  /** Accessible name of the figure. */
  label: string;
}

/** A box's tooltip: "load (SQL query): Failed", "x: not a step of this pipeline";
 * a for-each step's with its items: "report: Failed, 2 of 3 items succeeded, 1 failed". */
function nodeTitle(node: IPlacedNode): string {
  if (node.missing) {
    return trans.__('%1: not a step of this pipeline', node.id);
  }
  const status = node.status
    ? [statusLabel(node.status), node.progress && progressWords(node.progress)]
        .filter(Boolean)
        .join(', ')
    : null;
  if (node.kind) {
    const kind = KIND_LABELS[node.kind];
    return status
      ? trans.__('%1 (%2): %3', node.id, kind, status)
      : trans.__('%1 (%2)', node.id, kind);
  }
  return status ? trans.__('%1: %2', node.id, status) : node.id;
}

export function DagView(props: IDagViewProps): JSX.Element {
  // One marker per drawing: a hidden tab's marker would otherwise hide this one's arrows
  const arrowId = `jp-OrchDag-arrow-${React.useId().replace(/:/g, '')}`;
  const layout = React.useMemo(
    () => layoutDag({ nodes: props.nodes, needs: props.needs }),
    [props.nodes, props.needs]
  );
  return (
    <svg
      className="jp-OrchDag"
      role="img"
      aria-label={props.label}
      width={layout.width}
      height={layout.height}
      viewBox={`0 0 ${layout.width} ${layout.height}`}
    >
      <defs>
        <marker
          id={arrowId}
          viewBox="0 0 10 10"
          refX="9"
          refY="5"
          markerWidth="7"
          markerHeight="7"
          orient="auto-start-reverse"
        >
          <path d="M 0 0 L 10 5 L 0 10 z" className="jp-OrchDag-arrowHead" />
        </marker>
      </defs>
      {layout.edges.map(edge => (
        <polyline
          key={`${edge.from}->${edge.to}`}
          className="jp-OrchDag-edge"
          points={edge.points.map(p => `${p.x},${p.y}`).join(' ')}
          markerEnd={`url(#${arrowId})`}
        />
      ))}
      {layout.nodes.map(node => {
        const kind = node.missing ? 'missing' : statusKind(node.status ?? null);
        const classes = [
          'jp-OrchDag-node',
          `jp-OrchDag-node-${kind}`,
          props.selected === node.id ? 'jp-mod-selected' : ''
        ].join(' ');
        const title = nodeTitle(node);
        return (
          <g
            key={node.id}
            className={classes}
            data-step={node.id}
            data-status={node.status ?? ''}
            data-kind={node.kind ?? ''}
            transform={`translate(${node.x},${node.y})`}
            onClick={() => props.onSelect?.(node.id)}
          >
            <title>{title}</title>
            <rect width={node.width} height={node.height} rx={6} ry={6} />
            <text x={10} y={18} className="jp-OrchDag-name">
              {clip(node.id, node.kind ? 13 : 20)}
            </text>
            {node.kind && (
              <text
                x={node.width - 8}
                y={16}
                textAnchor="end"
                className="jp-OrchDag-kind"
                aria-hidden="true"
              >
                {KIND_TAGS[node.kind]}
              </text>
            )}
            <text x={10} y={34} className="jp-OrchDag-detail">
              {clip(
                node.missing
                  ? trans.__('missing step')
                  : node.status
                    ? statusLabel(node.status)
                    : (node.detail ?? ''),
                node.progress ? 15 : 24
              )}
            </text>
            {node.progress && (
              <NodeProgress
                progress={node.progress}
                width={node.width}
                height={node.height}
              />
            )}
          </g>
        );
      })}
    </svg>
  );
}

/**
 * A for-each step's items in its box: "2/3" at the right of its status line, and a bar along
 * its foot, succeeded, failed and running items in their status colours.
 */
function NodeProgress(props: {
  progress: IItemProgress;
  width: number;
  height: number;
}): JSX.Element {
  const { progress, width } = props;
  const span = width - 12;
  const foot = props.height - 6;
  let x = 6;
  const parts = ITEM_PARTS.map(part => {
    const w = progress.total ? (span * progress[part]) / progress.total : 0;
    const bar = (
      <rect
        key={part}
        className={`jp-OrchDag-itemBar jp-OrchDag-itemBar-${part}`}
        x={x}
        y={foot}
        width={w}
        height={3}
      />
    );
    x += w;
    return bar;
  });
  return (
    <>
      <text
        x={width - 8}
        y={34}
        textAnchor="end"
        className="jp-OrchDag-items"
        data-progress={progressText(progress)}
      >
        {progressText(progress)}
      </text>
      <rect
        className="jp-OrchDag-itemBar"
        x={6}
        y={foot}
        width={span}
        height={3}
      />
      {parts}
    </>
  );
}
