/**
 * The lineage plugin: "Show Pipeline Lineage…" (the palette, a pipeline row's Lineage button)
 * opens a pipeline's lineage graph in the main area, one per pipeline, restored after a
 * reload. The page and React Flow load when a page is first opened.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  ICommandPalette,
  MainAreaWidget,
  WidgetTracker
} from '@jupyterlab/apputils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { ITranslator } from '@jupyterlab/translation';

import { CommandIDs } from '../commands/commandIds';
import { setTranslator, trans } from '../common/i18n';
import { addPageCommand, pageId, showPage } from '../common/mainArea';
import { addPipelineCommand } from '../dialogs/pickPipeline';
import { IOrchestration } from '../orchestration';
import { lineageIcon } from './lineageIcon';
import type { LineageWidget } from './lineageView';

function addLineageCommand(
  app: JupyterFrontEnd,
  orch: IOrchestration,
  docManager: IDocumentManager,
  tracker: WidgetTracker<MainAreaWidget<LineageWidget>>
): void {
  const { commands, shell } = app;
  const open = async (pipeline: string) => {
    await showPage({
      shell,
      tracker,
      id: pageId('jp-orch-lineage', pipeline),
      reshow: content => void content.model.refresh(),
      create: async () => {
        const { LineageWidget } = await import('./lineageView');
        return new LineageWidget({
          client: orch.client,
          pipeline,
          openRun: id => void orch.openRun(id),
          openFile: path => void docManager.openOrReveal(path),
          showLineage: name =>
            void commands.execute(CommandIDs.lineage, { pipeline: name })
        });
      }
    });
  };
  addPipelineCommand(commands, orch, CommandIDs.lineage, {
    label: name =>
      name
        ? trans.__('Show Lineage of %1', name)
        : trans.__('Show Pipeline Lineage…'),
    caption: trans.__(
      'The datasets a pipeline’s steps read and write, and the other pipelines that write or read them'
    ),
    icon: lineageIcon,
    pickTitle: trans.__('Show the lineage of'),
    open
  });
}

export const lineagePlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-orch:lineage',
  description:
    'A pipeline’s lineage: the datasets its steps read and write, across pipelines.',
  autoStart: true,
  requires: [IOrchestration, IDocumentManager],
  optional: [ICommandPalette, ILayoutRestorer, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    orch: IOrchestration,
    docManager: IDocumentManager,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null,
    translator: ITranslator | null
  ) => {
    setTranslator(translator);
    const tracker = new WidgetTracker<MainAreaWidget<LineageWidget>>({
      namespace: 'jupyter-orch-lineage'
    });
    addLineageCommand(app, orch, docManager, tracker);
    addPageCommand(CommandIDs.lineage, tracker, palette, restorer, {
      args: w => ({ pipeline: w.content.pipeline }),
      name: w => w.content.pipeline
    });
  }
};
