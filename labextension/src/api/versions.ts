/**
 * A pipeline's versions in the REST API: the list (GET /orch/pipelines/{name}/versions, newest
 * first, with who recorded each and what changed), the difference between two versions
 * (.../versions/{a}/diff/{b}: the YAML and each changed file) and a rollback
 * (POST .../rollback), which writes an old version's files back and records a new version.
 */
import type * as nbformat from '@jupyterlab/nbformat';

import type { OrchClient } from './api';
import type { IVersion } from './tokens';

/** A file a version recorded: its path relative to the pipeline file's folder. */
export interface IVersionFile {
  path: string;
  kind: 'notebook' | 'sql' | 'python' | string;
  hash: string;
}

/** One version in a pipeline's history. */
export interface IPipelineVersion extends IVersion {
  /** `alice`, `scheduler`, `token:1a2b3c4d`, `webhook:<delivery>`; null when unknown. */
  created_by: string | null;
  /** What changed from the version before, in words; null for the first. */
  summary: string | null;
  files: IVersionFile[];
}

/** A file that differs between two versions. */
export interface IFileDiff {
  path: string;
  kind: 'notebook' | 'sql' | 'python' | string;
  status: 'added' | 'removed' | 'changed';
  /** A notebook's: nbdime's diff JSON (a list of diff entries); else a unified diff. */
  diff: string | unknown[];
  /** A notebook's old version (an empty notebook when it was added). */
  base?: nbformat.INotebookContent;
}

/** What changed from version `from` to version `to`. */
export interface IVersionDiff {
  pipeline: string;
  from: number;
  to: number;
  /** The pipeline file's unified diff; empty when it did not change. */
  yaml: string;
  files: IFileDiff[];
  /** What the comparison cannot show (versions recorded before versions kept files). */
  notes: string[];
}

/** The answer to a rollback. */
export interface IRollback {
  pipeline: string;
  /** The new version, with the old version's files. */
  version: IPipelineVersion;
  /** The version recorded first from edits on disk that no version had; null for none. */
  recorded_edits: number | null;
  /** The files written, relative paths. */
  written: string[];
}

/** The part of the REST client the versions use. */
export type VersionsClient = Pick<OrchClient, 'request'>;

const seg = encodeURIComponent;

/** The pipeline's versions, newest first. */
export async function listVersions(
  client: VersionsClient,
  pipeline: string
): Promise<IPipelineVersion[]> {
  const data = await client.request<{ versions: IPipelineVersion[] }>(
    `pipelines/${seg(pipeline)}/versions`
  );
  return data.versions;
}

/** What changed from version `from` to version `to` (either may be the newer). */
export function versionDiff(
  client: VersionsClient,
  pipeline: string,
  from: number,
  to: number
): Promise<IVersionDiff> {
  return client.request<IVersionDiff>(
    `pipelines/${seg(pipeline)}/versions/${from}/diff/${to}`
  );
}

/** Writes version `version`'s files back to disk and records them as a new version. */
export function rollback(
  client: VersionsClient,
  pipeline: string,
  version: number
): Promise<IRollback> {
  return client.request<IRollback>(`pipelines/${seg(pipeline)}/rollback`, {
    method: 'POST',
    body: { version }
  });
}
