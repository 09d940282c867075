/**
 * A run's artifacts in the REST API: the files each step wrote (in the run detail, each step's
 * `artifacts`), a table's first rows and an image's bytes.
 */
import type { OrchClient } from './api';

/** What the lab does with a file: shows it, previews its first rows, or links it. */
export type ArtifactType = 'image' | 'table' | 'notebook' | 'file';

/** A file a step's attempt created or changed. */
export interface IArtifact {
  /** In the run's artifacts folder (`charts/sales.png`); an export's file by its own name. */
  name: string;
  /** Relative to the server's root dir; null when the file is outside it. */
  path: string | null;
  type: ArtifactType;
  size: number;
  modified_at: string | null;
  /** The attempt that wrote it last. */
  attempt: number;
  /** Other steps that ran as it was written: it may be theirs. */
  concurrent?: string[];
}

/** A table's first rows (GET /orch/runs/{id}/artifacts/preview): cells as text, null for none. */
export interface ITablePreview {
  path: string;
  format: 'csv' | 'parquet';
  columns: string[];
  /** Each column's type (Parquet); null for CSV. */
  types: string[] | null;
  rows: (string | null)[][];
  /** The file has more rows than these. */
  more_rows: boolean;
  /** Columns past the 50 shown. */
  hidden_columns: number;
  /** Every row of the file, when the file says (Parquet). */
  total_rows: number | null;
}

/** The part of the REST client the artifacts use. */
export type ArtifactClient = Pick<OrchClient, 'request' | 'requestBlob'>;

function artifactQuery(path: string, extra: Record<string, string> = {}) {
  return new URLSearchParams({ path, ...extra }).toString();
}

/** The first `rows` rows (at most 50) of a CSV or Parquet file of the run. */
export function artifactPreview(
  client: ArtifactClient,
  runId: string,
  path: string,
  rows = 10
): Promise<ITablePreview> {
  const query = artifactQuery(path, { rows: String(rows) });
  return client.request<ITablePreview>(
    `runs/${encodeURIComponent(runId)}/artifacts/preview?${query}`
  );
}

/** An image of the run, as served (its own content type, never sniffed). */
export function artifactImage(
  client: ArtifactClient,
  runId: string,
  path: string
): Promise<Blob> {
  return client.requestBlob(
    `runs/${encodeURIComponent(runId)}/artifacts/image?${artifactQuery(path)}`
  );
}
