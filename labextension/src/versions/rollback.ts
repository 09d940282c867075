/**
 * "Roll back to this version": warns about unsaved documents among the files it would touch,
 * asks for confirmation, posts the rollback, says what happened and reloads the open documents
 * whose files it wrote, so that the editors show the rolled-back content.
 */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import type { IDocumentManager } from '@jupyterlab/docmanager';
import type { DocumentRegistry } from '@jupyterlab/docregistry';

import {
  IPipelineVersion,
  IRollback,
  rollback,
  VersionsClient
} from '../api/versions';
import { trans } from '../common/i18n';
import { showError } from '../common/notify';
import { confirmed } from '../dialogs/confirm';
import { normalizePath, versionPaths, writtenPaths } from './versionsModel';

export interface IRollbackContext {
  client: VersionsClient;
  docManager: IDocumentManager;
  shell: JupyterFrontEnd.IShell;
}

type Context = DocumentRegistry.Context;

/** The documents open in the main area (each once, however many views it has). */
function openDocuments(
  shell: JupyterFrontEnd.IShell,
  docManager: IDocumentManager
): Context[] {
  const contexts = new Set<Context>();
  for (const widget of shell.widgets('main')) {
    const context = docManager.contextForWidget(widget);
    if (context) {
      contexts.add(context);
    }
  }
  return Array.from(contexts);
}

/** A document's path relative to the server's root, as version paths are written. */
function pathOf(context: Context): string | null {
  return normalizePath(context.localPath ?? context.path);
}

function among(contexts: Context[], paths: Iterable<string>): Context[] {
  const wanted = new Set(paths);
  return contexts.filter(c => {
    const path = pathOf(c);
    return path !== null && wanted.has(path);
  });
}

/** Whether to go on although `paths` have unsaved changes in the lab. */
function confirmUnsaved(paths: string[]): Promise<boolean> {
  return confirmed(
    trans._n(
      'A file to roll back has unsaved changes',
      'Files to roll back have unsaved changes',
      paths.length
    ),
    trans.__(
      'Unsaved changes in %1 would be lost or conflict with the rolled-back files. Save or discard them first, or roll back anyway.',
      paths.join(', ')
    ),
    trans.__('Roll back anyway')
  );
}

function confirmRollback(
  pipeline: string,
  version: IPipelineVersion,
  paths: string[]
): Promise<boolean> {
  return confirmed(
    trans.__('Roll back %1 to version %2?', pipeline, version.version),
    trans.__(
      'The files on disk (%1) are overwritten with version %2’s files. Edits on disk that no version holds yet are first recorded as a version of their own, so nothing is lost, and the rollback is recorded as a new version number.',
      paths.join(', '),
      version.version
    ),
    trans.__('Roll back')
  );
}

function notifyDone(result: IRollback, from: number): void {
  const { pipeline, version, recorded_edits: edits } = result;
  Notification.success(
    edits
      ? trans.__(
          'Rolled back %1 to version %2 as version %3 (the edits on disk before it are version %4)',
          pipeline,
          from,
          version.version,
          edits
        )
      : trans.__(
          'Rolled back %1 to version %2 as version %3',
          pipeline,
          from,
          version.version
        ),
    { autoClose: 6000 }
  );
}

/**
 * Rolls `pipeline` back to `version` once the user agrees; `latest` is the newest version,
 * whose files the rollback replaces. True when the rollback was made.
 */
export async function rollBackTo(
  ctx: IRollbackContext,
  pipeline: string,
  version: IPipelineVersion,
  latest: IPipelineVersion
): Promise<boolean> {
  // The server writes version's files where the pipeline file is now (latest's path)
  const target = versionPaths({
    path: latest.path ?? version.path,
    files: version.files
  });
  const touched = [
    ...target,
    ...versionPaths(version),
    ...versionPaths(latest)
  ];
  const unsaved = among(openDocuments(ctx.shell, ctx.docManager), touched)
    .filter(c => c.model.dirty)
    .map(c => pathOf(c) ?? c.path);
  if (unsaved.length > 0 && !(await confirmUnsaved(unsaved))) {
    return false;
  }
  if (!(await confirmRollback(pipeline, version, target))) {
    return false;
  }
  let result: IRollback;
  try {
    result = await rollback(ctx.client, pipeline, version.version);
  } catch (error) {
    showError(error, trans.__('Could not roll back %1', pipeline));
    return false;
  }
  notifyDone(result, version.version);
  const written = writtenPaths(result.written, latest.path ?? version.path);
  const reload = among(openDocuments(ctx.shell, ctx.docManager), written);
  await Promise.all(
    reload
      .filter(c => !c.model.dirty)
      .map(c => c.revert().catch(error => showError(error)))
  );
  return true;
}
