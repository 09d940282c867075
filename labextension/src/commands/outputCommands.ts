/**
 * The output notebooks plugin's commands: open a step's output notebook read-only at the cell
 * where it failed, and open it as a copy to edit (a new notebook in the home folder, with a
 * kernel; the run's own file is never changed). The read-only factory and the runs drive
 * (`OrchRuns:<run id>/<name>`, for run folders outside the root) are in output/.
 */
import { ILayoutRestorer, JupyterFrontEnd } from '@jupyterlab/application';
import { Notification, WidgetTracker } from '@jupyterlab/apputils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { NotebookPanel, NotebookWidgetFactory } from '@jupyterlab/notebook';
import { Contents, ServerConnection } from '@jupyterlab/services';
import { ToolbarButton } from '@jupyterlab/ui-components';

import { createClient } from '../api/connection';
import { trans } from '../common/i18n';
import { showError } from '../common/notify';
import { copyPath } from '../output/outputNotebook';
import {
  OUTPUT_FACTORY,
  registerOutputFactory,
  showFailedCell
} from '../output/readOnlyNotebook';
import { RunsDrive } from '../output/runsDrive';
import { CommandIDs, describeArgs } from './commandIds';

/** Copies made of one output notebook before its name is given up on. */
const MAX_COPIES = 100;

async function exists(
  contents: Contents.IManager,
  path: string
): Promise<boolean> {
  try {
    await contents.get(path, { content: false });
    return true;
  } catch (error) {
    if (
      error instanceof ServerConnection.ResponseError &&
      error.response.status === 404
    ) {
      return false;
    }
    throw error;
  }
}

/**
 * Writes a copy of the output notebook under the first free name in the home folder (of the
 * default drive, also for a notebook of the runs drive); the copy's path.
 */
async function copyOutputNotebook(
  contents: Contents.IManager,
  path: string
): Promise<string> {
  const local = contents.localPath(path);
  for (let n = 1; n <= MAX_COPIES; n++) {
    const target = copyPath(local, n);
    if (await exists(contents, target)) {
      continue;
    }
    const source = await contents.get(path, {
      type: 'notebook',
      content: true
    });
    await contents.save(target, {
      type: 'notebook',
      format: 'json',
      content: source.content
    });
    return target;
  }
  throw new Error(trans.__('%1 copies of %2 exist already', MAX_COPIES, path));
}

/** "Go to error" and "Open as a copy to edit" in an output notebook's toolbar. */
function outputToolbar(commands: JupyterFrontEnd['commands']) {
  return (panel: NotebookPanel) => {
    const goToError = new ToolbarButton({
      label: trans.__('Go to error'),
      tooltip: trans.__('Scroll to the cell where the run failed'),
      onClick: () => void showFailedCell(panel)
    });
    goToError.addClass('jp-OrchOutputNotebook-goToError');
    const copy = new ToolbarButton({
      label: trans.__('Open as a copy to edit'),
      tooltip: trans.__(
        'Copy this notebook to your home folder and open the copy with a kernel (this one is the record of a run and stays as it is)'
      ),
      onClick: () =>
        void commands.execute(CommandIDs.copyOutputNotebook, {
          path: panel.context.path
        })
    });
    return [
      { name: 'go-to-error', widget: goToError },
      { name: 'copy-to-edit', widget: copy }
    ];
  };
}

/** A command on the output notebook its `path` argument names (none: nothing to do). */
function addPathCommand(
  app: JupyterFrontEnd,
  id: string,
  text: { label: string; caption: string },
  execute: (path: string) => Promise<void>
): void {
  app.commands.addCommand(id, {
    ...text,
    describedBy: describeArgs({
      path: {
        type: 'string',
        description: trans.__(
          'the output notebook: relative to the server root, or OrchRuns:<run id>/<name>'
        )
      }
    }),
    execute: args => (args.path ? execute(String(args.path)) : undefined)
  });
}

/** Copies the output notebook and opens the copy as any notebook (with a kernel). */
async function openCopy(
  app: JupyterFrontEnd,
  docManager: IDocumentManager,
  path: string
): Promise<void> {
  try {
    const copy = await copyOutputNotebook(app.serviceManager.contents, path);
    docManager.openOrReveal(copy);
    Notification.info(
      trans.__(
        'Copied to %1: edit and run it there; the run’s notebook stays as it was',
        copy
      ),
      { autoClose: 6000 }
    );
  } catch (error) {
    showError(error, trans.__('Could not copy %1', path));
  }
}

/** Opens the output notebook read-only, at the cell where its run failed. */
async function openReadOnly(
  docManager: IDocumentManager,
  path: string
): Promise<void> {
  const open = docManager.findWidget(path, OUTPUT_FACTORY);
  const panel = docManager.openOrReveal(path, OUTPUT_FACTORY);
  // A new panel goes to the failed cell by itself; one already open goes back to it.
  if (open && panel instanceof NotebookPanel) {
    await showFailedCell(panel);
  }
}

/** Output notebooks open when the page was reloaded open again, read-only. */
function restoreOutputNotebooks(
  factory: NotebookWidgetFactory,
  restorer: ILayoutRestorer
): void {
  const tracker = new WidgetTracker<NotebookPanel>({
    namespace: 'jupyter-orch-output-notebook'
  });
  factory.widgetCreated.connect((_, panel) => {
    panel.context.pathChanged.connect(() => void tracker.save(panel));
    void tracker.add(panel);
  });
  void restorer.restore(tracker, {
    command: 'docmanager:open',
    args: panel => ({ path: panel.context.path, factory: OUTPUT_FACTORY }),
    name: panel => panel.context.path
  });
}

/**
 * Registers "Open as a copy to edit", and the read-only output notebook factory with its command
 * (not when the notebook factory is not JupyterLab's: the run detail then opens output
 * notebooks as any notebook).
 */
export function addOutputNotebooks(
  app: JupyterFrontEnd,
  docManager: IDocumentManager,
  notebooks: NotebookWidgetFactory.IFactory,
  restorer: ILayoutRestorer | null
): void {
  // Before the layout is restored: reopened notebooks may be on it
  const { contents, serverSettings } = app.serviceManager;
  contents.addDrive(
    new RunsDrive(createClient(serverSettings), serverSettings)
  );
  addPathCommand(
    app,
    CommandIDs.copyOutputNotebook,
    {
      label: trans.__('Open as a Copy to Edit'),
      caption: trans.__(
        'Copy the output notebook to the home folder and open the copy'
      )
    },
    path => openCopy(app, docManager, path)
  );
  const factory = registerOutputFactory(
    app.docRegistry,
    app.serviceManager.contents,
    notebooks,
    outputToolbar(app.commands)
  );
  if (!factory) {
    return;
  }
  addPathCommand(
    app,
    CommandIDs.openOutputNotebook,
    {
      label: trans.__('Open Output Notebook'),
      caption: trans.__(
        'Read-only, with no kernel, at the cell where the run failed'
      )
    },
    path => openReadOnly(docManager, path)
  );
  if (restorer) {
    restoreOutputNotebooks(factory, restorer);
  }
}
