/**
 * The commands that compare runs: two runs side by side (`compareRuns`, args `{ a, b }`) and
 * one step's output notebooks of two runs cell by cell (`compareStepNotebooks`, args
 * `{ a, b, step }`). Their views load when first opened, and reopen after a page reload.
 */
import { ILayoutRestorer, JupyterFrontEnd } from '@jupyterlab/application';
import { MainAreaWidget, WidgetTracker } from '@jupyterlab/apputils';

import { CommandIDs, describeArgs } from '../commands/commandIds';
import { activateOpen, showInMainArea } from '../commands/coreCommands';
import { trans } from '../common/i18n';
import type { IOrchestration } from '../orchestration';
import type { CompareRunsWidget } from './compareWidget';
import type { StepNotebooksWidget } from './notebooksWidget';

/** The runs' arguments, described (in a function: `trans` reads the current language). */
function runArgs() {
  return {
    a: { type: 'string', description: trans.__('the older run’s id') },
    b: { type: 'string', description: trans.__('the newer run’s id') }
  };
}

/** Registers the comparison commands (with the layout restorer, when there is one). */
export function addCompareCommands(
  app: JupyterFrontEnd,
  orch: IOrchestration,
  restorer: ILayoutRestorer | null
): void {
  const { commands, shell } = app;
  const { client, openRun } = orch;
  const comparisons = new WidgetTracker<MainAreaWidget<CompareRunsWidget>>({
    namespace: 'jupyter-orch-compare'
  });
  const notebooks = new WidgetTracker<MainAreaWidget<StepNotebooksWidget>>({
    namespace: 'jupyter-orch-compare-notebooks'
  });

  commands.addCommand(CommandIDs.compareRuns, {
    describedBy: describeArgs(runArgs()),
    label: args =>
      args.a && args.b
        ? trans.__('Compare Runs %1 and %2', String(args.a), String(args.b))
        : trans.__('Compare Runs'),
    execute: async args => {
      const a = String(args.a ?? '');
      const b = String(args.b ?? '');
      if (!a || !b) {
        return;
      }
      if (activateOpen(shell, comparisons, w => w.a === a && w.b === b)) {
        return;
      }
      const { CompareRunsWidget } = await import('./compareWidget');
      const content = new CompareRunsWidget({
        client,
        a,
        b,
        openRun: id => void openRun(id),
        // The versions plugin's, when it is there
        compareVersions: commands.hasCommand(CommandIDs.versionDiff)
          ? (pipeline, from, to) =>
              void commands.execute(CommandIDs.versionDiff, {
                pipeline,
                from,
                to
              })
          : undefined,
        compareNotebooks: (x, y, step) =>
          void commands.execute(CommandIDs.compareStepNotebooks, {
            a: x,
            b: y,
            step
          })
      });
      await showInMainArea(shell, content, comparisons);
    }
  });

  commands.addCommand(CommandIDs.compareStepNotebooks, {
    describedBy: describeArgs({
      ...runArgs(),
      step: { type: 'string', description: trans.__('the step') }
    }),
    label: args =>
      args.step
        ? trans.__('Compare Notebooks of %1', String(args.step))
        : trans.__('Compare Step Notebooks'),
    execute: async args => {
      const a = String(args.a ?? '');
      const b = String(args.b ?? '');
      const step = String(args.step ?? '');
      if (!a || !b || !step) {
        return;
      }
      if (
        activateOpen(
          shell,
          notebooks,
          w => w.options.a === a && w.options.b === b && w.options.step === step
        )
      ) {
        return;
      }
      const { StepNotebooksWidget } = await import('./notebooksWidget');
      // Read-only at its error, when the output notebooks plugin is there
      const openNotebook = commands.hasCommand(CommandIDs.openOutputNotebook)
        ? (path: string) =>
            void commands.execute(CommandIDs.openOutputNotebook, { path })
        : undefined;
      const content = new StepNotebooksWidget({
        client,
        a,
        b,
        step,
        openNotebook
      });
      await showInMainArea(shell, content, notebooks);
    }
  });

  if (restorer) {
    void restorer.restore(comparisons, {
      command: CommandIDs.compareRuns,
      args: w => ({ a: w.content.a, b: w.content.b }),
      name: w => `${w.content.a}:${w.content.b}`
    });
    void restorer.restore(notebooks, {
      command: CommandIDs.compareStepNotebooks,
      args: w => {
        const { a, b, step } = w.content.options;
        return { a, b, step };
      },
      name: w =>
        `${w.content.options.a}:${w.content.options.b}:${w.content.options.step}`
    });
  }
}
