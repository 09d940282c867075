/**
 * Draws a laid-out DAG as SVG: boxes coloured by status, arrows along dagre's edge points.
 */
import * as React from 'react';

import { IDagInput, IPlacedNode, layoutDag } from './dag';
import { statusKind, statusLabel } from '../common/format';
import { trans } from '../common/i18n';
import { KIND_LABELS, KIND_TAGS } from '../common/stepKinds';

export interface IDagViewProps extends IDagInput {
  /** Called with a step name when its box is clicked. */
  onSelect?: (id: string) => void;
  selected?: string | null;
  /** Accessible name of the figure. */
  label: string;
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A box's tooltip: "load (SQL query): Failed", "x: not a step of this pipeline". */
function nodeTitle(node: IPlacedNode): string {
  if (node.missing) {
    return trans.__('%1: not a step of this pipeline', node.id);
  }
  const status = node.status ? statusLabel(node.status) : null;
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
              {truncate(node.id, node.kind ? 13 : 20)}
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
              {truncate(
                node.missing
                  ? trans.__('missing step')
                  : node.status
                    ? statusLabel(node.status)
                    : (node.detail ?? ''),
                24
              )}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
