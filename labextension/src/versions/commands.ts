/**
 * The versions plugin: "Show Pipeline Versions" (the palette, a pipeline row's History button)
 * opens a pipeline's version history in the main area; "Compare Pipeline Versions" opens what
 * changed between two versions (nbdime for notebooks). Both are restored after a reload; their
 * pages load when first opened.
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
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ITranslator } from '@jupyterlab/translation';
import { historyIcon } from '@jupyterlab/ui-components';

import { CommandIDs, describeArgs } from '../commands/commandIds';
import { setTranslator, trans } from '../common/i18n';
import { addPageCommand, pageId, showPage } from '../common/mainArea';
import { setDiffRendermime } from '../diff/rendermime';
import { addPipelineCommand } from '../dialogs/pickPipeline';
import { IOrchestration } from '../orchestration';
import type { VersionDiffWidget } from './diffView';
import type { VersionHistoryWidget } from './historyView';

interface IVersionsContext {
  app: JupyterFrontEnd;
  orch: IOrchestration;
  docManager: IDocumentManager;
  rendermime: IRenderMimeRegistry | null;
}

function addHistoryCommand(
  ctx: IVersionsContext,
  tracker: WidgetTracker<MainAreaWidget<VersionHistoryWidget>>
): void {
  const { app, orch, docManager } = ctx;
  const { commands, shell } = app;
  const open = async (pipeline: string) => {
    await showPage({
      shell,
      tracker,
      id: pageId('jp-orch-versions', pipeline),
      reshow: content => void content.model.refresh(),
      create: async () => {
        const [{ VersionHistoryWidget }, { rollBackTo }] = await Promise.all([
          import('./historyView'),
          import('./rollback')
        ]);
        return new VersionHistoryWidget({
          client: orch.client,
          pipeline,
          compare: (from, to) =>
            void commands.execute(CommandIDs.versionDiff, {
              pipeline,
              from,
              to
            }),
          rollBack: (version, latest) =>
            rollBackTo(
              { client: orch.client, docManager, shell },
              pipeline,
              version,
              latest
            ),
          showActivity: () =>
            void commands.execute(CommandIDs.activity, { pipeline })
        });
      }
    });
  };
  addPipelineCommand(commands, orch, CommandIDs.versionHistory, {
    label: name =>
      name
        ? trans.__('Show Versions of %1', name)
        : trans.__('Show Pipeline Versions…'),
    caption: trans.__(
      'A pipeline’s versions: who changed what and when; compare and roll back'
    ),
    icon: historyIcon,
    pickTitle: trans.__('Show the versions of'),
    open
  });
}

function addDiffCommand(
  ctx: IVersionsContext,
  tracker: WidgetTracker<MainAreaWidget<VersionDiffWidget>>
): void {
  const { app, orch, rendermime } = ctx;
  const { commands, shell } = app;
  commands.addCommand(CommandIDs.versionDiff, {
    describedBy: describeArgs({
      pipeline: { type: 'string', description: trans.__('the pipeline') },
      from: { type: 'integer', description: trans.__('the older version') },
      to: { type: 'integer', description: trans.__('the newer version') }
    }),
    label: args =>
      args.pipeline && args.from && args.to
        ? trans.__(
            'Compare %1 v%2 with v%3',
            String(args.pipeline),
            Number(args.from),
            Number(args.to)
          )
        : trans.__('Compare Pipeline Versions'),
    caption: trans.__('What changed between two versions of a pipeline'),
    execute: async args => {
      const pipeline = String(args.pipeline ?? '');
      const from = Number(args.from);
      const to = Number(args.to);
      if (!pipeline || !Number.isInteger(from) || !Number.isInteger(to)) {
        return;
      }
      const widget = await showPage({
        shell,
        tracker,
        id: pageId('jp-orch-version-diff', pipeline, from, to),
        create: async () => {
          const { VersionDiffWidget } = await import('./diffView');
          return new VersionDiffWidget({
            client: orch.client,
            pipeline,
            from,
            to,
            rendermime: rendermime ?? undefined
          });
        }
      });
      widget.title.icon = historyIcon;
    }
  });
}

function addVersionCommands(
  ctx: IVersionsContext,
  palette: ICommandPalette | null,
  restorer: ILayoutRestorer | null
): void {
  const histories = new WidgetTracker<MainAreaWidget<VersionHistoryWidget>>({
    namespace: 'jupyter-orch-versions'
  });
  const diffs = new WidgetTracker<MainAreaWidget<VersionDiffWidget>>({
    namespace: 'jupyter-orch-version-diff'
  });
  addHistoryCommand(ctx, histories);
  addDiffCommand(ctx, diffs);
  addPageCommand(CommandIDs.versionHistory, histories, palette, restorer, {
    args: w => ({ pipeline: w.content.pipeline }),
    name: w => w.content.pipeline
  });

  void restorer?.restore(diffs, {
    command: CommandIDs.versionDiff,
    args: w => {
      const { pipeline, from, to } = w.content.options;
      return { pipeline, from, to };
    },
    name: w => w.id
  });
}

export const versionsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-orch:versions',
  description:
    'A pipeline’s versions: history, what changed between two (nbdime for notebooks), rollback.',
  autoStart: true,
  requires: [IOrchestration, IDocumentManager],
  optional: [
    ICommandPalette,
    ILayoutRestorer,
    IRenderMimeRegistry,
    ITranslator
  ],
  activate: (
    app: JupyterFrontEnd,
    orch: IOrchestration,
    docManager: IDocumentManager,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null,
    rendermime: IRenderMimeRegistry | null,
    translator: ITranslator | null
  ) => {
    setTranslator(translator);
    setDiffRendermime(rendermime);
    addVersionCommands(
      { app, orch, docManager, rendermime },
      palette,
      restorer
    );
  }
};
