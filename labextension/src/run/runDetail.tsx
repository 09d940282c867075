/**
 * A run's detail in the main area: what ran, how it went, why it failed and what to do next.
 * The widget owns a `RunDetailModel` (fetches until the run is finished) and renders it.
 */
import { ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';

import { OrchClient } from '../api/api';
import { DagView } from '../dag/dagView';
import { confirmCancelRun, confirmed } from '../dialogs/confirm';
import { runLabel, shortId, statusLabel } from '../common/format';
import { useNow } from '../common/hooks';
import { trans } from '../common/i18n';
import { showError } from '../common/notify';
import { ICompareWith, RECENT_RUNS } from '../compare/compareWith';
import { StepArtifacts, IArtifactViews } from './artifacts';
import { ArtifactPreviews } from './artifactsModel';
import { RunDetailModel } from './runDetailModel';
import { IRunHandlers, IRunPartProps, RunHeader } from './runHeader';
import { NotificationsSection } from './runNotifications';
import { RunLog } from './runLog';
import { groupSteps, itemParentName } from './forEach';
import { ForEachItems } from './forEachView';
import { StepCard } from './runSteps';
import { dagInput, stepCardId } from './runView';
import type { IRun, IStepRun, StepWake } from '../api/tokens';

export interface IRunDetailOptions {
  client: OrchClient;
  runId: string;
  /** Opens an output notebook (relative to the root dir) read-only, at its error. */
  openNotebook: (path: string) => void;
  /** Opens a copy of an output notebook to edit. */
  copyNotebook: (path: string) => void;
  /** A rerun was created here: the plugin watches it and opens its detail. */
  onRunStarted: (run: IRun) => void;
  /** Opens the pipeline in the builder. */
  editPipeline: (name: string) => void;
  /** Opens another run's detail (the run this one reruns, the run a step was reused from). */
  openRun?: (id: string) => void;
  /** The run was changed here (pinned or unpinned): lists showing it can show it anew. */
  onRunChanged?: (run: IRun) => void;
  /** Opens a file a step wrote (relative to the root dir) in JupyterLab. */
  openFile?: (path: string) => void;
  /** Opens the comparison of run `a` (the older) with run `b`: "Compare with…" needs it. */
  compareRuns?: (a: string, b: string) => void;
}

export class RunDetailWidget extends ReactWidget {
  constructor(readonly options: IRunDetailOptions) {
    super();
    this.id = `jp-orch-run-${options.runId}`;
    this.title.label = trans.__('Run %1', shortId(options.runId));
    this.title.caption = trans.__('Run %1', options.runId);
    this.title.closable = true;
    this.addClass('jp-OrchRunDetail');
    this.model = new RunDetailModel(options.client, options.runId);
    this._files = {
      previews: new ArtifactPreviews(options.client, options.runId),
      openFile: options.openFile
    };
    this.model.changed.connect(this._updateTitle, this);
    this._handlers = {
      cancel: () => void this._cancel(),
      rerun: (fromFailed, exact) => void this._rerun(fromFailed, exact),
      setPinned: pinned => void this._setPinned(pinned),
      editPipeline: name => options.editPipeline(name),
      openNotebook: path => options.openNotebook(path),
      copyNotebook: path => options.copyNotebook(path),
      openRun: options.openRun,
      compare: compareWith(options),
      retry: () => void this.model.refresh(),
      wakeStep: (step, action) => void this._wakeStep(step, action)
    };
    this.model.start();
  }

  /** The run's state, fetched every LIVE_INTERVAL until it is finished. */
  readonly model: RunDetailModel;

  get runId(): string {
    return this.options.runId;
  }

  override dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.model.dispose();
    this._files.previews.dispose();
    super.dispose();
  }

  protected render(): JSX.Element {
    return (
      <UseSignal signal={this.model.changed}>
        {() => (
          <RunView
            model={this.model}
            handlers={this._handlers}
            files={this._files}
          />
        )}
      </UseSignal>
    );
  }

  private _updateTitle(): void {
    const run = this.model.run;
    if (run) {
      this.title.label = `${run.pipeline} ${runLabel(run)}`;
      this.title.caption = trans.__(
        'Run %1 of %2: %3',
        run.id,
        run.pipeline,
        statusLabel(run.status)
      );
    }
  }

  private async _cancel(): Promise<void> {
    const run = this.model.run;
    if (run && !(await confirmCancelRun(run))) {
      return;
    }
    try {
      await this.model.cancel();
    } catch (error) {
      showError(error, trans.__('Could not cancel the run'));
    }
  }

  private async _rerun(fromFailed: boolean, exact: boolean): Promise<void> {
    try {
      const run = await this.model.rerun(fromFailed, exact);
      this.options.onRunStarted(run);
    } catch (error) {
      showError(error, rerunFailure(fromFailed, exact));
    }
  }

  private async _setPinned(pinned: boolean): Promise<void> {
    try {
      const run = await this.model.setPinned(pinned);
      this.options.onRunChanged?.(run);
    } catch (error) {
      showError(
        error,
        pinned
          ? trans.__('Could not pin the run')
          : trans.__('Could not unpin the run')
      );
    }
  }

  /** Retry now, or Fail now once the user confirms (the step's remaining attempts go). */
  private async _wakeStep(step: string, action: StepWake): Promise<void> {
    if (
      action === 'fail-now' &&
      !(await confirmed(
        trans.__('Fail %1 now?', step),
        trans.__(
          '%1 makes no more attempts: it ends failed with its last error, and the steps that need it do not run.',
          step
        ),
        trans.__('Fail now')
      ))
    ) {
      return;
    }
    try {
      await this.model.wakeStep(step, action);
    } catch (error) {
      showError(
        error,
        action === 'fail-now'
          ? trans.__('Could not fail %1 now', step)
          : trans.__('Could not retry %1 now', step)
      );
    }
  }

  private _handlers: IRunHandlers;
  private _files: IArtifactViews;
}

