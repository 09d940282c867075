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
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { Widget } from '@lumino/widgets';

import type { IRun } from '../api/tokens';
import { cancelBackfillAsked } from '../backfill/cancel';
import type { PipelineBuilderWidget } from '../builder/builder';
import { formatDuration, statusLabel } from '../common/format';
import { trans } from '../common/i18n';
import { orchestrationIcon } from '../common/icons';
import { showError } from '../common/notify';
import { confirmed } from '../dialogs/confirm';
import { notebookPicker } from '../dialogs/notebookPicker';
import type { IOrchestration } from '../orchestration';
import type { OrchModel } from '../panel/model';
import type { IPanelActions } from '../panel/panel';
import type { RunDetailWidget } from '../run/runDetail';
import { CommandIDs, describeArgs } from './commandIds';

/** A run's outcome, as the notification says it: "Run of daily failed in 3.2 s". */
function finishedMessage(run: IRun): string {
  const status = statusLabel(run.status).toLowerCase();
  return run.duration_s !== null
    ? trans.__(
        'Run of %1 %2 in %3',
        run.pipeline,
        status,
        formatDuration(run.duration_s)
      )
    : trans.__('Run of %1 %2', run.pipeline, status);
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
      actions: [
        { label: trans.__('Open run'), callback: () => void openRun(run.id) }
      ]
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
          showError(
            error,
            paused
              ? trans.__('Could not pause %1', name)
              : trans.__('Could not resume %1', name)
          )
        ),
    setArchived: (name, archived) => void setArchived(model, name, archived),
    cancelBackfill: backfill => void cancelBackfillAsked(model, backfill)
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
      trans.__('Archive %1?', name),
      trans.__(
        '%1 stops firing: its schedule, events and webhooks start no run, and it cannot be run until it is unarchived; its running backfills are cancelled. It leaves the pipeline list (“Show archived” lists it). Its run history stays until retention removes it.',
        name
      ),
      trans.__('Archive')
    ))
  ) {
    return;
  }
  try {
    await model.setArchived(name, archived);
  } catch (error) {
    showError(
      error,
      archived
        ? trans.__('Could not archive %1', name)
        : trans.__('Could not unarchive %1', name)
    );
  }
}

/** Shows a view in a main-area tab that follows its title, tracked for the restorer. */
export async function showInMainArea<T extends Widget>(
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
export function activateOpen<T extends Widget>(
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
    label: trans.__('Show Orchestration'),
    caption: trans.__('Pipelines and runs'),
    icon: orchestrationIcon,
    execute: () => showPanel()
  });

  commands.addCommand(CommandIDs.refresh, {
    describedBy: describeArgs(),
    label: trans.__('Refresh Pipelines and Runs'),
    execute: () => model.refresh()
  });

  commands.addCommand(CommandIDs.openRun, {
    describedBy: describeArgs({
      id: { type: 'string', description: trans.__('the run id') }
    }),
    label: args =>
      args.id
        ? trans.__('Open Run %1', String(args.id))
        : trans.__('Open Run…'),
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
        onRunChanged: () => void model.refresh(),
        openFile: path => void docManager.openOrReveal(path),
        compareRuns: (a, b) =>
          void commands.execute(CommandIDs.compareRuns, { a, b })
      });
      await showInMainArea(shell, content, runs);
    }
  });

  // One for every builder: the dialog opens where it was last left
  const pickNotebooks = notebookPicker(docManager);
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
      pickNotebooks,
      runPipeline: async pipeline => {
        try {
          await openRun((await model.trigger(pipeline, {})).id);
        } catch (error) {
          showError(error, trans.__('Could not run %1', pipeline));
        }
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
    label: trans.__('New Pipeline'),
    caption: trans.__('Build a pipeline of notebooks'),
    icon: orchestrationIcon,
    execute: () => openBuilder()
  });

  commands.addCommand(CommandIDs.editPipeline, {
    describedBy: describeArgs({
      name: {
        type: 'string',
        description: trans.__('the pipeline; none: a new one')
      }
    }),
    label: args =>
      args.name
        ? trans.__('Edit Pipeline %1', String(args.name))
        : trans.__('Edit Pipeline'),
    execute: args => openBuilder(args.name ? String(args.name) : undefined)
  });

  commands.addCommand(CommandIDs.runPipeline, {
    describedBy: describeArgs({
      name: { type: 'string', description: trans.__('the pipeline to run') }
    }),
    label: args =>
      args.name
        ? trans.__('Run Pipeline %1…', String(args.name))
        : trans.__('Run Pipeline…'),
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
        showError(error, trans.__('Could not run %1', name));
      }
    }
  });

  commands.addCommand(CommandIDs.removePipeline, {
    label: args =>
      args.name
        ? trans.__('Remove Pipeline %1…', String(args.name))
        : trans.__('Remove Pipeline…'),
    describedBy: describeArgs({
      name: { type: 'string', description: trans.__('the pipeline') }
    }),
    execute: async args => {
      const name = String(args.name ?? '');
      if (!name) {
        return;
      }
      const remove = await confirmed(
        trans.__('Remove %1?', name),
        trans.__(
          'Orchestration forgets %1: its schedule and triggers stop, and its run history is deleted. Its YAML file and the output notebooks stay on disk; “Open in Orchestration” on the file registers it again. Archive it instead to keep its runs.',
          name
        ),
        trans.__('Remove')
      );
      if (!remove) {
        return;
      }
      try {
        await client.deletePipeline(name);
        builders.find(w => w.content.pipelineName === name)?.dispose();
        Notification.success(trans.__('Removed %1 from Orchestration', name), {
          autoClose: 5000
        });
      } catch (error) {
        showError(error, trans.__('Could not remove %1', name));
      }
      await model.refresh();
    }
  });

  if (palette) {
    const category = trans.__('Orchestration');
    for (const command of [
      CommandIDs.openPanel,
      CommandIDs.newPipeline,
      CommandIDs.refresh
    ]) {
      palette.addItem({ command, category });
    }
  }
}
