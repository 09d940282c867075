/**
 * One pipeline in the Orchestration sidebar: its name, status, schedule in words and next run,
 * and its actions (watch, remove, edit, trends, history, lineage, archive, pause or resume,
 * backfill, run).
 */
import {
  bellIcon,
  deleteIcon,
  editIcon,
  historyIcon,
  jumpBackIcon,
  LabIcon,
  runIcon
} from '@jupyterlab/ui-components';
import * as React from 'react';

import { StatusBadge } from '../common/components';
import { relativeTime, zonedTime } from '../common/format';
import { trans } from '../common/i18n';
import { archiveIcon } from '../common/icons';
import { lineageIcon } from '../lineage/lineageIcon';
import { trendsIcon } from '../trends/trendsIcon';
import type { IPanelActions } from './panel';
import { IPipelineSummary } from '../api/tokens';

function scheduleText(p: IPipelineSummary): string {
  if (p.schedule) {
    return p.schedule.description;
  }
  const events = Object.keys(p.on ?? {});
  return events.length
    ? trans.__('on %1', events.join(', ').replace(/_/g, ' '))
    : trans.__('No schedule');
}

/** The bell of a watched pipeline: in the brand colour (an unwatched one is dimmed). */
const WATCHED_BELL = {
  element: { $nest: { '& path[fill]': { fill: 'var(--jp-brand-color1)' } } }
};
const UNWATCHED_BELL = { container: { opacity: 0.55 } };

/** The bell that watches a pipeline's runs: a notification when one finishes. */
function WatchButton(props: {
  name: string;
  watched: boolean;
  onWatch: (watched: boolean) => void;
}): JSX.Element {
  const { name, watched } = props;
  // A toggle keeps its name; aria-pressed says whether it is on (the tooltip says what a click does)
  const label = trans.__('Notify me when runs of %1 finish', name);
  return (
    <button
      className="jp-OrchPanel-iconButton jp-OrchPipeline-watch"
      aria-label={label}
      aria-pressed={watched}
      title={
        watched
          ? trans.__('Stop notifying me when runs of %1 finish', name)
          : label
      }
      onClick={() => props.onWatch(!watched)}
    >
      <bellIcon.react
        tag="span"
        stylesheet={watched ? WATCHED_BELL : UNWATCHED_BELL}
      />
    </button>
  );
}

export function PipelineRow(props: {
  pipeline: IPipelineSummary;
  tabIndex: number;
  busy: boolean;
  watched: boolean;
  onWatch: (watched: boolean) => void;
  actions: IPanelActions;
}): JSX.Element {
  const { pipeline: p, busy, actions } = props;
  // An archived pipeline's schedule never fires: no "Next ..." and no "Paused".
  const next = p.archived
    ? ''
    : p.paused
      ? trans.__('Paused')
      : p.next_run_at
        ? trans.__('Next %1', relativeTime(p.next_run_at))
        : '';
  return (
    <li
      className={`jp-OrchPipeline${p.archived ? ' jp-mod-archived' : ''}`}
      data-pipeline={p.name}
      data-archived={p.archived}
      tabIndex={props.tabIndex}
      title={p.description || p.name}
    >
      <div className="jp-OrchPipeline-main">
        <button
          className="jp-OrchPipeline-name"
          title={
            p.path
              ? trans.__('Edit %1 (%2)', p.name, p.path)
              : trans.__('Edit %1', p.name)
          }
          onClick={() => actions.editPipeline(p.name)}
        >
          {p.name}
        </button>
        {p.archived && (
          <span
            className="jp-OrchBadge jp-OrchBadge-off"
            title={trans.__(
              'Archived: it never fires and cannot be run until it is unarchived'
            )}
          >
            {trans.__('archived')}
          </span>
        )}
        <StatusBadge status={p.last_status} />
      </div>
      <div className="jp-OrchPipeline-schedule">{scheduleText(p)}</div>
      <div className="jp-OrchPipeline-footer">
        <span
          className={
            p.paused ? 'jp-OrchPipeline-paused' : 'jp-OrchPipeline-next'
          }
          title={p.next_run_at ? zonedTime(p.next_run_at) : undefined}
        >
          {next}
        </span>
        <span className="jp-OrchPipeline-actions">
          {!p.archived && (
            <WatchButton
              name={p.name}
              watched={props.watched}
              onWatch={props.onWatch}
            />
          )}
          <IconButton
            icon={deleteIcon}
            label={trans.__('Remove %1', p.name)}
            title={trans.__('Remove from Orchestration (the file stays)')}
            disabled={busy}
            onClick={() => actions.removePipeline(p.name)}
          />
          <IconButton
            icon={editIcon}
            label={trans.__('Edit %1', p.name)}
            title={trans.__('Edit')}
            onClick={() => actions.editPipeline(p.name)}
          />
          {pageButtons(p, actions).map(({ action, ...button }) =>
            action ? (
              <IconButton
                key={button.label}
                {...button}
                onClick={() => action(p.name)}
              />
            ) : null
          )}
          {p.archived ? (
            <button
              className="jp-OrchPanel-textButton"
              aria-label={trans.__('Unarchive %1', p.name)}
              title={trans.__(
                'Unarchive: its schedule and triggers fire again, and it can be run'
              )}
              disabled={busy}
              onClick={() => actions.setArchived(p.name, false)}
            >
              {trans.__('Unarchive')}
            </button>
          ) : (
            <ActiveActions pipeline={p} busy={busy} actions={actions} />
          )}
        </span>
      </div>
    </li>
  );
}

