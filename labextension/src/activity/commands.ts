/**
 * The activity plugin: "Show Activity Log" (the palette, the panel's Pipelines header, a
 * pipeline's version history) opens who did what, when and from where in the main area, for
 * every pipeline or for one. It is restored after a reload; its page loads when first opened.
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
import { listIcon } from '@jupyterlab/ui-components';

import { CommandIDs, describeArgs } from '../commands/commandIds';
import { setTranslator, trans } from '../common/i18n';
import { addPageCommand, showPage } from '../common/mainArea';
import { IOrchestration } from '../orchestration';
import type { ActivityWidget } from './activityView';

type Tracker = WidgetTracker<MainAreaWidget<ActivityWidget>>;

function addActivityCommand(
  app: JupyterFrontEnd,
  orch: IOrchestration,
  tracker: Tracker
): void {
  const { commands, shell } = app;
  let count = 0;
  const open = async (pipeline: string) => {
    const shown = tracker.find(w => w.content.pipeline === pipeline);
    const widget = await showPage({
      shell,
      tracker,
      // The filter may change later: the id only has to be unique
      id: shown?.id ?? `jp-orch-activity-${++count}`,
      reshow: content => void content.model.refresh(),
      create: async () => {
        const { ActivityWidget } = await import('./activityView');
        return new ActivityWidget({
          client: orch.client,
          pipeline: pipeline || undefined,
          pipelines: () => orch.model.pipelines.map(p => p.name),
          openRun: id => void commands.execute(CommandIDs.openRun, { id })
        });
      }
    });
    if (!shown) {
      // A new pipeline filter retitles it: what a reload reopens follows
      widget.content.title.changed.connect(() => void tracker.save(widget));
    }
  };
  commands.addCommand(CommandIDs.activity, {
    describedBy: describeArgs({
      pipeline: {
        type: 'string',
        description: trans.__('the pipeline; none: every pipeline')
      }
    }),
    label: args =>
      args.pipeline
        ? trans.__('Show Activity of %1', String(args.pipeline))
        : trans.__('Show Activity Log'),
    caption: trans.__(
      'Who did what, when and from where: edits, pauses, runs, rollbacks'
    ),
    icon: listIcon,
    execute: args => open(args.pipeline ? String(args.pipeline) : '')
  });
}

export const activityPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-orch:activity',
  description:
    'The activity log: who did what to the pipelines and runs, when and from where.',
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
    const tracker: Tracker = new WidgetTracker({
      namespace: 'jupyter-orch-activity'
    });
    addActivityCommand(app, orch, tracker);
    addPageCommand(CommandIDs.activity, tracker, palette, restorer, {
      args: w => (w.content.pipeline ? { pipeline: w.content.pipeline } : {}),
      name: w => w.content.pipeline || '*'
    });
  }
};
