/**
 * The Orchestration sidebar: Pipelines (schedule in words, next run, last status, pause and
 * resume, Run, New pipeline) and Runs (newest first, filters, more on demand). It renders the
 * model and calls back into the plugin for what opens in the main area. A pipeline's row is in
 * pipelineRow.tsx, the Runs section in runList.tsx.
 */
import {
  addIcon,
  listIcon,
  ReactWidget,
  refreshIcon,
  UseSignal
} from '@jupyterlab/ui-components';
import * as React from 'react';

import type { IBackfill } from '../api/backfills';
import { BackfillProgress } from '../backfill/backfillProgress';
import { trans } from '../common/i18n';
import { OrchModel } from './model';
import { IconButton, PipelineRow } from './pipelineRow';
import { searchPipelines } from './runFilters';
import { useRovingFocus } from './rovingFocus';
import { RunFilters, RunList, SearchBox } from './runList';

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
  /** Opens the pipeline's version history (the button shows only when given). */
  showHistory?: (name: string) => void;
  /** Opens the pipeline's lineage graph (the button shows only when given). */
  showLineage?: (name: string) => void;
  /** Opens the activity log: who did what (the button shows only when given). */
  showActivity?: () => void;
  /** Opens the backfill dialog of a scheduled pipeline (the button shows only when given). */
  backfillPipeline?: (name: string) => void;
  /** Cancels a running backfill, once the user confirms. */
  cancelBackfill: (backfill: IBackfill) => void;
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
          {actions.showActivity && (
            <IconButton
              icon={listIcon}
              label={trans.__('Activity log')}
              title={trans.__('Who did what, when and from where')}
              onClick={actions.showActivity}
            />
          )}
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
        <BackfillProgress
          backfills={model.backfills}
          onCancel={actions.cancelBackfill}
        />
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
