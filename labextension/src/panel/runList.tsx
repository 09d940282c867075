/**
 * The Runs section of the Orchestration sidebar: its filters (pipeline, status, days) and the
 * search box over pipelines and runs, and the runs,
 * newest first, with more on demand. An active run's row says what it does now ("step 3/5:
 * transform", "retrying in 40 s") and its duration counts on each second.
 */
import * as React from 'react';

import { StatusBadge } from '../common/components';
import {
  formatDuration,
  zonedTime,
  relativeTime,
  runLabel,
  statusLabel
} from '../common/format';
import { useDebouncedRequest, useNow } from '../common/hooks';
import { trans } from '../common/i18n';
import { pinIcon } from '../common/icons';
import { runTriggerText } from '../backfill/backfillText';
import { runProgress } from '../run/liveProgress';
import { isFinished, runSeconds } from '../run/runView';
import { OrchModel } from './model';
import { hasFilters } from './runFilters';
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
        label={trans.__('Pipeline')}
        value={model.filters.pipeline}
        options={names}
        onChange={pipeline => void model.setFilters({ pipeline })}
      />
      <FilterSelect
        label={trans.__('Status')}
        value={model.filters.status}
        options={RUN_STATUSES}
        optionLabel={statusLabel}
        onChange={status => void model.setFilters({ status })}
      />
      <DateFilter
        label={trans.__('From')}
        dateLabel={trans.__('From date')}
        title={trans.__("Runs made on or after this day (your browser's zone)")}
        value={model.filters.from}
        max={model.filters.to}
        onChange={from => void model.setFilters({ from })}
      />
      <DateFilter
        label={trans.__('To')}
        dateLabel={trans.__('To date')}
        title={trans.__(
          "Runs made on or before this day (your browser's zone)"
        )}
        value={model.filters.to}
        min={model.filters.from}
        onChange={to => void model.setFilters({ to })}
      />
    </div>
  );
}

/** One end of the date range: a day, or empty for no bound. */
function DateFilter(props: {
  label: string;
  /** The input's name for screen readers (and tests): "From date". */
  dateLabel: string;
  title: string;
  value: string;
  min?: string;
  max?: string;
  onChange: (value: string) => void;
}): JSX.Element {
  return (
    <label title={props.title}>
      <span>{props.label}</span>
      <input
        type="date"
        className="jp-mod-styled"
        aria-label={props.dateLabel}
        value={props.value}
        min={props.min || undefined}
        max={props.max || undefined}
        onChange={e => props.onChange(e.target.value)}
      />
    </label>
  );
}

/**
 * The search box over the pipelines and the runs: the pipeline list filters as the text
 * settles, and the runs are asked of the server 300 ms after the last key.
 */
export function SearchBox(props: { model: OrchModel }): JSX.Element {
  const { model } = props;
  const [text, setText] = React.useState(model.filters.search);
  useDebouncedRequest(
    () =>
      text === model.filters.search
        ? null
        : {
            request: () => model.setFilters({ search: text }),
            onResult: () => undefined,
            onError: () => undefined // the model shows a failed refresh itself
          },
    [text],
    SEARCH_DELAY_MS
  );
  return (
    <div className="jp-OrchPanel-search">
      <input
        type="search"
        className="jp-mod-styled"
        aria-label={trans.__('Search pipelines and runs')}
        placeholder={trans.__('Search…')}
        title={trans.__(
          'Pipelines by name, description or file; runs by pipeline, number (#42), id, trigger or status'
        )}
        value={text}
        onChange={e => setText(e.target.value)}
        onKeyDown={e => {
          if (e.key === 'Escape' && text) {
            e.stopPropagation();
            setText('');
          }
        }}
      />
    </div>
  );
}

/** How long the search box waits after the last key before it asks for runs. */
const SEARCH_DELAY_MS = 300;

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
        <option value="">{trans.__('All')}</option>
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
        {hasFilters(model.filters)
          ? trans.__('No runs match these filters.')
          : trans.__('No runs yet.')}
      </p>
    );
  }
  return (
    <>
      <ul
        className="jp-OrchPanel-list"
        aria-label={trans.__('Runs, newest first')}
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
          {trans.__('More')}
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
      title={trans.__('Run %1: open its detail', run.id)}
      onClick={props.onOpen}
    >
      <div className="jp-OrchRun-main">
        <StatusBadge status={run.status} />
        <span className="jp-OrchRun-pipeline" title={run.pipeline}>
          {run.pipeline}
        </span>
        {run.pinned && (
          <span
            className="jp-OrchRun-pin"
            role="img"
            aria-label={trans.__('Pinned')}
            title={trans.__('Pinned: retention never deletes this run')}
          >
            <pinIcon.react tag="span" />
          </span>
        )}
        <span className="jp-OrchRun-id" title={trans.__('run %1', run.id)}>
          {runLabel(run)}
        </span>
      </div>
      <div className="jp-OrchRun-meta">
        <span
          title={
            run.scheduled_for
              ? trans.__('For the slot %1', zonedTime(run.scheduled_for))
              : undefined
          }
        >
          {runTriggerText(run)}
        </span>
        <span title={zonedTime(started)}>{relativeTime(started, now)}</span>
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