/** What "Compare with…" does, when the plugin can open comparisons. */
function compareWith(options: IRunDetailOptions): ICompareWith | undefined {
  const { client, compareRuns } = options;
  if (!compareRuns) {
    return undefined;
  }
  return {
    recentRuns: async pipeline =>
      (await client.listRuns({ pipeline, limit: RECENT_RUNS })).runs,
    compare: compareRuns
  };
}

/** "Could not replay the run exactly": what failed, before the server's reason. */
function rerunFailure(fromFailed: boolean, exact: boolean): string {
  if (exact) {
    return fromFailed
      ? trans.__('Could not replay exactly from the failed step')
      : trans.__('Could not replay the run exactly');
  }
  return fromFailed
    ? trans.__('Could not rerun from the failed step')
    : trans.__('Could not rerun the run');
}

function RunView(props: {
  model: RunDetailModel;
  handlers: IRunHandlers;
  files: IArtifactViews;
}): JSX.Element {
  const { model, handlers } = props;
  const now = useNow(model.watching);
  const run = model.run;
  if (model.notFound) {
    return (
      <div className="jp-OrchRunDetail-message" role="status">
        <h2>{trans.__('Run %1 not found', model.runId)}</h2>
        <p>
          {trans.__(
            'It may have been deleted, or the link points to another server.'
          )}
        </p>
      </div>
    );
  }
  if (!run) {
    return model.loadError ? (
      <div className="jp-OrchRunDetail-message" role="alert">
        <h2>{trans.__('Could not load run %1', model.runId)}</h2>
        <p className="jp-OrchField-error">{model.loadError}</p>
        <button
          type="button"
          className="jp-mod-styled jp-mod-accept"
          onClick={handlers.retry}
        >
          {trans.__('Try again')}
        </button>
      </div>
    ) : (
      <div className="jp-OrchRunDetail-message" role="status" aria-busy="true">
        {trans.__('Loading run %1…', model.runId)}
      </div>
    );
  }
  return (
    <div className="jp-OrchRunDetail-content">
      <RunHeader model={model} run={run} now={now} handlers={handlers} />
      {model.loadError && (
        <p className="jp-OrchField-error">
          {trans.__('Could not refresh the run: %1', model.loadError)}
        </p>
      )}
      <StepsSection
        model={model}
        run={run}
        now={now}
        handlers={handlers}
        files={props.files}
      />
      <NotificationsSection run={run} />
      <RunLog lines={model.logs} live={model.watching} />
    </div>
  );
}

function StepsSection(
  props: IRunPartProps & { files: IArtifactViews }
): JSX.Element {
  const { model, run, now, handlers } = props;
  // Lay the graph out again only when a step's status or needs change (the key), not on
  // every fetch or tick.
  const kinds = model.kinds;
  const key = JSON.stringify(run.steps.map(s => [s.name, s.status, s.needs]));
  const dag = React.useMemo(() => dagInput(run, kinds), [key, kinds]);
  const select = (step: string) => model.select(step);
  const groups = groupSteps(run.steps);
  // A selected item shows as its for-each step's box
  const selectedBox =
    model.selected && (itemParentName(model.selected) ?? model.selected);
  // An item runs, retries and is summarised as its for-each step says
  const card = (step: IStepRun, items?: React.ReactNode) => {
    const own = step.parent ?? step.name;
    return (
      <StepCard
        key={step.name}
        runId={run.id}
        step={step}
        kind={kinds[own] ?? step.kind ?? null}
        selected={model.selected === step.name}
        now={now}
        onSelect={select}
        notebooks={handlers}
        openRun={handlers.openRun}
        allowed={model.allowedAttempts[own] ?? null}
        logs={model.logs}
        busy={model.busy}
        onWake={handlers.wakeStep}
        artifacts={<StepArtifacts step={step} {...props.files} />}
        items={items}
      />
    );
  };
  return (
    <section className="jp-OrchRunDetail-section">
      <h3 className="jp-OrchRunDetail-sectionTitle">
        {trans.__('Steps')}{' '}
        <span className="jp-OrchRunDetail-muted">({groups.length})</span>
      </h3>
      <div className="jp-OrchRunDetail-dag">
        <DagView
          nodes={dag.nodes}
          needs={dag.needs}
          selected={selectedBox}
          onSelect={select}
          label={trans.__('Steps of %1 and their status', run.pipeline)}
        />
      </div>
      <div className="jp-OrchRunDetail-steps">
        {groups.map(({ step, items }) =>
          card(
            step,
            items.length > 0 && (
              <ForEachItems
                cardId={stepCardId(run.id, step.name)}
                items={items}
                selected={model.selected}
                renderItem={item => card(item)}
              />
            )
          )
        )}
      </div>
    </section>
  );
}
