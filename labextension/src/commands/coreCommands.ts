/**
 * The core plugin's commands (the panel, runs, the builder, pipeline actions), and how the
 * views they open are shown: the plugin definition in index.ts creates the shared state and
 * calls these.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import {
  ICommandPalette,
  MainAreaWidget,
  Notification,
  WidgetTracker
} from '@jupyterlab/apputils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { FileDialog, IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { Widget } from '@lumino/widgets';

import type { IRun } from '../api/tokens';
import type { PipelineBuilderWidget } from '../builder/builder';
import { formatDuration, statusLabel } from '../common/format';
import { orchestrationIcon } from '../common/icons';
import { showError } from '../common/notify';
import { confirmed } from '../dialogs/confirm';
import type { IOrchestration } from '../orchestration';
import type { OrchModel } from '../panel/model';
import type { IPanelActions } from '../panel/panel';
import type { RunDetailWidget } from '../run/runDetail';
import { CommandIDs, describeArgs } from './commandIds';

/** A run's outcome, as the notification says it. */
function finishedMessage(run: IRun): string {
  const took =
    run.duration_s !== null ? ` in ${formatDuration(run.duration_s)}` : '';
  return `Run of ${run.pipeline} ${statusLabel(run.status).toLowerCase()}${took}`;
}

/** How a finished run is notified: a failure stays until closed; a cancelled run is no error. */
function notifierFor(run: IRun): {
  notify: typeof Notification.info;
  autoClose: number | false;
} {
  switch (run.status) {
    case 'succeeded':
      return { notify: Notification.success, autoClose: 8000 };
    case 'cancelled':
      return { notify: Notification.info, autoClose: 8000 };
    default:
      return { notify: Notification.error, autoClose: false };
  }
}

/** A notification for each watched run when it finishes, with a link to it. */
export function notifyFinishedRuns(
  model: OrchModel,
  openRun: (id: string) => Promise<void>
): void {
  model.runFinished.connect((_, run) => {
    const { notify, autoClose } = notifierFor(run);
    notify(finishedMessage(run), {
      autoClose,
      actions: [{ label: 'Open run', callback: () => void openRun(run.id) }]
    });
  });
}

/** What the panel's buttons do: mostly the commands, so that they are one place. */
export function panelActions(
  commands: JupyterFrontEnd['commands'],
  model: OrchModel,
  openRun: (id: string) => Promise<void>
): IPanelActions {
  return {
    newPipeline: () => void commands.execute(CommandIDs.newPipeline),
    editPipeline: name =>
      void commands.execute(CommandIDs.editPipeline, { name }),
    runPipeline: name =>
      void commands.execute(CommandIDs.runPipeline, { name }),
    removePipeline: name =>
      void commands.execute(CommandIDs.removePipeline, { name }),
    openRun: id => void openRun(id),
    setPaused: (name, paused) =>
      void model
        .setPaused(name, paused)
        .catch(error =>
          showError(error, `Could not ${paused ? 'pause' : 'resume'} ${name}`)
        ),
    setArchived: (name, archived) => void setArchived(model, name, archived)
  };
}

/** Archives a pipeline once the user confirms, or unarchives it. */
async function setArchived(
  model: OrchModel,
  name: string,
  archived: boolean
): Promise<void> {
  if (
    archived &&
    !(await confirmed(
      `Archive ${name}?`,
      `${name} stops firing: its schedule, events and webhooks start no run, and it cannot ` +
        'be run until it is unarchived. It leaves the pipeline list (“Show archived” lists ' +
        'it). Its run history stays until retention removes it.',
      'Archive'
    ))
  ) {
    return;
  }
  try {
    await model.setArchived(name, archived);
  } catch (error) {
    showError(error, `Could not ${archived ? 'archive' : 'unarchive'} ${name}`);
  }
}

/** Shows a view in a main-area tab that follows its title, tracked for the restorer. */
async function showInMainArea<T extends Widget>(
  shell: JupyterFrontEnd.IShell,
  content: T,
  tracker: WidgetTracker<MainAreaWidget<T>>
): Promise<MainAreaWidget<T>> {
  const widget = new MainAreaWidget({ content });
  // The tab's widget keeps the id; its content gets another (ids are unique in a page)
  widget.id = content.id;
  content.id = `${widget.id}-content`;
  widget.title.label = content.title.label;
  widget.title.icon = orchestrationIcon;
  widget.title.closable = true;
  content.title.changed.connect(() => {
    widget.title.label = content.title.label;
  });
  await tracker.add(widget);
  shell.add(widget, 'main');
  shell.activateById(widget.id);
  return widget;
}

/** Activates the main-area tab of `tracker` whose view `isIt` picks; false when none is open. */
function activateOpen<T extends Widget>(
  shell: JupyterFrontEnd.IShell,
  tracker: WidgetTracker<MainAreaWidget<T>>,
  isIt: (content: T) => boolean
): boolean {
  const open = tracker.find(w => isIt(w.content));
  if (open) {
    shell.activateById(open.id);
  }
  return !!open;
}

/** The main-area views the core plugin opens, tracked for the layout restorer. */
export interface IViewTrackers {
  runs: WidgetTracker<MainAreaWidget<RunDetailWidget>>;
  builders: WidgetTracker<MainAreaWidget<PipelineBuilderWidget>>;
}

