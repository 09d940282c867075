/**
 * What the lab asks before it overrides something: a pipeline name registered from another
 * file (Replace keeps the pipeline's runs), and a run to cancel. The questions' words and the
 * requests; no widgets here (confirm.ts asks them).
 */
import { OrchClient } from '../api/api';
import { isNameTaken } from '../api/errorText';
import { runLabel } from '../common/format';
import { trans } from '../common/i18n';
import type { IPipeline, IRun } from '../api/tokens';

/** The label of the button that registers a file under a name another file holds. */
export function replaceLabel(): string {
  return trans.__('Replace (keep history)');
}

/**
 * Registers a pipeline file (its `yaml` saved there first, when given). When its name is
 * registered from another file, `askReplace` is given the server's message and decides:
 * yes sends the request again with `replace: true`, making this file the pipeline's file and
 * keeping its runs. Null when it says no.
 *
 * @throws OrchError for any other refusal.
 */
export async function registerOrReplace(
  client: OrchClient,
  body: { path: string; yaml?: string },
  askReplace: (message: string) => Promise<boolean>
): Promise<IPipeline | null> {
  try {
    return await client.register(body);
  } catch (error) {
    if (!isNameTaken(error)) {
      throw error;
    }
    if (!(await askReplace(error.message))) {
      return null;
    }
    return client.register({ ...body, replace: true });
  }
}

/** What the builder says when the user kept the other file: the file is saved, not registered. */
export function notReplacedMessage(name: string, path: string): string {
  return trans.__(
    'Saved %1, but did not register it: another file holds the name %2. Rename this pipeline, or save again and choose “%3”.',
    path,
    name,
    replaceLabel()
  );
}

/** "Cancel run #42 of daily?" and what cancelling does to it. */
export function cancelRunQuestion(
  run: Pick<IRun, 'id' | 'number' | 'pipeline' | 'status'>
): { title: string; body: string } {
  return {
    title: trans.__('Cancel run %1 of %2?', runLabel(run), run.pipeline),
    body:
      run.status === 'queued'
        ? trans.__('It has not started yet: none of its steps will run.')
        : trans.__(
            'Its running steps are stopped; finished steps keep their outputs.'
          )
  };
}
