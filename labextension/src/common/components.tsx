/**
 * Small React pieces shared by the panel, the run detail and the builder.
 */
import * as React from 'react';

import { statusKind, statusLabel } from './format';

/** A status as a coloured badge with its word ("Failed"). */
export function StatusBadge(props: { status: string | null }): JSX.Element {
  if (!props.status) {
    return <span className="jp-OrchBadge jp-OrchBadge-off">No runs</span>;
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
