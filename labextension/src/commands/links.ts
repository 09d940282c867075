/**
 * Links to a run from outside the lab: a notification says `<server>/lab?orch-run=<run id>`
 * (when `c.OrchApp.public_url` is set). The router hands the page's location to a command that
 * opens the run's detail.
 */
import { IRouter, JupyterFrontEnd } from '@jupyterlab/application';

import { trans } from '../common/i18n';
import { CommandIDs } from './commandIds';

/** The URL's query parameter naming the run to open. */
export const RUN_LINK_PARAMETER = 'orch-run';
/**
 * The URL's query parameter naming an output notebook to open: relative to the root, or on the
 * runs drive (`OrchRuns:<run id>/<name>`).
 */
export const OUTPUT_LINK_PARAMETER = 'orch-output';

/** The run id a location's query names, if it is one we could have written (ULID-like). */
export function runIdFromSearch(search: string | undefined): string | null {
  const id = new URLSearchParams(search ?? '').get(RUN_LINK_PARAMETER);
  return id && /^[0-9A-Za-z]{1,32}$/.test(id) ? id : null;
}

/**
 * The output notebook a location's query names: a relative `.ipynb` path that stays inside the
 * root (the contents API refuses the rest anyway).
 */
export function outputPathFromSearch(
  search: string | undefined
): string | null {
  const path = new URLSearchParams(search ?? '').get(OUTPUT_LINK_PARAMETER);
  if (!path || path.startsWith('/') || !path.endsWith('.ipynb')) {
    return null;
  }
  return path.split('/').includes('..') ? null : path;
}

export function addRunLinks(app: JupyterFrontEnd, router: IRouter): void {
  app.commands.addCommand(CommandIDs.openRunLink, {
    label: trans.__('Open the run a link names'),
    execute: args => {
      const id = runIdFromSearch((args as IRouter.ILocation).search);
      if (id) {
        // After the layout is restored, so the detail opens on top of it; not awaited: the
        // restore itself waits for the routing that runs this command
        void app.restored.then(() =>
          app.commands.execute(CommandIDs.openRun, { id })
        );
      }
    }
  });
  router.register({
    command: CommandIDs.openRunLink,
    pattern: new RegExp(`[?&]${RUN_LINK_PARAMETER}=`),
    rank: 20
  });
  // The notebook widgets' links (jupyter_orch.widgets): an output notebook, read-only
  app.commands.addCommand(CommandIDs.openOutputLink, {
    label: trans.__('Open the output notebook a link names'),
    execute: args => {
      const path = outputPathFromSearch((args as IRouter.ILocation).search);
      if (path) {
        void app.restored.then(() =>
          app.commands.execute(CommandIDs.openOutputNotebook, { path })
        );
      }
    }
  });
  router.register({
    command: CommandIDs.openOutputLink,
    pattern: new RegExp(`[?&]${OUTPUT_LINK_PARAMETER}=`),
    rank: 20
  });
}
