/**
 * The backfills above the runs list: each one's pipeline, range, a bar of its runs by outcome
 * and "3 of 7 done · 1 failed · 2 running"; Cancel while it runs, Dismiss once it has ended.
 */
import { closeIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import type { IBackfill } from '../api/backfills';
import { SegmentBar, StatusBadge } from '../common/components';
import { trans } from '../common/i18n';
import { IconButton } from '../panel/pipelineRow';
import { endedRuns, progressText, rangeText } from './backfillText';
import type { RunningBackfills } from './runningBackfills';

export function BackfillProgress(props: {
  backfills: RunningBackfills;
  onCancel: (backfill: IBackfill) => void;
}): JSX.Element | null {
  const { backfills, onCancel } = props;
  if (backfills.backfills.length === 0) {
    return null;
  }
  return (
    <ul className="jp-OrchBackfills" aria-label={trans.__('Backfills')}>
      {backfills.backfills.map(backfill => (
        <BackfillItem
          key={backfill.id}
          backfill={backfill}
          onCancel={() => onCancel(backfill)}
          onDismiss={() => backfills.dismiss(backfill.id)}
        />
      ))}
    </ul>
  );
}

/** The bar's parts, in order: how many runs ended each way, and how many run now. */
const SEGMENTS = ['succeeded', 'failed', 'cancelled', 'running'] as const;

function BackfillItem(props: {
  backfill: IBackfill;
  onCancel: () => void;
  onDismiss: () => void;
}): JSX.Element {
  const { backfill: b } = props;
  const range = rangeText(b);
  const counts = progressText(b);
  return (
    <li
      className="jp-OrchBackfill"
      data-backfill-id={b.id}
      data-status={b.status}
      aria-label={trans.__('Backfill of %1, %2', b.pipeline, range)}
    >
      <div className="jp-OrchBackfill-main">
        <StatusBadge status={b.status} />
        <span className="jp-OrchBackfill-pipeline" title={b.pipeline}>
          {trans.__('Backfill of %1', b.pipeline)}
        </span>
        {b.status === 'running' ? (
          <button
            className="jp-OrchPanel-textButton"
            aria-label={trans.__('Cancel the backfill of %1', b.pipeline)}
            title={trans.__(
              'Cancel: its queued runs are dropped and its running runs stopped'
            )}
            onClick={props.onCancel}
          >
            {trans.__('Cancel')}
          </button>
        ) : (
          <IconButton
            icon={closeIcon}
            label={trans.__('Dismiss the backfill of %1', b.pipeline)}
            title={trans.__('Dismiss')}
            onClick={props.onDismiss}
          />
        )}
      </div>
      <div
        className="jp-OrchBackfill-range"
        title={trans.__('Days in %1, both included', b.timezone)}
      >
        {range}
      </div>
      <SegmentBar
        className="jp-OrchBackfill-bar"
        parts={SEGMENTS}
        counts={b.runs}
        total={b.runs.total}
        role="progressbar"
        aria-label={trans.__('Runs of the backfill done')}
        aria-valuemin={0}
        aria-valuemax={b.runs.total}
        aria-valuenow={endedRuns(b)}
        aria-valuetext={counts}
      />
      <div className="jp-OrchBackfill-counts">{counts}</div>
    </li>
  );
}
