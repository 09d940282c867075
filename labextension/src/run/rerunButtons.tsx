/**
 * The run detail's rerun actions. "Rerun" (and "Rerun from failed step" where it applies) run
 * the pipeline's files as they are now, with the run's parameters: one click, as before. The
 * menu beside it offers every way, each explained: with the current files, or an exact replay
 * of the run's own version, byte for byte (the server refuses, with a message, a run recorded
 * before versions kept their files).
 */
import { caretDownIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import type { IRun } from '../api/tokens';
import { trans } from '../common/i18n';
import { MenuButton } from '../common/menuButton';
import { Rerun, rerunItems } from './rerunChoices';

export type { Rerun } from './rerunChoices';

export function RerunButtons(props: {
  run: IRun;
  /** "Rerun from failed step" applies: some steps did not succeed. */
  fromFailed: boolean;
  busy: boolean;
  rerun: Rerun;
}): JSX.Element {
  const { run, fromFailed, busy, rerun } = props;
  return (
    <>
      {fromFailed && (
        <button
          type="button"
          className="jp-mod-styled jp-mod-accept"
          disabled={busy}
          title={trans.__(
            'A new run that keeps the steps that succeeded and runs the others, with the files as they are now'
          )}
          onClick={() => rerun(true, false)}
        >
          {trans.__('Rerun from failed step')}
        </button>
      )}
      <span className="jp-OrchSplitButton">
        <button
          type="button"
          className={
            fromFailed
              ? 'jp-mod-styled jp-OrchRunDetail-button'
              : 'jp-mod-styled jp-mod-accept'
          }
          disabled={busy}
          title={trans.__(
            'A new run with the same parameters and the pipeline’s files as they are now (a new version if they changed); the menu beside it replays this run’s version exactly'
          )}
          onClick={() => rerun(false, false)}
        >
          {trans.__('Rerun')}
        </button>
        <MenuButton
          label={<caretDownIcon.react tag="span" />}
          ariaLabel={trans.__('More ways to rerun')}
          title={trans.__(
            'Rerun with the current files, or replay version %1 exactly',
            run.version
          )}
          className="jp-mod-styled jp-OrchRunDetail-button jp-OrchSplitButton-more"
          disabled={busy}
          menuLabel={trans.__('Rerun')}
          items={rerunItems(run, fromFailed, rerun)}
        />
      </span>
    </>
  );
}
