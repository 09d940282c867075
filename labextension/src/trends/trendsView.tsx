/**
 * A pipeline's trends in the main area: its figures over the last finished runs (duration,
 * failure rate, slowest step, peak memory, each beside the figure of the runs before), the
 * run durations with each step's share, and peak memory per step, with tables for the same
 * numbers. The widget owns a `TrendsModel` and renders it; it reads the figures again when the
 * panel's model sees the pipeline's last run finish, and on Refresh.
 */
import { ReactWidget, refreshIcon, UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';

import { formatBytes, formatDuration, localTime } from '../common/format';
import { trans } from '../common/i18n';
import type { OrchModel } from '../panel/model';
import {
  ChartFigure,
  DurationChart,
  MemoryChart,
  seriesClass
} from './trendsCharts';
import {
  before,
  durationSummary,
  failureCount,
  IPipelineStats,
  memorySummary,
  percent
} from './trendsData';
import { trendsIcon } from './trendsIcon';
import { RunsTable, StepTable } from './trendsTables';
import { TrendsClient, TrendsModel } from './trendsModel';

export interface ITrendsOptions {
  client: TrendsClient;
  pipeline: string;
  /** The panel's model: when it sees the pipeline's last run finish, the page reads anew. */
  pipelines?: Pick<OrchModel, 'stateChanged' | 'pipelines'>;
  /** Opens a run's detail (a click on its bar, its row in the runs table). */
  openRun?: (id: string) => void;
}

export class TrendsWidget extends ReactWidget {
  constructor(readonly options: ITrendsOptions) {
    super();
    const { pipeline, pipelines } = options;
    this.title.label = trans.__('%1 · trends', pipeline);
    this.title.caption = trans.__(
      'Trends of %1: durations, failures and memory of its last runs',
      pipeline
    );
    this.title.icon = trendsIcon;
    // The run detail's page layout; what is the trends' own is jp-OrchTrends-*
    this.addClass('jp-OrchRunDetail');
    this.addClass('jp-OrchTrends');
    this.model = new TrendsModel(options.client, pipeline);
    if (pipelines) {
      pipelines.stateChanged.connect(this._noticePipelines, this);
      this._noticePipelines();
    }
    void this.model.refresh();
  }

  readonly model: TrendsModel;

  get pipeline(): string {
    return this.options.pipeline;
  }

  override dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.options.pipelines?.stateChanged.disconnect(
      this._noticePipelines,
      this
    );
    this.model.dispose();
    super.dispose();
  }

  protected render(): JSX.Element {
    return (
      <UseSignal signal={this.model.changed}>
        {() => <TrendsView model={this.model} openRun={this.options.openRun} />}
      </UseSignal>
    );
  }

  private _noticePipelines(): void {
    if (this.options.pipelines) {
      this.model.noticePipelines(this.options.pipelines.pipelines);
    }
  }
}

function TrendsView(props: {
  model: TrendsModel;
  openRun?: (id: string) => void;
}): JSX.Element {
  const { model } = props;
  const stats = model.stats;
  return (
    <div className="jp-OrchRunDetail-content">
      <header className="jp-OrchRunDetail-titleRow">
        <h2 className="jp-OrchRunDetail-title">
          {trans.__('Trends of %1', model.pipeline)}
        </h2>
        <button
          type="button"
          className="jp-OrchPanel-iconButton"
          aria-label={trans.__('Refresh')}
          title={trans.__('Read the figures again')}
          disabled={model.loading}
          onClick={() => void model.refresh()}
        >
          <refreshIcon.react tag="span" />
        </button>
        {stats && stats.runs > 0 && (
          <span className="jp-OrchRunDetail-muted">
            {trans._n(
              'Last %1 finished run, %2 to %3',
              'Last %1 finished runs, %2 to %3',
              stats.runs,
              localTime(stats.from),
              localTime(stats.to)
            )}
          </span>
        )}
      </header>
      {model.error && (
        <p className="jp-OrchField-error" role="alert">
          {trans.__(
            'Could not read the trends of %1: %2',
            model.pipeline,
            model.error
          )}
        </p>
      )}
      {!stats ? (
        !model.error && (
          <p className="jp-OrchTrends-message" role="status" aria-busy="true">
            {trans.__('Loading…')}
          </p>
        )
      ) : stats.runs === 0 ? (
        <p className="jp-OrchTrends-message jp-OrchTrends-empty" role="status">
          {trans.__(
            '%1 has no finished runs yet. Run it: its durations, failures and memory show here once runs finish.',
            model.pipeline
          )}
        </p>
      ) : (
        <Trends model={model} stats={stats} openRun={props.openRun} />
      )}
    </div>
  );
}

