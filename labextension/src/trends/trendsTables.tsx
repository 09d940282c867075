/**
 * The trends page's numbers as tables, beside its charts: each run with its duration and each
 * step's time and share, and each step's figures over the same runs.
 */
import * as React from 'react';

import { StatusBadge } from '../common/components';
import { formatBytes, formatDuration, localTime } from '../common/format';
import { trans } from '../common/i18n';
import { IStepRow, percent, segmentTime } from './trendsData';
import type { TrendsModel } from './trendsModel';

/** The duration chart's numbers: each run, its duration and each step's time and share. */
export function RunsTable(props: {
  model: TrendsModel;
  openRun?: (id: string) => void;
}): JSX.Element {
  const { model, openRun } = props;
  return (
    <details className="jp-OrchTrends-tableBox">
      <summary>{trans.__('Runs as a table')}</summary>
      <table className="jp-OrchTrends-table">
        <thead>
          <tr>
            <th scope="col">{trans.__('Run')}</th>
            <th scope="col">{trans.__('Created')}</th>
            <th scope="col">{trans.__('Status')}</th>
            <th scope="col">{trans.__('Duration')}</th>
            {model.steps.map(step => (
              <th scope="col" key={step}>
                {step}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {[...model.runs].reverse().map(run => (
            <tr key={run.id} data-run={run.id}>
              <th scope="row">
                {openRun ? (
                  <button
                    type="button"
                    className="jp-OrchTrends-link"
                    onClick={() => openRun(run.id)}
                  >
                    {run.label}
                  </button>
                ) : (
                  run.label
                )}
              </th>
              <td>{localTime(run.createdAt)}</td>
              <td>
                <StatusBadge status={run.status} />
              </td>
              <td>{formatDuration(run.seconds)}</td>
              {run.segments.map(s => (
                <td key={s.step}>{segmentTime(s)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}

/** Each step's figures: its share of the step time, duration, peak memory, failure rate. */
export function StepTable(props: { rows: readonly IStepRow[] }): JSX.Element {
  return (
    <table className="jp-OrchTrends-table jp-OrchTrends-steps">
      <caption>{trans.__('Steps over the same runs')}</caption>
      <thead>
        <tr>
          <th scope="col">{trans.__('Step')}</th>
          <th scope="col">{trans.__('Share of step time')}</th>
          <th scope="col">{trans.__('Median duration')}</th>
          <th scope="col">{trans.__('p95 duration')}</th>
          <th scope="col">{trans.__('Median peak memory')}</th>
          <th scope="col">{trans.__('Largest peak memory')}</th>
          <th scope="col">{trans.__('Failure rate')}</th>
        </tr>
      </thead>
      <tbody>
        {props.rows.map(row => (
          <tr
            key={row.name}
            data-step={row.name}
            className={row.slowest ? 'jp-mod-slowest' : ''}
          >
            <th scope="row">
              {row.name}
              {row.slowest && (
                <span className="jp-OrchTrends-rowNote">
                  {` ${trans.__('(slowest)')}`}
                </span>
              )}
            </th>
            <td>{percent(row.share)}</td>
            <td>{formatDuration(row.duration_s.median)}</td>
            <td>{formatDuration(row.duration_s.p95)}</td>
            <td>{formatBytes(row.peak_memory_bytes.median) || '–'}</td>
            <td>{formatBytes(row.peak_memory_bytes.max) || '–'}</td>
            <td>{percent(row.failure_rate)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
