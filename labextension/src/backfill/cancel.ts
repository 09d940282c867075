/**
 * Cancel on a backfill in the Runs section: asked first, as cancelling a run is.
 */
import type { IBackfill } from '../api/backfills';
import { trans } from '../common/i18n';
import { showError } from '../common/notify';
import { confirmed } from '../dialogs/confirm';
import type { OrchModel } from '../panel/model';
import { progressText, rangeText } from './backfillText';

/** Cancels the backfill once the user confirms: "Keep running" or "Cancel backfill". */
export async function cancelBackfillAsked(
  model: OrchModel,
  backfill: IBackfill
): Promise<void> {
  const cancel = await confirmed(
    trans.__('Cancel the backfill of %1?', backfill.pipeline),
    trans.__(
      '%1 (%2): its queued runs are dropped and its running runs stopped; the runs that ended stay.',
      rangeText(backfill),
      progressText(backfill)
    ),
    trans.__('Cancel backfill'),
    trans.__('Keep running')
  );
  if (!cancel) {
    return;
  }
  try {
    await model.backfills.cancel(backfill.id);
  } catch (error) {
    showError(
      error,
      trans.__('Could not cancel the backfill of %1', backfill.pipeline)
    );
  }
  await model.refresh();
}
