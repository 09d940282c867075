/**
 * The ways to rerun a run, as the run detail's rerun menu lists them: with the files as they
 * are now, or an exact replay of the run's own version; each from the failed step too when
 * that applies. Pure: unit-tested.
 */
import type { IRun } from '../api/tokens';
import { trans } from '../common/i18n';
import type { IMenuItem } from '../common/menuButton';

/** Starts a rerun: of the unfinished steps only (`fromFailed`), of the recorded version (`exact`). */
export type Rerun = (fromFailed: boolean, exact: boolean) => void;

/** The menu's choices: from the failed step only when that applies. */
export function rerunItems(
  run: Pick<IRun, 'version'>,
  fromFailed: boolean,
  rerun: Rerun
): IMenuItem[] {
  const items: IMenuItem[] = [
    {
      key: 'rerun',
      label: trans.__('Rerun with current files'),
      description: trans.__(
        'The pipeline file and notebooks as they are now (a new version if they changed), with this run’s parameters'
      ),
      onSelect: () => rerun(false, false)
    },
    {
      key: 'replay',
      label: trans.__('Replay exactly'),
      description: trans.__(
        'Version %1 as this run ran it, byte for byte, with its parameters',
        run.version
      ),
      onSelect: () => rerun(false, true)
    }
  ];
  if (fromFailed) {
    items.push(
      {
        key: 'rerun-failed',
        label: trans.__('Rerun from failed step with current files'),
        description: trans.__(
          'Keeps the steps that succeeded; runs the others from the files as they are now'
        ),
        onSelect: () => rerun(true, false)
      },
      {
        key: 'replay-failed',
        label: trans.__('Replay exactly from failed step'),
        description: trans.__(
          'Keeps the steps that succeeded; runs the others from version %1, byte for byte',
          run.version
        ),
        onSelect: () => rerun(true, true)
      }
    );
  }
  return items;
}
