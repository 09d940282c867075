/**
 * One line saying what an attempt of a query, function or export step did, read from its
 * outputs: "127 records", "98 inserted into users_per_day", "98 records written to x.csv";
 * and one saying what it used: "peak 1.2 GB · CPU 3.2 s". Pure: unit-tested.
 */
import { formatBytes, formatDuration } from '../common/format';
import { trans } from '../common/i18n';
import type { IAttemptResources, JSONObject, StepKind } from '../api/tokens';

export interface IStepSummary {
  text: string;
  /** The full path or table, when the text shortens it. */
  title?: string;
}

function count(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** A count with its thousands grouped, "12,345": `%2` of the sentences below (`%1` is the
 * count as the plural form reads it). */
function figure(n: number): string {
  return n.toLocaleString('en-US');
}

function records(n: number): string {
  return trans._n('%2 record', '%2 records', n, figure(n));
}

function baseName(path: string): string {
  return path.split('/').pop() || path;
}

function exportSummary(outputs: JSONObject, n: number): IStepSummary | null {
  const { table, action, path } = outputs;
  if (typeof table === 'string') {
    return {
      text:
        action === 'upserted'
          ? trans._n(
              '%2 upserted into %3',
              '%2 upserted into %3',
              n,
              figure(n),
              table
            )
          : trans._n(
              '%2 inserted into %3',
              '%2 inserted into %3',
              n,
              figure(n),
              table
            )
    };
  }
  if (typeof path === 'string') {
    return {
      text: trans._n(
        '%2 record written to %3',
        '%2 records written to %3',
        n,
        figure(n),
        baseName(path)
      ),
      title: path
    };
  }
  return { text: records(n) };
}

/**
 * The summary of an attempt's outputs for a step of `kind` (null: not known, which reads an
 * export's outputs by their shape); null when there is nothing to say (a notebook, no count).
 */
export function stepSummary(
  kind: StepKind | null,
  outputs: JSONObject | null | undefined
): IStepSummary | null {
  const data = outputs ?? {};
  const n = count(data.records_count);
  if (n === null || kind === 'notebook') {
    return null;
  }
  if (kind === 'export' || (kind === null && typeof data.action === 'string')) {
    return exportSummary(data, n);
  }
  if (kind === null) {
    return null;
  }
  // A query's statement that changed rows gives only the count; a result set its columns too.
  if (
    kind === 'query' &&
    data.columns === undefined &&
    data.path === undefined
  ) {
    return {
      text: trans._n('%2 row changed', '%2 rows changed', n, figure(n))
    };
  }
  return { text: records(n) };
}

/**
 * What an attempt used, "peak 1.2 GB · CPU 3.2 s" (either part alone when the other is not
 * known); null when it was not measured.
 */
export function resourceSummary(
  resources: IAttemptResources | null | undefined
): IStepSummary | null {
  const peak = count(resources?.peak_memory_bytes);
  const cpu = count(resources?.cpu_seconds);
  const parts = [
    peak === null ? '' : trans.__('peak %1', formatBytes(peak)),
    cpu === null ? '' : trans.__('CPU %1', formatDuration(cpu))
  ].filter(Boolean);
  if (parts.length === 0) {
    return null;
  }
  return {
    text: parts.join(' · '),
    title: trans.__(
      'Peak memory: the resident memory of the step’s processes together at its highest; CPU: their processor time'
    )
  };
}
