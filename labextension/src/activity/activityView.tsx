/**
 * The activity log in the main area: who did what, when and from where, newest first, filtered
 * by pipeline, actor and time; "Load more" reads older entries, a run opens from its link. The
 * widget owns an `ActivityModel` and renders it; the words are activityText.ts's.
 */
import {
  codeIcon,
  jupyterFaviconIcon,
  LabIcon,
  linkIcon,
  listIcon,
  ReactWidget,
  refreshIcon,
  terminalIcon,
  UseSignal
} from '@jupyterlab/ui-components';
import * as React from 'react';

import type { ActivityClient, IActivityEntry } from '../api/activity';
import { relativeTime, shortId, zonedTime } from '../common/format';
import { useDebouncedRequest } from '../common/hooks';
import { trans } from '../common/i18n';
import { scheduleIcon } from '../common/icons';
import { actorLabel } from '../versions/versionsModel';
import { ActivityModel } from './activityModel';
import {
  describeAction,
  originLabel,
  originTitle,
  sinceChoices
} from './activityText';

export interface IActivityOptions {
  client: ActivityClient;
  /** The pipeline shown first; none: every pipeline. */
  pipeline?: string;
  /** The registered pipelines' names, for the pipeline filter. */
  pipelines: () => string[];
  /** Opens a run's detail. */
  openRun: (id: string) => void;
}

/** An origin's icon: a terminal for the CLI, code for REST clients, a clock for the scheduler. */
function originIcon(origin: string): LabIcon | null {
  switch (origin) {
    case 'cli':
      return terminalIcon;
    case 'lab':
      return jupyterFaviconIcon;
    case 'api':
      return codeIcon;
    case 'scheduler':
      return scheduleIcon;
    case 'webhook':
      return linkIcon;
  }
  return null;
}

export class ActivityWidget extends ReactWidget {
  constructor(readonly options: IActivityOptions) {
    super();
    this.addClass('jp-OrchRunDetail');
    this.addClass('jp-OrchActivity');
    this.model = new ActivityModel(options.client, {
      pipeline: options.pipeline ?? ''
    });
    this._setTitle();
    this.model.changed.connect(this._setTitle, this);
    void this.model.refresh();
  }

  readonly model: ActivityModel;

  /** The pipeline the log is filtered by; empty for all. */
  get pipeline(): string {
    return this.model.filters.pipeline;
  }

  protected render(): JSX.Element {
    return (
      <UseSignal signal={this.model.changed}>
        {() => <ActivityView model={this.model} options={this.options} />}
      </UseSignal>
    );
  }

  private _setTitle(): void {
    const pipeline = this.pipeline;
    this.title.label = pipeline
      ? trans.__('%1 activity', pipeline)
      : trans.__('Activity');
    this.title.caption = pipeline
      ? trans.__('Who did what to %1, when and from where', pipeline)
      : trans.__('Who did what, when and from where');
    this.title.icon = listIcon;
  }
}

function ActivityView(props: {
  model: ActivityModel;
  options: IActivityOptions;
}): JSX.Element {
  const { model, options } = props;
  const entries = model.entries;
  const pipeline = model.filters.pipeline;
  return (
    <div className="jp-OrchRunDetail-content">
      <header className="jp-OrchRunDetail-titleRow">
        <h2 className="jp-OrchRunDetail-title">
          {pipeline
            ? trans.__('Activity of %1', pipeline)
            : trans.__('Activity')}
        </h2>
        <button
          type="button"
          className="jp-OrchPanel-iconButton jp-OrchActivity-refresh"
          aria-label={trans.__('Refresh')}
          title={trans.__('Read the activity again')}
          disabled={model.loading}
          onClick={() => void model.refresh()}
        >
          <refreshIcon.react tag="span" />
        </button>
      </header>
      <Filters model={model} pipelines={options.pipelines()} />
      {model.error && (
        <p className="jp-OrchField-error" role="alert">
          {trans.__('Could not read the activity: %1', model.error)}
        </p>
      )}
      {!entries ? (
        !model.error && (
          <p
            className="jp-OrchRunDetail-message"
            role="status"
            aria-busy="true"
          >
            {trans.__('Reading the activity…')}
          </p>
        )
      ) : entries.length === 0 ? (
        !model.error && (
          <p className="jp-OrchRunDetail-message jp-OrchActivity-empty">
            {trans.__('Nothing was done that these filters show.')}
          </p>
        )
      ) : (
        <EntryTable entries={entries} openRun={options.openRun} />
      )}
      {model.hasMore && (
        <button
          type="button"
          className="jp-mod-styled jp-OrchRunDetail-button jp-OrchActivity-more"
          disabled={model.loading}
          aria-busy={model.loading}
          onClick={() => void model.loadMore()}
        >
          {trans.__('Load more')}
        </button>
      )}
    </div>
  );
}

