/**
 * The trends plugin: "Show Pipeline Trends" (the palette, a pipeline row's Trends button)
 * opens a pipeline's trends page in the main area, one per pipeline, restored after a reload.
 * The page and its charting library load when a page is first opened.
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
import { ITranslator } from '@jupyterlab/translation';

import { setTranslator, trans } from '../common/i18n';
import { addPageCommand, pageId, showPage } from '../common/mainArea';
import { addPipelineCommand } from '../dialogs/pickPipeline';
import { IOrchestration } from '../orchestration';
import { trendsIcon } from './trendsIcon';
import type { TrendsWidget } from './trendsView';

/** The command that opens a pipeline's trends (`{name}`; without it, it asks which). */
export const SHOW_TRENDS = 'jupyter-orch:show-trends';

function addTrendsCommand(
  app: JupyterFrontEnd,
  orch: IOrchestration,
  palette: ICommandPalette | null,
  restorer: ILayoutRestorer | null
): void {
  const { commands, shell } = app;
  const tracker = new WidgetTracker<MainAreaWidget<TrendsWidget>>({
    namespace: 'jupyter-orch-trends'
  });

  const open = async (name: string) => {
    await showPage({
      shell,
      tracker,
      id: pageId('jp-orch-trends', name),
      create: async () => {
        const { TrendsWidget } = await import('./trendsView');
        return new TrendsWidget({
          client: orch.client,
          pipeline: name,
          pipelines: orch.model,
          openRun: id => void orch.openRun(id)
        });
      }
    });
  };

  addPipelineCommand(commands, orch, SHOW_TRENDS, {
    arg: 'name',
    label: name =>
      name
        ? trans.__('Show Trends of %1', name)
        : trans.__('Show Pipeline Trends…'),
    caption: trans.__(
      'Run durations, step shares, failures and memory over the last runs'
    ),
    icon: trendsIcon,
    pickTitle: trans.__('Show the trends of'),
    open
  });
  addPageCommand(SHOW_TRENDS, tracker, palette, restorer, {
    args: w => ({ name: w.content.pipeline }),
    name: w => w.content.pipeline
  });
}

export const trendsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-orch:trends',
  description:
    'A pipeline’s trends: run durations with each step’s share, failures and peak memory.',
  autoStart: true,
  requires: [IOrchestration],
  optional: [ICommandPalette, ILayoutRestorer, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    orch: IOrchestration,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null,
    translator: ITranslator | null
  ) => {
    setTranslator(translator);
    addTrendsCommand(app, orch, palette, restorer);
  }
};
