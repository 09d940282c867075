/**
 * The Runs section of the Orchestration sidebar: its filters (pipeline, status) and the runs,
 * newest first, with more on demand. An active run's row says what it does now ("step 3/5:
 * transform", "retrying in 40 s") and its duration counts on each second.
 */
import * as React from 'react';

import { StatusBadge } from '../common/components';
import {
  formatDuration,
  localTime,
  relativeTime,
  runLabel,
  statusLabel,
  triggerLabel
} from '../common/format';
import { useNow } from '../common/hooks';
import { pinIcon } from '../common/icons';
import { runProgress } from '../run/liveProgress';
import { isFinished, runSeconds } from '../run/runView';
import { OrchModel } from './model';
import type { IPanelActions } from './panel';
import { useRovingFocus } from './rovingFocus';
import { IRun, RUN_STATUSES } from '../api/tokens';

export function RunFilters(props: { model: OrchModel }): JSX.Element {
  const { model } = props;
  const names = model.pipelines.map(p => p.name);
  if (model.filters.pipeline && !names.includes(model.filters.pipeline)) {
    names.push(model.filters.pipeline);
  }
  return (
    <div className="jp-OrchPanel-filters">
      <FilterSelect
        label="Pipeline"
        value={model.filters.pipeline}
        options={names}
        onChange={pipeline => void model.setFilters({ pipeline })}
      />
      <FilterSelect
        label="Status"
        value={model.filters.status}
        options={RUN_STATUSES}
        optionLabel={statusLabel}
        onChange={status => void model.setFilters({ status })}
      />
    </div>
  );
}

/** One of the run filters: a labelled select whose first choice, "All", is no filter. */
function FilterSelect(props: {
  label: string;
  value: string;
  options: readonly string[];
  optionLabel?: (value: string) => string;
  onChange: (value: string) => void;
}): JSX.Element {
  const { label, optionLabel } = props;
  return (
    <label>
      <span>{label}</span>
      <select
        className="jp-mod-styled"
        aria-label={label}
        value={props.value}
        onChange={e => props.onChange(e.target.value)}
      >
        <option value="">All</option>
        {props.options.map(option => (
          <option key={option} value={option}>
            {optionLabel ? optionLabel(option) : option}
          </option>
        ))}
      </select>
    </label>
  );
}

export function RunList(props: {
  model: OrchModel;
  actions: IPanelActions;
}): JSX.Element {
  const { model, actions } = props;
  const [loadingMore, setLoadingMore] = React.useState(false);
  const now = useNow(model.runs.some(run => !isFinished(run.status)));
  const open = (index: number) => actions.openRun(model.runs[index].id);
  const rows = useRovingFocus(
    model.runs.map(run => run.id),
    open
  );
  if (model.runs.length === 0) {
    if (model.unavailable) {
      return <></>;
    }
    return (
      <p className="jp-OrchPanel-empty">
        {model.filters.pipeline || model.filters.status
          ? 'No runs match these filters.'
          : 'No runs yet.'}
      </p>
    );
  }
  return (
    <>
      <ul
        className="jp-OrchPanel-list"
        aria-label="Runs, newest first"
        {...rows.listProps}
      >
        {model.runs.map((run, index) => (
          <RunRow
            key={run.id}
            run={run}
            now={now}
            tabIndex={rows.tabIndex(index)}
            onOpen={() => open(index)}
          />
        ))}
      </ul>
      {model.hasMore && (
        <button
          className="jp-mod-styled jp-OrchPanel-more"
          disabled={loadingMore}
          onClick={() => {
            setLoadingMore(true);
            model.loadMore().finally(() => setLoadingMore(false));
          }}
        >
          More
        </button>
      )}
    </>
  );
}

function RunRow(props: {
  run: IRun;
  now: Date;
  tabIndex: number;
  onOpen: () => void;
}): JSX.Element {
  const { run, now } = props;
  const started = run.started_at ?? run.created_at;
  const progress = runProgress(run, now);
  return (
    <li
      className="jp-OrchRun"
      data-run-id={run.id}
      data-status={run.status}
      data-pinned={run.pinned}
      role="button"
      tabIndex={props.tabIndex}
      title={`Run ${run.id}: open its detail`}
      onClick={props.onOpen}
    >
      <div className="jp-OrchRun-main">
        <StatusBadge status={run.status} />
        <span className="jp-OrchRun-pipeline">{run.pipeline}</span>
        {run.pinned && (
          <span
            className="jp-OrchRun-pin"
            role="img"
            aria-label="Pinned"
            title="Pinned: retention never deletes this run"
          >
            <pinIcon.react tag="span" />
          </span>
        )}
        <span className="jp-OrchRun-id" title={`run ${run.id}`}>
          {runLabel(run)}
        </span>
      </div>
      <div className="jp-OrchRun-meta">
        <span>{triggerLabel(run.trigger)}</span>
        <span title={localTime(started)}>{relativeTime(started, now)}</span>
        <span>{formatDuration(runSeconds(run, now))}</span>
      </div>
      {progress && (
        <div className="jp-OrchRun-progress" title={progress}>
          {progress}
        </div>
      )}
    </li>
  );
}
