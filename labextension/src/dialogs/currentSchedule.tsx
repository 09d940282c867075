/**
 * What "Schedule this notebook..." says of a notebook scheduled before: its pipeline's name,
 * whether it is paused, its file, and that saving changes it.
 */
import * as React from 'react';

import type { INotebookSchedule } from '../api/tokens';
import { Sentence } from '../common/components';
import { trans } from '../common/i18n';

/** How the notebook is scheduled now: "Scheduled as daily (paused) in etl/. Saving changes it." */
export function CurrentSchedule(props: {
  current: INotebookSchedule;
}): JSX.Element {
  const { current } = props;
  const name = (
    <>
      <strong>{current.name}</strong>
      {current.paused ? ` ${trans.__('(paused)')}` : ''}
    </>
  );
  // '%1' for the name in bold: the bundle keeps it for Sentence to fill
  let text: string;
  if (current.schedule) {
    text = current.path
      ? trans.__(
          'Scheduled as %1 in %2. Saving changes it.',
          '%1',
          current.path
        )
      : trans.__('Scheduled as %1. Saving changes it.', '%1');
  } else {
    text = current.path
      ? trans.__(
          'Saved without a schedule as %1 in %2. Saving changes it.',
          '%1',
          current.path
        )
      : trans.__('Saved without a schedule as %1. Saving changes it.', '%1');
  }
  return (
    <p className="jp-OrchDialog-hint">
      <Sentence text={text} nodes={[name]} />
    </p>
  );
}
