/**
 * The Orchestration sidebar: Pipelines (schedule in words, next run, last status, pause and
 * resume, Run, New pipeline) and Runs (newest first, filters, more on demand). It renders the
 * model and calls back into the plugin for what opens in the main area. The Runs section is
 * in runList.tsx.
 */
import {
  addIcon,
  bellIcon,
  deleteIcon,
  editIcon,
  LabIcon,
  ReactWidget,
  refreshIcon,
  runIcon,
  UseSignal
} from '@jupyterlab/ui-components';
import * as React from 'react';

import { StatusBadge } from '../common/components';
import { relativeTime, zonedTime } from '../common/format';
import { trans } from '../common/i18n';
import { archiveIcon } from '../common/icons';
import { trendsIcon } from '../trends/trendsIcon';
import { OrchModel, searchPipelines } from './model';
import { useRovingFocus } from './rovingFocus';
import { RunFilters, RunList, SearchBox } from './runList';
import { IPipelineSummary } from '../api/tokens';

export interface IPanelActions {
  newPipeline: () => void;
  editPipeline: (name: string) => void;
  runPipeline: (name: string) => void;
  removePipeline: (name: string) => void;
  openRun: (id: string) => void;
  setPaused: (name: string, paused: boolean) => void;
  /** Archiving asks the user first; unarchiving does not. */
  setArchived: (name: string, archived: boolean) => void;
  /** Opens the pipeline's trends page (the button shows only when given). */
  showTrends?: (name: string) => void;
}

export class OrchPanel extends ReactWidget {
  constructor(
    readonly model: OrchModel,
    private readonly _actions: IPanelActions
  ) {
    super();
    this.id = 'jp-orch-panel';
    this.addClass('jp-OrchPanel');
  }

  protected render(): JSX.Element {
    return (
      <UseSignal signal={this.model.stateChanged}>
        {() => <PanelView model={this.model} actions={this._actions} />}
      </UseSignal>
    );
  }
}

function PanelView(props: {
  model: OrchModel;
  actions: IPanelActions;
}): JSX.Element {
  const { model, actions } = props;
  return (
    <div className="jp-OrchPanel-body">
      <SearchBox model={model} />
      <section
        className="jp-OrchPanel-section"
        aria-labelledby="jp-orch-pipelines"
      >
        <header className="jp-OrchPanel-header">
          <h2 id="jp-orch-pipelines">{trans.__('Pipelines')}</h2>
          <IconButton
            icon={refreshIcon}
            label={trans.__('Refresh')}
            title={trans.__('Refresh')}
            onClick={() => void model.refresh()}
          />
          <button
            className="jp-mod-styled jp-mod-accept jp-OrchPanel-new"
            onClick={actions.newPipeline}
          >
            <addIcon.react tag="span" />
            {trans.__('New pipeline')}
          </button>
        </header>
        <ServerProblem model={model} />
        <label className="jp-OrchPanel-toggle">
          <input
            type="checkbox"
            checked={model.showArchived}
            onChange={e => void model.setShowArchived(e.target.checked)}
          />
          {trans.__('Show archived')}
        </label>
        <PipelineList model={model} actions={actions} />
      </section>
      <section className="jp-OrchPanel-section" aria-labelledby="jp-orch-runs">
        <header className="jp-OrchPanel-header">
          <h2 id="jp-orch-runs">{trans.__('Runs')}</h2>
        </header>
        <RunFilters model={model} />
        <RunList model={model} actions={actions} />
      </section>
    </div>
  );
}

function ServerProblem(props: { model: OrchModel }): JSX.Element | null {
  const { model } = props;
  if (model.serverExtensionMissing) {
    return (
      <div className="jp-OrchPanel-problem" role="alert">
        <strong>
          {trans.__('The jupyter-orch server extension is not running.')}
        </strong>
        <p>
          {trans.__(
            'Pipelines and runs live on the Jupyter server. Install jupyter-orch in the environment that runs %1 (%2), check %3, then restart JupyterLab.',
            '“jupyter lab”',
            '“pip install jupyter-orch”',
            '“jupyter server extension list”'
          )}
        </p>
      </div>
    );
  }
  if (model.unavailable) {
    return (
      <div
        className="jp-OrchPanel-problem"
        role="alert"
        data-problem="unavailable"
      >
        <strong>{trans.__('Orchestration is unavailable for now.')}</strong>
        <p>{model.unavailable}</p>
        <p>{trans.__('This panel keeps trying and comes back by itself.')}</p>
      </div>
    );
  }
  if (model.error) {
    return (
      <div className="jp-OrchPanel-problem" role="alert">
        {model.error}
      </div>
    );
  }
  if (model.healthProblem) {
    return (
      <div
        className="jp-OrchPanel-problem"
        role="alert"
        data-problem="no-scheduler"
      >
        {model.healthProblem}
      </div>
    );
  }
  return null;
}

function PipelineList(props: {
  model: OrchModel;
  actions: IPanelActions;
}): JSX.Element {
  const { model, actions } = props;
  const pipelines = searchPipelines(model.pipelines, model.filters.search);
  const rows = useRovingFocus(
    pipelines.map(p => p.name),
    index => actions.editPipeline(pipelines[index].name)
  );
  if (model.serverExtensionMissing) {
    return <></>;
  }
  if (pipelines.length === 0 && model.pipelines.length > 0) {
    return (
      <p className="jp-OrchPanel-empty">
        {trans.__('No pipelines match “%1”.', model.filters.search.trim())}
      </p>
    );
  }
  if (pipelines.length === 0) {
    if (model.unavailable) {
      return <></>; // not "no pipelines": the server cannot say yet
    }
    return (
      <p className="jp-OrchPanel-empty">
        {model.loading && !model.error
          ? trans.__('Loading…')
          : model.showArchived
            ? trans.__(
                'No pipelines yet. Create one with New pipeline, or open a notebook and use “Schedule this notebook…”.'
              )
            : trans.__(
                'No pipelines to show (archived ones are hidden). Create one with New pipeline, or open a notebook and use “Schedule this notebook…”.'
              )}
      </p>
    );
  }
  return (
    <ul className="jp-OrchPanel-list" {...rows.listProps}>
      {pipelines.map((p, index) => (
        <PipelineRow
          key={p.name}
          pipeline={p}
          tabIndex={rows.tabIndex(index)}
          busy={model.isBusy(p.name)}
          watched={model.isPipelineWatched(p.name)}
          onWatch={on => model.setPipelineWatched(p.name, on)}
          actions={actions}
        />
      ))}
    </ul>
  );
}

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

function PipelineRow(props: {
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
          {actions.showTrends && (
            <IconButton
              icon={trendsIcon}
              label={trans.__('Trends of %1', p.name)}
              title={trans.__(
                'Trends: durations, failures and memory of its last runs'
              )}
              onClick={() => actions.showTrends?.(p.name)}
            />
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
function IconButton(props: {
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
