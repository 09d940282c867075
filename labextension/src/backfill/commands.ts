/**
 * The backfill plugin: "Backfill…" (a scheduled pipeline's row in the panel, the palette)
 * opens the backfill dialog; once the backfill starts the panel shows its progress above the
 * runs. The dialog loads when first opened.
 */
import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { ITranslator } from '@jupyterlab/translation';
import { jumpBackIcon } from '@jupyterlab/ui-components';

import { CommandIDs } from '../commands/commandIds';
import { setTranslator, trans } from '../common/i18n';
import { addPipelineCommand } from '../dialogs/pickPipeline';
import { IOrchestration } from '../orchestration';

export const backfillPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-orch:backfill',
  description:
    'Backfill…: a scheduled pipeline run once per slot of its schedule over past days.',
  autoStart: true,
  requires: [IOrchestration],
  optional: [ICommandPalette, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    orch: IOrchestration,
    palette: ICommandPalette | null,
    translator: ITranslator | null
  ) => {
    setTranslator(translator);
    addPipelineCommand(app.commands, orch, CommandIDs.backfillPipeline, {
      label: name =>
        name ? trans.__('Backfill %1…', name) : trans.__('Backfill Pipeline…'),
      caption: trans.__(
        'Run a scheduled pipeline once per slot of its schedule over past days'
      ),
      icon: jumpBackIcon,
      pickTitle: trans.__('Backfill'),
      open: async name => {
        const { backfillAndShow } = await import('./backfillDialog');
        await backfillAndShow(orch, name);
      }
    });
    palette?.addItem({
      command: CommandIDs.backfillPipeline,
      category: trans.__('Orchestration')
    });
  }
};
