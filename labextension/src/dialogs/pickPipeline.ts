/**
 * "Which pipeline?": a command run from the palette without a pipeline asks for one among
 * those the panel lists (trends, versions).
 */
import { InputDialog } from '@jupyterlab/apputils';

import { trans } from '../common/i18n';
import type { IOrchestration } from '../orchestration';

/** Asks which pipeline, under `title`; null when cancelled. */
export async function pickPipeline(
  orch: Pick<IOrchestration, 'model'>,
  title: string
): Promise<string | null> {
  const names = orch.model.pipelines.map(p => p.name);
  const answer = await InputDialog.getItem({
    title,
    items: names,
    editable: names.length === 0,
    placeholder: trans.__('pipeline name')
  });
  return answer.button.accept ? answer.value : null;
}
