/**
 * The commands on a file, of jupyter-orch's notebook and editor plugins: "Schedule this
 * notebook..." and "Open in Orchestration" (pipeline YAML). The core plugin's commands are in
 * coreCommands.ts.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import {
  ICommandPalette,
  IWidgetTracker,
  Notification
} from '@jupyterlab/apputils';
import { PathExt } from '@jupyterlab/coreutils';
import type { IDocumentWidget } from '@jupyterlab/docregistry';
import type { Contents } from '@jupyterlab/services';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { IEditorTracker } from '@jupyterlab/fileeditor';
import { INotebookTracker } from '@jupyterlab/notebook';

import { trans } from '../common/i18n';
import { orchestrationIcon, scheduleIcon } from '../common/icons';
import { showError } from '../common/notify';
import { confirmReplace } from '../dialogs/confirm';
import { registerOrReplace } from '../dialogs/conflicts';
import type { IOrchestration } from '../orchestration';
import { CommandIDs, describeArgs } from './commandIds';

/** "Schedule this notebook...": a one-step pipeline from the notebook's toolbar. */
export function addNotebookCommands(
  app: JupyterFrontEnd,
  orch: IOrchestration,
  notebooks: INotebookTracker,
  palette: ICommandPalette | null,
  fileBrowser: IDefaultFileBrowser | null
): void {
  /** The notebook the command is about: a file browser item, else the current widget's. */
  const target = (args: { path?: unknown }): string | null =>
    (typeof args.path === 'string' && args.path) ||
    contextMenuFile(app, fileBrowser, item => item.type === 'notebook') ||
    (currentOf(app, notebooks)?.context.path ?? null);

  app.commands.addCommand(CommandIDs.scheduleNotebook, {
    describedBy: describeArgs({
      path: {
        type: 'string',
        description: trans.__(
          'the notebook; default: the selected or current one'
        )
      },
      toolbar: {
        type: 'boolean',
        description: trans.__('shown in a toolbar (icon only)')
      }
    }),
    // In the toolbar the icon alone, with the label as its tooltip
    label: args => (args.toolbar ? '' : trans.__('Schedule this notebook...')),
    caption: trans.__('Schedule this notebook...'),
    icon: scheduleIcon,
    // A notebook's toolbar button stays enabled: clicking it focuses its notebook, which
    // becomes the current widget before the command runs.
    isEnabled: args => !!args.toolbar || target(args) !== null,
    execute: async args => {
      const path = target(args);
      if (!path) {
        Notification.warning(
          trans.__('Open a notebook first, then schedule it.')
        );
        return;
      }
      // The schedule runs the file on disk: save what the user sees first.
      await saveIfDirty(notebooks, path);
      try {
        const { scheduleNotebookDialog } = await import('../dialogs/dialogs');
        const result = await scheduleNotebookDialog(orch.client, path);
        if (!result) {
          return;
        }
        const { pipeline, run } = result;
        const words = pipeline.schedule?.description;
        if (run) {
          orch.watch(run);
          Notification.success(
            words
              ? trans.__('%1 is running now, then %2', pipeline.name, words)
              : trans.__('%1 is running now', pipeline.name),
            {
              autoClose: 8000,
              actions: [
                {
                  label: trans.__('Open run'),
                  callback: () => void orch.openRun(run.id)
                }
              ]
            }
          );
        } else {
          const scheduled = trans.__(
            'Scheduled %1: %2',
            pipeline.name,
            words ?? trans.__('no schedule')
          );
          Notification.success(scheduled, {
            autoClose: 8000,
            actions: [
              {
                label: trans.__('Show in Orchestration'),
                callback: () => orch.showPanel()
              }
            ]
          });
        }
        await orch.model.refresh();
        orch.showPanel();
      } catch (error) {
        showError(
          error,
          trans.__('Could not schedule %1', PathExt.basename(path))
        );
      }
    }
  });

  if (palette) {
    palette.addItem({
      command: CommandIDs.scheduleNotebook,
      category: trans.__('Orchestration')
    });
  }
}

/** The file browser item a context-menu command was invoked on, if it was and it fits. */
function contextMenuFile(
  app: JupyterFrontEnd,
  fileBrowser: IDefaultFileBrowser | null,
  accept: (item: Contents.IModel) => boolean
): string | null {
  const node = app.contextMenuHitTest(n =>
    n.classList.contains('jp-DirListing-item')
  );
  if (!node || !fileBrowser) {
    return null;
  }
  const item = fileBrowser.selectedItems().next();
  return !item.done && accept(item.value) ? item.value.path : null;
}

/**
 * The tracker's widget when it is the shell's current widget; null when another widget (an
 * editor, a console, a run) is current, even if the tracker's widget was the last one focused.
 */
function currentOf<T extends IDocumentWidget>(
  app: JupyterFrontEnd,
  tracker: IWidgetTracker<T>
): T | null {
  const widget = tracker.currentWidget;
  return widget && widget === app.shell.currentWidget ? widget : null;
}

/** Saves the open document of `path` if it has unsaved changes: the server reads the file. */
async function saveIfDirty<T extends IDocumentWidget>(
  tracker: IWidgetTracker<T>,
  path: string
): Promise<void> {
  const open = tracker.find(w => w.context.path === path);
  if (open?.context.model.dirty) {
    await open.context.save();
  }
}

/** A file the editor shows is a pipeline file when it is YAML. */
function isYaml(path: string): boolean {
  return /\.ya?ml$/i.test(path);
}

/** "Open in Orchestration": registers the pipeline YAML open in the editor. */
export function addEditorCommands(
  app: JupyterFrontEnd,
  orch: IOrchestration,
  editors: IEditorTracker,
  palette: ICommandPalette | null,
  fileBrowser: IDefaultFileBrowser | null
): void {
  /** The YAML file: a file browser item, else the one the current editor shows. */
  const target = (args: { path?: unknown }): string | null => {
    if (typeof args.path === 'string' && args.path) {
      return args.path;
    }
    const picked = contextMenuFile(app, fileBrowser, item => isYaml(item.path));
    const current = currentOf(app, editors)?.context.path;
    return picked ?? (current && isYaml(current) ? current : null);
  };

  app.commands.addCommand(CommandIDs.openInOrchestration, {
    describedBy: describeArgs({
      path: {
        type: 'string',
        description: trans.__(
          'the YAML file; default: the selected or edited one'
        )
      }
    }),
    label: trans.__('Open in Orchestration'),
    caption: trans.__(
      'Register this pipeline file and show it in the Orchestration panel'
    ),
    icon: orchestrationIcon,
    isEnabled: args => target(args) !== null,
    execute: async args => {
      const path = target(args);
      if (!path) {
        Notification.warning(
          trans.__('Open a pipeline .yaml file in the editor first.')
        );
        return;
      }
      // Register what the user sees: an open editor's unsaved text is saved first
      await saveIfDirty(editors, path);
      try {
        const pipeline = await registerOrReplace(
          orch.client,
          { path },
          confirmReplace
        );
        if (!pipeline) {
          return;
        }
        Notification.success(
          trans.__(
            'Registered %1 (version %2) from %3',
            pipeline.name,
            pipeline.version,
            path
          ),
          { autoClose: 6000 }
        );
        await orch.model.refresh();
        orch.showPanel();
      } catch (error) {
        showError(error, trans.__('Could not register %1', path));
      }
    }
  });
  if (palette) {
    palette.addItem({
      command: CommandIDs.openInOrchestration,
      category: trans.__('Orchestration')
    });
  }
}
