/**
 * Two runs side by side: the runs (status, start, duration, trigger, version), their parameters
 * and each step's status, duration, peak memory and outputs, in two columns (the older run
 * first); what differs is highlighted and says so in words. Renders an `IRunComparison`.
 */
import * as React from 'react';

import type { IComparedRun, IRunComparison } from '../api/compare';
import type { JSONValue } from '../api/tokens';
import { Sentence, StatusBadge } from '../common/components';
import {
  clip,
  formatBytes,
  formatDuration,
  formatValue,
  runLabel,
  triggerLabel,
  zonedTime
} from '../common/format';
import { trans } from '../common/i18n';
import { itemParentName } from '../run/forEach';
import {
  differenceCounts,
  durationDelta,
  IValueRow,
  outputRows,
  parameterRows,
  stepDiffers,
  stepFact
} from './compareData';

/** Longest value text shown in a cell (the whole value in its tooltip). */
const VALUE_MAX = 120;

/** What the comparison's links and buttons do. */
export interface ICompareActions {
  openRun?: (id: string) => void;
  /** Opens the diff of two versions of the pipeline; absent: no link. */
  compareVersions?: (pipeline: string, from: number, to: number) => void;
  /** Opens a step's output notebooks of both runs, cell by cell. */
  compareNotebooks: (step: string) => void;
}

function RunName(props: {
  run: IComparedRun;
  openRun?: (id: string) => void;
}): JSX.Element {
  const { run, openRun } = props;
  const label = runLabel(run);
  return (
    <span className="jp-OrchCompare-runName">
      {openRun ? (
        <button
          type="button"
          className="jp-OrchCompare-link"
          title={trans.__('Open run %1', run.id)}
          onClick={() => openRun(run.id)}
        >
          {label}
        </button>
      ) : (
        <span title={run.id}>{label}</span>
      )}{' '}
      <StatusBadge status={run.status} />
    </span>
  );
}

/** A value, or a dash for none (the step or parameter is not in that run). */
function Value(props: { value: JSONValue | undefined }): JSX.Element {
  if (props.value === undefined) {
    return <span className="jp-OrchCompare-none">—</span>;
  }
  const text = formatValue(props.value);
  return (
    <code title={text.length > VALUE_MAX ? text : undefined}>
      {clip(text, VALUE_MAX)}
    </code>
  );
}

/** A row of the two-column tables: a name, run a's cell, run b's; highlighted when changed. */
function Row(props: {
  name: React.ReactNode;
  a: React.ReactNode;
  b: React.ReactNode;
  changed?: boolean;
  attrs?: Record<string, string>;
}): JSX.Element {
  const { changed } = props;
  return (
    <tr
      className={changed ? 'jp-mod-changed' : undefined}
      data-changed={changed ? 'true' : 'false'}
      {...props.attrs}
    >
      <th scope="row">
        {props.name}
        {changed && (
          <span className="jp-OrchCompare-differs">{trans.__('differs')}</span>
        )}
      </th>
      <td>{props.a}</td>
      <td>{props.b}</td>
    </tr>
  );
}

/** A parameter's row, or (`output`) a step output's: "output `records_count`". */
function valueRow(row: IValueRow, attr: string, output = false): JSX.Element {
  const name = <code>{row.name}</code>;
  return (
    <Row
      key={row.name}
      name={
        output ? (
          <Sentence text={trans.__('output %1', '%1')} nodes={[name]} />
        ) : (
          name
        )
      }
      a={<Value value={row.a} />}
      b={<Value value={row.b} />}
      changed={row.changed}
      attrs={{ [attr]: row.name }}
    />
  );
}

/**
 * The table's head: what its rows are, then run a and run b (with their status, and links to
 * them, in the runs' table only).
 */
function Head(props: {
  comparison: IRunComparison;
  actions?: ICompareActions;
  first: string;
}): JSX.Element {
  const { a, b } = props.comparison;
  const name = (run: IComparedRun) =>
    props.actions ? (
      <RunName run={run} openRun={props.actions.openRun} />
    ) : (
      runLabel(run)
    );
  return (
    <thead>
      <tr>
        <th scope="col">{props.first}</th>
        <th scope="col">{name(a)}</th>
        <th scope="col">{name(b)}</th>
      </tr>
    </thead>
  );
}

function Summary(props: { comparison: IRunComparison }): JSX.Element {
  const counts = differenceCounts(props.comparison);
  const { version } = props.comparison;
  const parts: string[] = [];
  if (counts.parameters) {
    parts.push(
      trans._n(
        '%1 parameter differs',
        '%1 parameters differ',
        counts.parameters
      )
    );
  }
  if (counts.version) {
    parts.push(trans.__('version %1 → %2', version.a, version.b));
  }
  if (counts.steps) {
    parts.push(trans._n('%1 step differs', '%1 steps differ', counts.steps));
  }
  if (counts.items) {
    parts.push(trans._n('%1 item differs', '%1 items differ', counts.items));
  }
  return (
    <p className="jp-OrchCompare-summary" role="status">
      {parts.length
        ? parts.join(' · ')
        : trans.__('Same parameters, version, step statuses and outputs')}
    </p>
  );
}