function Filters(props: {
  model: ActivityModel;
  pipelines: string[];
}): JSX.Element {
  const { model } = props;
  const { filters } = model;
  const [actor, setActor] = React.useState(filters.actor);
  // The actor is matched exactly: ask once the typing pauses
  useDebouncedRequest(
    () =>
      actor.trim() === filters.actor.trim()
        ? null
        : {
            request: () => model.setFilters({ actor }),
            onResult: () => undefined,
            onError: () => undefined
          },
    [actor],
    400
  );
  const names = [...new Set(props.pipelines)].sort();
  if (filters.pipeline && !names.includes(filters.pipeline)) {
    names.unshift(filters.pipeline);
  }
  return (
    <div
      className="jp-OrchActivity-filters"
      role="group"
      aria-label={trans.__('Filters')}
    >
      <label>
        {trans.__('Pipeline')}
        <select
          className="jp-mod-styled jp-OrchActivity-pipelineFilter"
          value={filters.pipeline}
          onChange={e => void model.setFilters({ pipeline: e.target.value })}
        >
          <option value="">{trans.__('All pipelines')}</option>
          {names.map(name => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
      </label>
      <label>
        {trans.__('Who')}
        <input
          type="search"
          className="jp-mod-styled jp-OrchActivity-actorFilter"
          value={actor}
          placeholder={trans.__('anyone (e.g. token:1a2b3c4d)')}
          onChange={e => setActor(e.target.value)}
        />
      </label>
      <label>
        {trans.__('When')}
        <select
          className="jp-mod-styled jp-OrchActivity-sinceFilter"
          value={filters.since}
          onChange={e => void model.setFilters({ since: e.target.value })}
        >
          {sinceChoices().map(choice => (
            <option key={choice.value} value={choice.value}>
              {choice.label}
            </option>
          ))}
        </select>
      </label>
    </div>
  );
}

function EntryTable(props: {
  entries: readonly IActivityEntry[];
  openRun: (id: string) => void;
}): JSX.Element {
  return (
    <table className="jp-OrchActivity-table">
      <thead>
        <tr>
          <th scope="col">{trans.__('When')}</th>
          <th scope="col">{trans.__('Who')}</th>
          <th scope="col">{trans.__('From')}</th>
          <th scope="col">{trans.__('What')}</th>
          <th scope="col">{trans.__('Pipeline')}</th>
          <th scope="col">{trans.__('Run')}</th>
        </tr>
      </thead>
      <tbody>
        {props.entries.map(entry => (
          <EntryRow key={entry.id} entry={entry} openRun={props.openRun} />
        ))}
      </tbody>
    </table>
  );
}

function EntryRow(props: {
  entry: IActivityEntry;
  openRun: (id: string) => void;
}): JSX.Element {
  const { entry: e } = props;
  const icon = originIcon(e.origin);
  return (
    <tr
      className="jp-OrchActivity-row"
      data-action={e.action}
      data-origin={e.origin}
    >
      <td className="jp-OrchActivity-when" title={zonedTime(e.at)}>
        <time dateTime={e.at}>{relativeTime(e.at)}</time>
      </td>
      <td className="jp-OrchActivity-who" title={e.actor ?? ''}>
        {actorLabel(e.actor)}
      </td>
      <td>
        <span
          className={`jp-OrchActivity-origin jp-OrchActivity-origin-${e.origin}`}
          title={originTitle(e)}
        >
          {icon && <icon.react tag="span" />}
          {originLabel(e.origin)}
        </span>
      </td>
      <td className="jp-OrchActivity-what">{describeAction(e)}</td>
      <td className="jp-OrchActivity-pipeline">{e.pipeline ?? ''}</td>
      <td>
        {e.run_id && (
          <button
            type="button"
            className="jp-OrchActivity-runLink"
            title={trans.__('Open run %1', e.run_id)}
            onClick={() => e.run_id && props.openRun(e.run_id)}
          >
            {shortId(e.run_id)}
          </button>
        )}
      </td>
    </tr>
  );
}
