/**
 * The lab's yes-or-no questions before a change that is hard to undo: archive, remove, replace
 * a pipeline's file, cancel a run. Small, so that the core plugin loads it at once.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';

import { trans } from '../common/i18n';
import { cancelRunQuestion, replaceLabel } from './conflicts';
import type { IRun } from '../api/tokens';

/** Asks before a change; true when the user chose `accept` rather than `keep`. */
export async function confirmed(
  title: string,
  body: string,
  accept: string,
  keep = trans.__('Cancel')
): Promise<boolean> {
  const answer = await showDialog({
    title,
    body,
    buttons: [
      Dialog.cancelButton({ label: keep }),
      Dialog.warnButton({ label: accept })
    ]
  });
  return answer.button.accept;
}

/** Whether this file replaces the one the pipeline's name is registered from (`message`). */
export function confirmReplace(message: string): Promise<boolean> {
  return confirmed(
    trans.__('The pipeline name is taken'),
    message,
    replaceLabel()
  );
}

/** Whether to cancel the run: "Keep running" or "Cancel run". */
export function confirmCancelRun(
  run: Pick<IRun, 'id' | 'number' | 'pipeline' | 'status'>
): Promise<boolean> {
  const { title, body } = cancelRunQuestion(run);
  return confirmed(
    title,
    body,
    trans.__('Cancel run'),
    trans.__('Keep running')
  );
}