/** The core plugin's commands: the panel, runs, the builder and pipeline actions. */
export function addCoreCommands(
  app: JupyterFrontEnd,
  orch: IOrchestration,
  trackers: IViewTrackers,
  docManager: IDocumentManager,
  palette: ICommandPalette | null,
  fileBrowser: IDefaultFileBrowser | null
): void {
  const { commands, shell } = app;
  const { client, model, showPanel, openRun, watch } = orch;
  const { runs, builders } = trackers;
  // Read-only at its error (the output notebooks plugin); else as any notebook.
  const openOutputNotebook = (path: string) =>
    commands.hasCommand(CommandIDs.openOutputNotebook)
      ? commands.execute(CommandIDs.openOutputNotebook, { path })
      : docManager.openOrReveal(path);

  commands.addCommand(CommandIDs.openPanel, {
    describedBy: describeArgs(),
    label: 'Show Orchestration',
    caption: 'Pipelines and runs',
    icon: orchestrationIcon,
    execute: () => showPanel()
  });

  commands.addCommand(CommandIDs.refresh, {
    describedBy: describeArgs(),
    label: 'Refresh Pipelines and Runs',
    execute: () => model.refresh()
  });

  commands.addCommand(CommandIDs.openRun, {
    describedBy: describeArgs({
      id: { type: 'string', description: 'the run id' }
    }),
    label: args => (args.id ? `Open Run ${String(args.id)}` : 'Open Run…'),
    execute: async args => {
      const id = String(args.id ?? '');
      if (!id) {
        return;
      }
      if (activateOpen(shell, runs, content => content.runId === id)) {
        return;
      }
      // The run view (and dagre) load when a run is first opened
      const { RunDetailWidget } = await import('../run/runDetail');
      const content = new RunDetailWidget({
        client,
        runId: id,
        openNotebook: path => void openOutputNotebook(path),
        copyNotebook: path =>
          void commands.execute(CommandIDs.copyOutputNotebook, { path }),
        onRunStarted: run => {
          watch(run);
          void model.refresh();
          void openRun(run.id);
        },
        editPipeline: name =>
          void commands.execute(CommandIDs.editPipeline, { name }),
        openRun: other => void openRun(other),
        onRunChanged: () => void model.refresh()
      });
      await showInMainArea(shell, content, runs);
    }
  });

  const openBuilder = async (name?: string) => {
    if (
      activateOpen(shell, builders, content => content.pipelineName === name)
    ) {
      return;
    }
    const { PipelineBuilderWidget } = await import('../builder/builder');
    const content = new PipelineBuilderWidget({
      client,
      pipeline: name,
      cwd: fileBrowser?.model.path ?? '',
      pickNotebook: async () => {
        const result = await FileDialog.getOpenFiles({
          manager: docManager,
          title: 'Pick a notebook for this step',
          filter: item =>
            item.type === 'notebook' || item.type === 'directory' ? {} : null
        });
        const picked = result.button.accept ? result.value : null;
        const notebook = picked?.find(item => item.type === 'notebook');
        return notebook ? notebook.path : null;
      },
      onSaved: () => {
        // Restored after a reload as the pipeline it now is
        void builders.save(widget);
        void model.refresh();
      },
      openFile: path => void docManager.openOrReveal(path, 'Editor'),
      readFile: async path => {
        const file = await app.serviceManager.contents.get(path, {
          type: 'file',
          format: 'text',
          content: true
        });
        return String(file.content);
      }
    });
    const widget = await showInMainArea(shell, content, builders);
  };

  commands.addCommand(CommandIDs.newPipeline, {
    describedBy: describeArgs(),
    label: 'New Pipeline',
    caption: 'Build a pipeline of notebooks',
    icon: orchestrationIcon,
    execute: () => openBuilder()
  });

  commands.addCommand(CommandIDs.editPipeline, {
    describedBy: describeArgs({
      name: {
        type: 'string',
        description: 'the pipeline; none: a new one'
      }
    }),
    label: args =>
      args.name ? `Edit Pipeline ${String(args.name)}` : 'Edit Pipeline',
    execute: args => openBuilder(args.name ? String(args.name) : undefined)
  });

  commands.addCommand(CommandIDs.runPipeline, {
    describedBy: describeArgs({
      name: { type: 'string', description: 'the pipeline to run' }
    }),
    label: args =>
      args.name ? `Run Pipeline ${String(args.name)}…` : 'Run Pipeline…',
    execute: async args => {
      const name = String(args.name ?? '');
      if (!name) {
        return;
      }
      try {
        const { runPipelineDialog } = await import('../dialogs/dialogs');
        const run = await runPipelineDialog(client, name, parameters =>
          model.trigger(name, parameters)
        );
        if (run) {
          await openRun(run.id);
        }
      } catch (error) {
        showError(error, `Could not run ${name}`);
      }
    }
  });

  commands.addCommand(CommandIDs.removePipeline, {
    label: args =>
      args.name ? `Remove Pipeline ${String(args.name)}…` : 'Remove Pipeline…',
    describedBy: describeArgs({
      name: { type: 'string', description: 'the pipeline' }
    }),
    execute: async args => {
      const name = String(args.name ?? '');
      if (!name) {
        return;
      }
      const remove = await confirmed(
        `Remove ${name}?`,
        `Orchestration forgets ${name}: its schedule and triggers stop, and its run ` +
          'history is deleted. Its YAML file and the output notebooks stay on disk; ' +
          '“Open in Orchestration” on the file registers it again. Archive it instead ' +
          'to keep its runs.',
        'Remove'
      );
      if (!remove) {
        return;
      }
      try {
        await client.deletePipeline(name);
        builders.find(w => w.content.pipelineName === name)?.dispose();
        Notification.success(`Removed ${name} from Orchestration`, {
          autoClose: 5000
        });
      } catch (error) {
        showError(error, `Could not remove ${name}`);
      }
      await model.refresh();
    }
  });

  if (palette) {
    const category = 'Orchestration';
    for (const command of [
      CommandIDs.openPanel,
      CommandIDs.newPipeline,
      CommandIDs.refresh
    ]) {
      palette.addItem({ command, category });
    }
  }
}