function Trends(props: {
  model: TrendsModel;
  stats: IPipelineStats;
  openRun?: (id: string) => void;
}): JSX.Element {
  const { model, stats, openRun } = props;
  const rows = model.stepRows;
  return (
    <>
      <Facts model={model} stats={stats} />
      <ChartFigure
        title={trans.__('Run durations')}
        summary={durationSummary(stats, model.runs)}
        table={<RunsTable model={model} openRun={openRun} />}
      >
        {ids => (
          <>
            <DurationChart
              ids={ids}
              runs={model.runs}
              steps={model.steps}
              slowest={stats.slowest_step}
              openRun={openRun}
            />
            <Legend steps={model.steps} slowest={stats.slowest_step} />
          </>
        )}
      </ChartFigure>
      <ChartFigure
        title={trans.__('Peak memory per step')}
        summary={memorySummary(rows)}
        table={<StepTable rows={rows} />}
      >
        {ids => <MemoryChart ids={ids} rows={rows} steps={model.steps} />}
      </ChartFigure>
    </>
  );
}

/** One figure of the summary: its name, its value, and a line under it. */
function Fact(props: {
  id: string;
  label: string;
  value: React.ReactNode;
  more?: string;
}): JSX.Element {
  return (
    <div
      className="jp-OrchRunDetail-fact jp-OrchTrends-fact"
      data-fact={props.id}
    >
      <dt>{props.label}</dt>
      <dd>
        <span className="jp-OrchTrends-factValue">{props.value}</span>
        {props.more && (
          <span className="jp-OrchTrends-factMore">{props.more}</span>
        )}
      </dd>
    </div>
  );
}

function Facts(props: {
  model: TrendsModel;
  stats: IPipelineStats;
}): JSX.Element {
  const { model, stats } = props;
  const { previous } = stats;
  const slowest = model.stepRows.find(r => r.slowest);
  const join = (...parts: string[]) => parts.filter(Boolean).join(' · ');
  return (
    <dl className="jp-OrchRunDetail-facts jp-OrchTrends-facts">
      <Fact
        id="duration"
        label={trans.__('Median duration')}
        value={formatDuration(stats.duration_s.median)}
        more={join(
          trans.__('p95 %1', formatDuration(stats.duration_s.p95)),
          before(previous, previous.duration_s.median, formatDuration)
        )}
      />
      <Fact
        id="failure-rate"
        label={trans.__('Failure rate')}
        value={percent(stats.failure_rate)}
        more={join(
          failureCount(model.runs),
          before(previous, previous.failure_rate, percent)
        )}
      />
      <Fact
        id="slowest"
        label={trans.__('Slowest step')}
        value={slowest?.name ?? '–'}
        more={
          slowest
            ? join(
                trans.__(
                  'median %1',
                  formatDuration(slowest.duration_s.median)
                ),
                trans.__('%1 of the step time', percent(slowest.share))
              )
            : ''
        }
      />
      <Fact
        id="peak-memory"
        label={trans.__('Peak memory')}
        value={formatBytes(stats.peak_memory_bytes.max) || '–'}
        more={join(
          stats.peak_memory_bytes.median === null
            ? trans.__('not measured')
            : trans.__(
                'median %1',
                formatBytes(stats.peak_memory_bytes.median)
              ),
          before(previous, previous.peak_memory_bytes.max, formatBytes)
        )}
      />
    </dl>
  );
}

/** What the duration chart's colours, line and dots stand for. */
function Legend(props: {
  steps: readonly string[];
  slowest: string | null;
}): JSX.Element {
  return (
    <ul className="jp-OrchTrends-legend" aria-label={trans.__('Legend')}>
      {props.steps.map((step, i) => (
        <li key={step} data-step={step}>
          <span
            className={`jp-OrchTrends-swatch ${seriesClass(i)}`}
            aria-hidden="true"
          />
          {step}
          {step === props.slowest && (
            <span className="jp-OrchBadge jp-OrchTrends-slowest">
              {trans.__('slowest')}
            </span>
          )}
        </li>
      ))}
      <li>
        <span className="jp-OrchTrends-lineKey" aria-hidden="true" />
        {trans.__('run duration')}
      </li>
      <li>
        <span className="jp-OrchTrends-failedKey" aria-hidden="true" />
        {trans.__('failed run')}
      </li>
    </ul>
  );
}
