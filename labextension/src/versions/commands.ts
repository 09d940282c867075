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
import type { Widget } from '@lumino/widgets';

import { CommandIDs, describeArgs } from '../commands/commandIds';
import { setTranslator, trans } from '../common/i18n';
import { setDiffRendermime } from '../diff/rendermime';
import { addPipelineCommand } from '../dialogs/pickPipeline';
import { IOrchestration } from '../orchestration';
import type { VersionDiffWidget } from './diffView';
import type { VersionHistoryWidget } from './historyView';

/** A widget id from a pipeline's name and more. */
function widgetId(...parts: (string | number)[]): string {
  return parts.join('-').replace(/[^A-Za-z0-9_-]/g, '_');
}

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
  const show = (widget: Widget) => {
    if (!widget.isAttached) {
      shell.add(widget, 'main');
    }
    shell.activateById(widget.id);
  };
  const open = async (pipeline: string) => {
    const shown = tracker.find(w => w.content.pipeline === pipeline);
    if (shown) {
      void shown.content.model.refresh();
      show(shown);
      return;
    }
    const [{ VersionHistoryWidget }, { rollBackTo }] = await Promise.all([
      import('./historyView'),
      import('./rollback')
    ]);
    const content = new VersionHistoryWidget({
      client: orch.client,
      pipeline,
      compare: (from, to) =>
        void commands.execute(CommandIDs.versionDiff, { pipeline, from, to }),
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
    const widget = new MainAreaWidget({ content });
    widget.id = widgetId('jp-orch-versions', pipeline);
    await tracker.add(widget);
    show(widget);
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
      const id = widgetId('jp-orch-version-diff', pipeline, from, to);
      const shown = tracker.find(w => w.id === id);
      if (shown) {
        shell.activateById(shown.id);
        return;
      }
      const { VersionDiffWidget } = await import('./diffView');
      const content = new VersionDiffWidget({
        client: orch.client,
        pipeline,
        from,
        to,
        rendermime: rendermime ?? undefined
      });
      const widget = new MainAreaWidget({ content });
      widget.id = id;
      widget.title.icon = historyIcon;
      await tracker.add(widget);
      shell.add(widget, 'main');
      shell.activateById(widget.id);
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
  palette?.addItem({
    command: CommandIDs.versionHistory,
    category: trans.__('Orchestration')
  });
  void restorer?.restore(histories, {
    command: CommandIDs.versionHistory,
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
