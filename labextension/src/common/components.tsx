/**
 * Small React pieces shared by the panel, the run detail and the builder.
 */
import * as React from 'react';

import { statusKind, statusLabel } from './format';
import { trans } from './i18n';

/** A status as a coloured badge with its word ("Failed"). */
export function StatusBadge(props: { status: string | null }): JSX.Element {
  if (!props.status) {
    return (
      <span className="jp-OrchBadge jp-OrchBadge-off">
        {trans.__('No runs')}
      </span>
    );
  }
  return (
    <span
      className={`jp-OrchBadge jp-OrchBadge-${statusKind(props.status)}`}
      data-status={props.status}
    >
      {statusLabel(props.status)}
    </span>
  );
}

/**
 * A translated sentence with React nodes in place of its `%1`, `%2`...: write
 * `trans.__('Scheduled as %1', '%1')` (the bundle puts the placeholder back) and pass the
 * node, so that translators see the whole sentence and the name can still be bold.
 */
export function Sentence(props: {
  text: string;
  nodes: React.ReactNode[];
}): JSX.Element {
  const parts = props.text.split(/%(\d+)/);
  return (
    <>
      {parts.map((part, i) =>
        i % 2 === 0 ? (
          part
        ) : (
          <React.Fragment key={i}>
            {props.nodes[Number(part) - 1]}
          </React.Fragment>
        )
      )}
    </>
  );
}

/**
 * A bar of counts by outcome (a backfill's runs, a for-each step's items): each of `parts` as
 * wide as its share of `total`, in its status colour (`jp-OrchBar-<part>`); the rest of the
 * track is what has not ended yet. Other props (a role, its ARIA values) go to the bar.
 */
export function SegmentBar<Part extends string>(
  props: {
    parts: readonly Part[];
    counts: Readonly<Record<Part, number>>;
    total: number;
    className: string;
  } & React.HTMLAttributes<HTMLDivElement>
): JSX.Element {
  const { parts, counts, total, className, ...attributes } = props;
  const whole = Math.max(total, 1);
  return (
    <div className={`jp-OrchBar ${className}`} {...attributes}>
      {parts.map(part =>
        counts[part] > 0 ? (
          <span
            key={part}
            className={`jp-OrchBar-${part}`}
            style={{ width: `${(100 * counts[part]) / whole}%` }}
          />
        ) : null
      )}
    </div>
  );
}
