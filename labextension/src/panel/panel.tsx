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
  ReactWidget,
  refreshIcon,
  runIcon,
  UseSignal
} from '@jupyterlab/ui-components';
import * as React from 'react';

import { StatusBadge } from '../common/components';
import { localTime, relativeTime } from '../common/format';
import { OrchModel } from './model';
import { RunFilters, RunList } from './runList';
import { IPipelineSummary } from '../api/tokens';

export interface IPanelActions {
  newPipeline: () => void;
  editPipeline: (name: string) => void;
  runPipeline: (name: string) => void;
  removePipeline: (name: string) => void;
  openRun: (id: string) => void;
  setPaused: (name: string, paused: boolean) => void;
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
      <section
        className="jp-OrchPanel-section"
        aria-labelledby="jp-orch-pipelines"
      >
        <header className="jp-OrchPanel-header">
          <h2 id="jp-orch-pipelines">Pipelines</h2>
          <button
            className="jp-OrchPanel-iconButton"
            title="Refresh"
            aria-label="Refresh"
            onClick={() => void model.refresh()}
          >
            <refreshIcon.react tag="span" />
          </button>
          <button
            className="jp-mod-styled jp-mod-accept jp-OrchPanel-new"
            onClick={actions.newPipeline}
          >
            <addIcon.react tag="span" />
            New pipeline
          </button>
        </header>
        <ServerProblem model={model} />
        <PipelineList model={model} actions={actions} />
      </section>
      <section className="jp-OrchPanel-section" aria-labelledby="jp-orch-runs">
        <header className="jp-OrchPanel-header">
          <h2 id="jp-orch-runs">Runs</h2>
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
        <strong>The jupyter-orch server extension is not running.</strong>
        <p>
          Pipelines and runs live on the Jupyter server. Install jupyter-orch in
          the environment that runs <code>jupyter lab</code> (
          <code>pip install jupyter-orch</code>
          ), check <code>jupyter server extension list</code>, then restart
          JupyterLab.
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
        <strong>Orchestration is unavailable for now.</strong>
        <p>{model.unavailable}</p>
        <p>This panel keeps trying and comes back by itself.</p>
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
  return null;
}

function PipelineList(props: {
  model: OrchModel;
  actions: IPanelActions;
}): JSX.Element {
  const { model, actions } = props;
  if (model.serverExtensionMissing) {
    return <></>;
  }
  if (model.pipelines.length === 0) {
    if (model.unavailable) {
      return <></>; // not "no pipelines": the server cannot say yet
    }
    return (
      <p className="jp-OrchPanel-empty">
        {model.loading && !model.error
          ? 'Loading…'
          : 'No pipelines yet. Create one with New pipeline, or open a notebook and use “Schedule this notebook…”.'}
      </p>
    );
  }
  return (
    <ul className="jp-OrchPanel-list">
      {model.pipelines.map(p => (
        <PipelineRow
          key={p.name}
          pipeline={p}
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
    ? `on ${events.join(', ').replace(/_/g, ' ')}`
    : 'No schedule';
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
  const label = `Notify me when runs of ${name} finish`;
  return (
    <button
      className="jp-OrchPanel-iconButton jp-OrchPipeline-watch"
      aria-label={label}
      aria-pressed={watched}
      title={watched ? `Stop notifying me when runs of ${name} finish` : label}
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
  busy: boolean;
  watched: boolean;
  onWatch: (watched: boolean) => void;
  actions: IPanelActions;
}): JSX.Element {
  const { pipeline: p, busy, actions } = props;
  const next = p.paused
    ? 'Paused'
    : p.next_run_at
      ? `Next ${relativeTime(p.next_run_at)}`
      : '';
  return (
    <li
      className="jp-OrchPipeline"
      data-pipeline={p.name}
      title={p.description || p.name}
    >
      <div className="jp-OrchPipeline-main">
        <button
          className="jp-OrchPipeline-name"
          title={`Edit ${p.name}${p.path ? ` (${p.path})` : ''}`}
          onClick={() => actions.editPipeline(p.name)}
        >
          {p.name}
        </button>
        <StatusBadge status={p.last_status} />
      </div>
      <div className="jp-OrchPipeline-schedule">{scheduleText(p)}</div>
      <div className="jp-OrchPipeline-footer">
        <span
          className={
            p.paused ? 'jp-OrchPipeline-paused' : 'jp-OrchPipeline-next'
          }
          title={p.next_run_at ? localTime(p.next_run_at) : undefined}
        >
          {next}
        </span>
        <span className="jp-OrchPipeline-actions">
          <WatchButton
            name={p.name}
            watched={props.watched}
            onWatch={props.onWatch}
          />
          <button
            className="jp-OrchPanel-iconButton"
            aria-label={`Remove ${p.name}`}
            title="Remove from Orchestration (the file stays)"
            disabled={busy}
            onClick={() => actions.removePipeline(p.name)}
          >
            <deleteIcon.react tag="span" />
          </button>
          <button
            className="jp-OrchPanel-iconButton"
            aria-label={`Edit ${p.name}`}
            title="Edit"
            onClick={() => actions.editPipeline(p.name)}
          >
            <editIcon.react tag="span" />
          </button>
          {(p.schedule || Object.keys(p.on ?? {}).length > 0) && (
            <button
              className="jp-OrchPanel-textButton"
              aria-label={`${p.paused ? 'Resume' : 'Pause'} ${p.name}`}
              aria-pressed={p.paused}
              title={
                p.paused
                  ? 'Resume the schedule and triggers (missed runs are not made up)'
                  : 'Pause the schedule and triggers'
              }
              disabled={busy}
              onClick={() => actions.setPaused(p.name, !p.paused)}
            >
              {p.paused ? 'Resume' : 'Pause'}
            </button>
          )}
          <button
            className="jp-OrchPanel-iconButton jp-OrchPanel-run"
            aria-label={`Run ${p.name}`}
            title="Run now…"
            disabled={busy}
            onClick={() => actions.runPipeline(p.name)}
          >
            <runIcon.react tag="span" />
          </button>
        </span>
      </div>
    </li>
  );
}