/** A button of the row shown only when the plugin giving its action is on. */
interface IPageButton {
  action: ((name: string) => void) | undefined;
  icon: LabIcon;
  className?: string;
  label: string;
  title: string;
}

/** Trends, history, lineage, and backfill for a scheduled pipeline that is not archived. */
function pageButtons(
  p: IPipelineSummary,
  actions: IPanelActions
): IPageButton[] {
  const buttons: IPageButton[] = [
    {
      action: actions.showTrends,
      icon: trendsIcon,
      label: trans.__('Trends of %1', p.name),
      title: trans.__('Trends: durations, failures and memory of its last runs')
    },
    {
      action: actions.showHistory,
      icon: historyIcon,
      className: 'jp-OrchPipeline-history',
      label: trans.__('History of %1', p.name),
      title: trans.__(
        'History: its versions, what changed, compare and roll back'
      )
    },
    {
      action: actions.showLineage,
      icon: lineageIcon,
      className: 'jp-OrchPipeline-lineage',
      label: trans.__('Lineage of %1', p.name),
      title: trans.__(
        'Lineage: the datasets its steps read and write, and the pipelines that share them'
      )
    }
  ];
  if (p.schedule && !p.archived) {
    buttons.push({
      action: actions.backfillPipeline,
      icon: jumpBackIcon,
      className: 'jp-OrchPipeline-backfill',
      label: trans.__('Backfill %1', p.name),
      title: trans.__(
        'Backfill…: one run per slot of its schedule over past days'
      )
    });
  }
  return buttons;
}

/** Archive, pause or resume, and run: what only a pipeline that is not archived offers. */
function ActiveActions(props: {
  pipeline: IPipelineSummary;
  busy: boolean;
  actions: IPanelActions;
}): JSX.Element {
  const { pipeline: p, busy, actions } = props;
  return (
    <>
      <IconButton
        icon={archiveIcon}
        label={trans.__('Archive %1', p.name)}
        title={trans.__(
          'Archive: it stops firing and leaves this list; its runs stay until retention removes them'
        )}
        disabled={busy}
        onClick={() => actions.setArchived(p.name, true)}
      />
      {(p.schedule || Object.keys(p.on ?? {}).length > 0) && (
        <button
          className="jp-OrchPanel-textButton"
          aria-label={
            p.paused
              ? trans.__('Resume %1', p.name)
              : trans.__('Pause %1', p.name)
          }
          aria-pressed={p.paused}
          title={
            p.paused
              ? trans.__(
                  'Resume the schedule and triggers (missed runs are not made up)'
                )
              : trans.__('Pause the schedule and triggers')
          }
          disabled={busy}
          onClick={() => actions.setPaused(p.name, !p.paused)}
        >
          {p.paused ? trans.__('Resume') : trans.__('Pause')}
        </button>
      )}
      <IconButton
        icon={runIcon}
        className="jp-OrchPanel-run"
        label={trans.__('Run %1', p.name)}
        title={trans.__('Run now…')}
        disabled={busy}
        onClick={() => actions.runPipeline(p.name)}
      />
    </>
  );
}

/** An action shown as an icon: its name for screen readers, what it does in its tooltip. */
export function IconButton(props: {
  icon: LabIcon;
  label: string;
  title: string;
  onClick: () => void;
  disabled?: boolean;
  className?: string;
}): JSX.Element {
  return (
    <button
      className={`jp-OrchPanel-iconButton ${props.className ?? ''}`.trim()}
      aria-label={props.label}
      title={props.title}
      disabled={props.disabled}
      onClick={props.onClick}
    >
      <props.icon.react tag="span" />
    </button>
  );
}
