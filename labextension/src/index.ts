/**
 * jupyter-orch's JupyterLab plugins: the Orchestration sidebar and what opens from it (core),
 * "Schedule this notebook..." (notebook), "Open in Orchestration" for pipeline YAML (editor),
 * output notebooks opened read-only at their error (output-notebooks), and a launcher card
 * (launcher). Toolbar buttons and menu items are declared in schema/*.json; the commands are in
 * commands/ (commands.ts gathers them).
 */
import {
  ILayoutRestorer,
  IRouter,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  ICommandPalette,
  MainAreaWidget,
  WidgetTracker
} from '@jupyterlab/apputils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { IEditorTracker } from '@jupyterlab/fileeditor';
import { ILauncher } from '@jupyterlab/launcher';
import {
  INotebookTracker,
  INotebookWidgetFactory,
  NotebookWidgetFactory
} from '@jupyterlab/notebook';
import { ITranslator } from '@jupyterlab/translation';

import { activityPlugin } from './activity/commands';
import { backfillPlugin } from './backfill/commands';
import { createClient } from './api/connection';
import type { IRun } from './api/tokens';
import type { PipelineBuilderWidget } from './builder/builder';
import {
  addCoreCommands,
  addEditorCommands,
  addNotebookCommands,
  CommandIDs,
  notifyFinishedRuns,
  panelActions
} from './commands';
import { addRunLinks } from './commands/links';
// Not lazy: the read-only factory must exist when the layout restorer reopens output notebooks
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { addOutputNotebooks } from './commands/outputCommands';
import { getTranslator, setTranslator, trans } from './common/i18n';
import { orchestrationIcon } from './common/icons';
// Not lazy: the restorer reopens comparisons through these commands (their views load lazily)
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { addCompareCommands } from './compare/commands';
import { lineagePlugin } from './lineage/commands';
import { IOrchestration } from './orchestration';
import { OrchModel } from './panel/model';
import { OrchPanel } from './panel/panel';
import type { RunDetailWidget } from './run/runDetail';
import { SHOW_TRENDS, trendsPlugin } from './trends/trendsPlugin';
import { versionsPlugin } from './versions/commands';

export { IOrchestration } from './orchestration';

const corePlugin: JupyterFrontEndPlugin<IOrchestration> = {
  id: 'jupyter-orch:plugin',
  description:
    'The Orchestration sidebar: pipelines, runs, the builder and run details.',
  autoStart: true,
  provides: IOrchestration,
  requires: [IDocumentManager],
  optional: [
    ILayoutRestorer,
    ICommandPalette,
    IDefaultFileBrowser,
    ITranslator
  ],
  activate: (
    app: JupyterFrontEnd,
    docManager: IDocumentManager,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    fileBrowser: IDefaultFileBrowser | null,
    translator: ITranslator | null
  ): IOrchestration => {
    setTranslator(translator);
    const { commands, shell } = app;
    const client = createClient(app.serviceManager.serverSettings);
    const model = new OrchModel(client);
    const runs = new WidgetTracker<MainAreaWidget<RunDetailWidget>>({
      namespace: 'jupyter-orch-run'
    });
    const builders = new WidgetTracker<MainAreaWidget<PipelineBuilderWidget>>({
      namespace: 'jupyter-orch-builder'
    });

    const showPanel = () => shell.activateById(panel.id);
    const watch = (run: IRun) => model.watch(run);
    const openRun = async (id: string) => {
      await commands.execute(CommandIDs.openRun, { id });
    };

    const panel = new OrchPanel(model, {
      ...panelActions(commands, model, openRun),
      showTrends: name => void commands.execute(SHOW_TRENDS, { name }),
      showHistory: pipeline =>
        void commands.execute(CommandIDs.versionHistory, { pipeline }),
      showLineage: pipeline =>
        void commands.execute(CommandIDs.lineage, { pipeline }),
      showActivity: () => void commands.execute(CommandIDs.activity),
      backfillPipeline: pipeline =>
        void commands.execute(CommandIDs.backfillPipeline, { pipeline })
    });
    panel.title.icon = orchestrationIcon;
    panel.title.caption = trans.__('Orchestration');
    shell.add(panel, 'left', { rank: 600 });
    model.start();
    if (restorer) {
      restorer.add(panel, 'jp-orch-panel');
    }

    notifyFinishedRuns(model, openRun);

    const orch = { client, model, showPanel, openRun, watch };
    addCoreCommands(
      app,
      orch,
      { runs, builders },
      docManager,
      palette,
      fileBrowser
    );
    addCompareCommands(app, orch, restorer);

    if (restorer) {
      void restorer.restore(runs, {
        command: CommandIDs.openRun,
        args: w => ({ id: w.content.runId }),
        name: w => w.content.runId
      });
      void restorer.restore(builders, {
        command: CommandIDs.editPipeline,
        args: w =>
          w.content.pipelineName ? { name: w.content.pipelineName } : {},
        name: w => w.content.pipelineName ?? 'new'
      });
    }

    return orch;
  }
};

const notebookPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-orch:notebook',
  description:
    'Schedule this notebook: a one-step pipeline from the notebook’s toolbar.',
  autoStart: true,
  requires: [IOrchestration, INotebookTracker],
  optional: [ICommandPalette, IDefaultFileBrowser],
  activate: (
    app: JupyterFrontEnd,
    orch: IOrchestration,
    notebooks: INotebookTracker,
    palette: ICommandPalette | null,
    fileBrowser: IDefaultFileBrowser | null
  ): void => addNotebookCommands(app, orch, notebooks, palette, fileBrowser)
};

const editorPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-orch:editor',
  description:
    'Open in Orchestration: register the pipeline YAML open in the editor.',
  autoStart: true,
  requires: [IOrchestration, IEditorTracker],
  optional: [ICommandPalette, IDefaultFileBrowser],
  activate: (
    app: JupyterFrontEnd,
    orch: IOrchestration,
    editors: IEditorTracker,
    palette: ICommandPalette | null,
    fileBrowser: IDefaultFileBrowser | null
  ): void => addEditorCommands(app, orch, editors, palette, fileBrowser)
};

const linkPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-orch:links',
  description:
    'Links from notifications: /lab?orch-run=<id> opens that run’s detail.',
  autoStart: true,
  requires: [IOrchestration, IRouter],
  activate: (app: JupyterFrontEnd, _orch: IOrchestration, router: IRouter) =>
    addRunLinks(app, router)
};

const outputPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-orch:output-notebooks',
  description:
    'Output notebooks open read-only, with no kernel, at the cell where the run failed.',
  autoStart: true,
  requires: [IDocumentManager, INotebookWidgetFactory],
  optional: [ILayoutRestorer, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    docManager: IDocumentManager,
    notebooks: NotebookWidgetFactory.IFactory,
    restorer: ILayoutRestorer | null,
    translator: ITranslator | null
  ) => {
    // It may activate before the core plugin, which it does not require
    setTranslator(translator);
    addOutputNotebooks(app, docManager, notebooks, restorer);
  }
};

const launcherPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-orch:launcher',
  description: 'An Orchestration card in the launcher: it shows the sidebar.',
  autoStart: true,
  requires: [IOrchestration],
  optional: [ILauncher],
  activate: (
    _app: JupyterFrontEnd,
    _orch: IOrchestration,
    launcher: ILauncher | null
  ) => {
    // JupyterLab's own "Other" category, in its words (its domain, not ours)
    const category = getTranslator().load('jupyterlab').__('Other');
    launcher?.add({ command: CommandIDs.openPanel, category });
  }
};

const plugins: JupyterFrontEndPlugin<unknown>[] = [
  corePlugin,
  notebookPlugin,
  editorPlugin,
  linkPlugin,
  outputPlugin,
  trendsPlugin,
  versionsPlugin,
  lineagePlugin,
  activityPlugin,
  backfillPlugin,
  launcherPlugin
];

export default plugins;
