/**
 * Pure helpers of the version history: who recorded a version in words, which files of the
 * server's root a version holds, which two versions to compare. Unit-tested.
 */
import type { IPipelineVersion } from '../api/versions';
import { trans } from '../common/i18n';

/** Who recorded a version: a user's name, "Scheduler", "API token 1a2b3c4d", "Unknown". */
export function actorLabel(createdBy: string | null | undefined): string {
  if (!createdBy) {
    return trans.__('Unknown');
  }
  if (createdBy === 'scheduler') {
    return trans.__('Scheduler');
  }
  const [kind, ...rest] = createdBy.split(':');
  const id = rest.join(':');
  if (id && kind === 'token') {
    return trans.__('API token %1', id);
  }
  if (id && kind === 'webhook') {
    return trans.__('Webhook %1', id);
  }
  return createdBy;
}

/** `a/b/../c/./d` as `a/c/d`; null when it climbs above the root. */
export function normalizePath(path: string): string | null {
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') {
      continue;
    }
    if (part === '..') {
      if (parts.length === 0) {
        return null;
      }
      parts.pop();
    } else {
      parts.push(part);
    }
  }
  return parts.join('/');
}

/** The folder of a root-relative path ('' for the root). */
export function folderOf(path: string): string {
  const index = path.lastIndexOf('/');
  return index < 0 ? '' : path.slice(0, index);
}

/** A path relative to `folder` (both under the root) as a root-relative path. */
export function underFolder(folder: string, path: string): string | null {
  return normalizePath(folder ? `${folder}/${path}` : path);
}

/**
 * The root-relative paths of a version's files: the pipeline file and each file its steps read
 * (recorded relative to the pipeline file's folder).
 */
export function versionPaths(
  version: Pick<IPipelineVersion, 'path' | 'files'>
): string[] {
  if (!version.path) {
    return [];
  }
  const folder = folderOf(version.path);
  const paths = [normalizePath(version.path)];
  for (const file of version.files ?? []) {
    paths.push(underFolder(folder, file.path));
  }
  return unique(paths.filter((p): p is string => !!p));
}

/**
 * The root-relative paths a rollback may have written: each path of its answer as given and
 * read from the pipeline file's folder (the answer's paths are relative, to one of them).
 */
export function writtenPaths(
  written: string[],
  yamlPath: string | null
): string[] {
  const folder = yamlPath ? folderOf(yamlPath) : '';
  const paths = written.flatMap(p => [
    normalizePath(p),
    underFolder(folder, p)
  ]);
  return unique(paths.filter((p): p is string => !!p));
}

function unique(paths: string[]): string[] {
  return Array.from(new Set(paths));
}

/** The version before `version` in a newest-first list; null for the oldest. */
export function previousVersion(
  versions: readonly Pick<IPipelineVersion, 'version'>[],
  version: number
): number | null {
  const older = versions
    .map(v => v.version)
    .filter(v => v < version)
    .sort((a, b) => b - a);
  return older.length ? older[0] : null;
}

/** The two selected versions as [older, newer]; null unless exactly two are selected. */
export function comparePair(selected: number[]): [number, number] | null {
  if (selected.length !== 2) {
    return null;
  }
  const [a, b] = selected;
  return a < b ? [a, b] : [b, a];
}

/** Selecting a version keeps the last two selected (the older choice drops out). */
export function toggleSelected(selected: number[], version: number): number[] {
  if (selected.includes(version)) {
    return selected.filter(v => v !== version);
  }
  return [...selected, version].slice(-2);
}
