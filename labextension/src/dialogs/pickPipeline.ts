/**
 * "Which pipeline?": a command run from the palette without a pipeline asks for one among
 * those the panel lists (trends, versions, lineage); and the commands that open one
 * pipeline's page, built alike.
 */
import { InputDialog } from '@jupyterlab/apputils';
import type { LabIcon } from '@jupyterlab/ui-components';
import type { CommandRegistry } from '@lumino/commands';

import { describeArgs } from '../commands/commandIds';
import { trans } from '../common/i18n';
import type { IOrchestration } from '../orchestration';

/**
 * The pipelines to offer: the server's list now (the panel may never have been opened, or its
 * last poll may predate a pipeline just applied); the panel's list when the server cannot say.
 */
async function pipelineNames(
  orch: Pick<IOrchestration, 'model' | 'client'>
): Promise<string[]> {
  try {
    return (await orch.client.listPipelines()).map(p => p.name);
  } catch {
    return orch.model.pipelines.map(p => p.name);
  }
}

/** Asks which pipeline, under `title`; null when cancelled. */
export async function pickPipeline(
  orch: Pick<IOrchestration, 'model' | 'client'>,
  title: string
): Promise<string | null> {
  const names = await pipelineNames(orch);
  const answer = await InputDialog.getItem({
    title,
    items: names,
    editable: names.length === 0,
    placeholder: trans.__('pipeline name')
  });
  return answer.button.accept ? answer.value : null;
}

/** What a command opening one pipeline's page says and does. */
export interface IPipelineCommand {
  /** The argument naming the pipeline (default `pipeline`). */
  arg?: string;
  /** The label with the pipeline's name, or without one (the palette: it asks). */
  label: (name: string | null) => string;
  caption: string;
  icon: LabIcon;
  /** The title of the "which pipeline?" question. */
  pickTitle: string;
  open: (name: string) => Promise<void>;
}

/**
 * Adds command `id` opening a pipeline's page (trends, versions, lineage): the pipeline its
 * argument names, else the one the user picks.
 */
export function addPipelineCommand(
  commands: CommandRegistry,
  orch: Pick<IOrchestration, 'model' | 'client'>,
  id: string,
  command: IPipelineCommand
): void {
  const arg = command.arg ?? 'pipeline';
  commands.addCommand(id, {
    describedBy: describeArgs({
      [arg]: {
        type: 'string',
        description: trans.__('the pipeline; none: pick one')
      }
    }),
    label: args => command.label(args[arg] ? String(args[arg]) : null),
    caption: command.caption,
    icon: command.icon,
    execute: async args => {
      const name = args[arg]
        ? String(args[arg])
        : await pickPipeline(orch, command.pickTitle);
      if (name) {
        await command.open(name);
      }
    }
  });
}
