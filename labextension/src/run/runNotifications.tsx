/**
 * The run detail's Notifications section: what the run sent to the channels its pipeline's
 * `notify:` names, with each one's delivery status. Hidden when there are none.
 */
import * as React from 'react';

import { Sentence, StatusBadge } from '../common/components';
import { trans } from '../common/i18n';
import { INotificationRow, notificationRows } from './notificationView';
import type { IRun } from '../api/tokens';

export function NotificationsSection(props: {
  run: Pick<IRun, 'notifications'>;
}): JSX.Element | null {
  const rows = notificationRows(props.run);
  if (!rows.length) {
    return null;
  }
  return (
    <section
      className="jp-OrchRunDetail-section"
      aria-label={trans.__('Notifications')}
    >
      <h3 className="jp-OrchRunDetail-sectionTitle">
        {trans.__('Notifications')}{' '}
        <span className="jp-OrchRunDetail-muted">({rows.length})</span>
      </h3>
      <div role="list">
        {rows.map(row => (
          <NotificationRow key={row.id} row={row} />
        ))}
      </div>
    </section>
  );
}

function NotificationRow(props: { row: INotificationRow }): JSX.Element {
  const { row } = props;
  return (
    <div
      role="listitem"
      className="jp-OrchRunDetail-notification"
      data-notification={row.id}
      data-channel={row.channel}
      data-status={row.status}
      title={row.time || undefined}
    >
      <div className="jp-OrchRunDetail-titleRow">
        <StatusBadge status={row.status} />
        <strong>{row.event}</strong>
        <span>
          <Sentence
            text={trans.__('to %1', '%1')}
            nodes={[<code>{row.channel}</code>]}
          />
        </span>
        {row.recipients && (
          <span className="jp-OrchRunDetail-muted">({row.recipients})</span>
        )}
        <span className="jp-OrchRunDetail-muted">{row.attempts}</span>
      </div>
      {row.error && <div className="jp-OrchField-error">{row.error}</div>}
    </div>
  );
}