function RunsTable(props: {
  comparison: IRunComparison;
  actions: ICompareActions;
}): JSX.Element {
  const { comparison, actions } = props;
  const { a, b, version } = comparison;
  const trigger = (run: IComparedRun) =>
    run.exact
      ? trans.__('%1 (exact replay)', triggerLabel(run.trigger))
      : triggerLabel(run.trigger);
  const delta = durationDelta(a.duration_seconds, b.duration_seconds);
  return (
    <table className="jp-OrchCompare-table" aria-label={trans.__('Runs')}>
      <Head comparison={comparison} actions={actions} first={trans.__('Run')} />
      <tbody>
        <Row
          name={trans.__('Started')}
          a={zonedTime(a.started_at) || '—'}
          b={zonedTime(b.started_at) || '—'}
        />
        <Row
          name={trans.__('Duration')}
          a={formatDuration(a.duration_seconds) || '—'}
          b={
            <>
              {formatDuration(b.duration_seconds) || '—'}
              {delta && <span className="jp-OrchCompare-delta">{delta}</span>}
            </>
          }
        />
        <Row name={trans.__('Trigger')} a={trigger(a)} b={trigger(b)} />
        <Row
          name={trans.__('Version')}
          a={String(version.a)}
          b={String(version.b)}
          changed={!version.same}
          attrs={{ 'data-fact': 'version' }}
        />
      </tbody>
    </table>
  );
}

function VersionLink(props: {
  comparison: IRunComparison;
  actions: ICompareActions;
}): JSX.Element | null {
  const { comparison, actions } = props;
  const { version } = comparison;
  if (version.same || !actions.compareVersions) {
    return null;
  }
  const open = actions.compareVersions;
  return (
    <button
      type="button"
      className="jp-OrchCompare-link jp-OrchCompare-versionLink"
      title={trans.__(
        'What changed in the pipeline file and its notebooks between the two versions'
      )}
      onClick={() => open(comparison.a.pipeline, version.a, version.b)}
    >
      {trans.__('Compare versions %1 → %2', version.a, version.b)}
    </button>
  );
}

function ParametersTable(props: {
  comparison: IRunComparison;
  actions: ICompareActions;
}): JSX.Element {
  const rows = parameterRows(props.comparison);
  if (rows.length === 0) {
    return <p className="jp-OrchCompare-none">{trans.__('No parameters')}</p>;
  }
  return (
    <table className="jp-OrchCompare-table" aria-label={trans.__('Parameters')}>
      <Head comparison={props.comparison} first={trans.__('Parameter')} />
      <tbody>{rows.map(row => valueRow(row, 'data-parameter'))}</tbody>
    </table>
  );
}

function StepsTable(props: {
  comparison: IRunComparison;
  actions: ICompareActions;
}): JSX.Element {
  const { comparison, actions } = props;
  return (
    <table className="jp-OrchCompare-table" aria-label={trans.__('Steps')}>
      <Head comparison={comparison} first={trans.__('Step')} />
      {comparison.steps.map(step => {
        const { a, b } = step;
        const status = (side: typeof a) =>
          side ? (
            <StatusBadge status={side.status} />
          ) : (
            <span className="jp-OrchCompare-none">
              {trans.__('not in this run')}
            </span>
          );
        const seconds = (side: typeof a) =>
          formatDuration(stepFact(side, 'duration_seconds')) || '—';
        const memory = (side: typeof a) =>
          formatBytes(stepFact(side, 'peak_memory_bytes')) || '—';
        const delta = durationDelta(
          stepFact(a, 'duration_seconds'),
          stepFact(b, 'duration_seconds')
        );
        return (
          <tbody
            key={step.name}
            className={`jp-OrchCompare-step${itemParentName(step.name) === null ? '' : ' jp-mod-item'}`}
            data-step={step.name}
            data-changed={stepDiffers(step) ? 'true' : 'false'}
          >
            <tr className="jp-OrchCompare-stepHeader">
              <th scope="rowgroup" colSpan={3}>
                <span className="jp-OrchCompare-stepName">{step.name}</span>
                {step.notebooks && (
                  <button
                    type="button"
                    className="jp-mod-styled jp-OrchRunDetail-button"
                    title={trans.__(
                      'The two output notebooks of %1 cell by cell: code and outputs that changed',
                      step.name
                    )}
                    onClick={() => actions.compareNotebooks(step.name)}
                  >
                    {trans.__('Compare notebooks')}
                  </button>
                )}
              </th>
            </tr>
            <Row
              name={trans.__('Status')}
              a={status(a)}
              b={status(b)}
              changed={!a || !b || a.status !== b.status}
              attrs={{ 'data-fact': 'status' }}
            />
            <Row
              name={trans.__('Duration')}
              a={seconds(a)}
              b={
                <>
                  {seconds(b)}
                  {delta && (
                    <span className="jp-OrchCompare-delta">{delta}</span>
                  )}
                </>
              }
            />
            <Row name={trans.__('Peak memory')} a={memory(a)} b={memory(b)} />
            {outputRows(step).map(row => valueRow(row, 'data-output', true))}
          </tbody>
        );
      })}
    </table>
  );
}

/** The whole comparison: summary, runs, parameters, steps. */
export function ComparisonView(props: {
  comparison: IRunComparison;
  actions: ICompareActions;
}): JSX.Element {
  const { comparison } = props;
  return (
    <div className="jp-OrchCompare-content">
      <h2 className="jp-OrchCompare-title">
        {trans.__(
          '%1: %2 and %3',
          comparison.a.pipeline,
          runLabel(comparison.a),
          runLabel(comparison.b)
        )}
      </h2>
      <Summary comparison={comparison} />
      <section className="jp-OrchCompare-section">
        <RunsTable {...props} />
        <VersionLink {...props} />
      </section>
      <section className="jp-OrchCompare-section">
        <h3 className="jp-OrchCompare-sectionTitle">
          {trans.__('Parameters')}
        </h3>
        <ParametersTable {...props} />
      </section>
      <section className="jp-OrchCompare-section">
        <h3 className="jp-OrchCompare-sectionTitle">{trans.__('Steps')}</h3>
        <StepsTable {...props} />
      </section>
    </div>
  );
}
