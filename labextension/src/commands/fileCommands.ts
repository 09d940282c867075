/**
 * The commands on a file, of jupyter-orch's notebook and editor plugins: "Schedule this
 * notebook..." and "Open in Orchestration" (pipeline YAML). The core plugin's commands are in
 * coreCommands.ts.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { ICommandPalette, Notification } from '@jupyterlab/apputils';
import { PathExt } from '@jupyterlab/coreutils';
import type { Contents } from '@jupyterlab/services';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { IEditorTracker } from '@jupyterlab/fileeditor';
import { INotebookTracker } from '@jupyterlab/notebook';

import { orchestrationIcon, scheduleIcon } from '../common/icons';
import { showError } from '../common/notify';
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
  /** The notebook the command is about: a file browser item, else the current notebook. */
  const target = (args: { path?: unknown }): string | null =>
    (typeof args.path === 'string' && args.path) ||
    contextMenuFile(app, fileBrowser, item => item.type === 'notebook') ||
    (notebooks.currentWidget?.context.path ?? null);

  app.commands.addCommand(CommandIDs.scheduleNotebook, {
    describedBy: describeArgs({
      path: {
        type: 'string',
        description: 'the notebook; default: the selected or current one'
      },
      toolbar: {
        type: 'boolean',
        description: 'shown in a toolbar (icon only)'
      }
    }),
    // In the toolbar the icon alone, with the label as its tooltip
    label: args => (args.toolbar ? '' : 'Schedule this notebook...'),
    caption: 'Schedule this notebook...',
    icon: scheduleIcon,
    execute: async args => {
      const path = target(args);
      if (!path) {
        Notification.warning('Open a notebook first, then schedule it.');
        return;
      }
      const current = notebooks.currentWidget;
      if (
        current &&
        current.context.path === path &&
        current.context.model.dirty
      ) {
        // The schedule runs the file on disk: save what the user sees first.
        await current.context.save();
      }
      try {
        const { scheduleNotebookDialog } = await import('../dialogs/dialogs');
        const result = await scheduleNotebookDialog(orch.client, path);
        if (!result) {
          return;
        }
        const { pipeline, run } = result;
        const words = pipeline.schedule?.description ?? 'no schedule';
        if (run) {
          orch.watch(run);
          Notification.success(
            `${pipeline.name} is running now${pipeline.schedule ? `, then ${words}` : ''}`,
            {
              autoClose: 8000,
              actions: [
                {
                  label: 'Open run',
                  callback: () => void orch.openRun(run.id)
                }
              ]
            }
          );
        } else {
          Notification.success(`Scheduled ${pipeline.name}: ${words}`, {
            autoClose: 8000,
            actions: [
              {
                label: 'Show in Orchestration',
                callback: () => orch.showPanel()
              }
            ]
          });
        }
        await orch.model.refresh();
        orch.showPanel();
      } catch (error) {
        showError(error, `Could not schedule ${PathExt.basename(path)}`);
      }
    }
  });

  if (palette) {
    palette.addItem({
      command: CommandIDs.scheduleNotebook,
      category: 'Orchestration'
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
  /** The YAML file: a file browser item, else the one the editor shows. */
  const target = (args: { path?: unknown }): string | null => {
    if (typeof args.path === 'string' && args.path) {
      return args.path;
    }
    const picked = contextMenuFile(app, fileBrowser, item => isYaml(item.path));
    const current = editors.currentWidget?.context.path;
    return picked ?? (current && isYaml(current) ? current : null);
  };

  app.commands.addCommand(CommandIDs.openInOrchestration, {
    describedBy: describeArgs({
      path: {
        type: 'string',
        description: 'the YAML file; default: the selected or edited one'
      }
    }),
    label: 'Open in Orchestration',
    caption:
      'Register this pipeline file and show it in the Orchestration panel',
    icon: orchestrationIcon,
    isEnabled: args => target(args) !== null,
    execute: async args => {
      const path = target(args);
      if (!path) {
        Notification.warning('Open a pipeline .yaml file in the editor first.');
        return;
      }
      // Register what the user sees: an open editor's unsaved text is saved first
      const open = editors.find(w => w.context.path === path);
      if (open?.context.model.dirty) {
        await open.context.save();
      }
      try {
        const pipeline = await orch.client.register({ path });
        Notification.success(
          `Registered ${pipeline.name} (version ${pipeline.version}) from ${path}`,
          { autoClose: 6000 }
        );
        await orch.model.refresh();
        orch.showPanel();
      } catch (error) {
        showError(error, `Could not register ${path}`);
      }
    }
  });
  if (palette) {
    palette.addItem({
      command: CommandIDs.openInOrchestration,
      category: 'Orchestration'
    });
  }
}
