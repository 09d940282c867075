/**
 * A for-each step's part of its card in the run detail: its items' progress ("2/3", a bar, and
 * how many failed or run) and a disclosure button that shows or hides its items' cards. The
 * words and the default come from forEach.ts.
 */
import { caretDownIcon, caretRightIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { SegmentBar } from '../common/components';
import { trans } from '../common/i18n';
import {
  IItemProgress,
  ITEM_PARTS,
  itemProgress,
  itemsOpenByDefault,
  progressText,
  progressWords
} from './forEach';
import type { IStepRun } from '../api/tokens';

/** "2/3", a bar of the items by status, and "1 failed · 1 running" when some did or do. */
export function ItemProgressView(props: {
  progress: IItemProgress;
}): JSX.Element {
  const { progress } = props;
  return (
    <span
      className="jp-OrchForEach-progress"
      role="img"
      aria-label={progressWords(progress)}
      title={progressWords(progress)}
    >
      <span className="jp-OrchForEach-count">{progressText(progress)}</span>
      <SegmentBar
        className="jp-OrchForEach-bar"
        parts={ITEM_PARTS}
        counts={progress}
        total={progress.total}
        aria-hidden="true"
      />
      {progress.failed > 0 && (
        <span className="jp-OrchForEach-failed" aria-hidden="true">
          {trans.__('%1 failed', progress.failed)}
        </span>
      )}
      {progress.running > 0 && (
        <span className="jp-OrchForEach-running" aria-hidden="true">
          {trans.__('%1 running', progress.running)}
        </span>
      )}
    </span>
  );
}

/**
 * The items of a for-each step: their progress, and their cards behind a disclosure button,
 * shown at first when `itemsOpenByDefault` says so or when one of them is selected; once the
 * user opens or closes them, they stay so.
 */
export function ForEachItems(props: {
  /** The DOM id of the step's card: the item list's id is made from it. */
  cardId: string;
  items: readonly IStepRun[];
  selected: string | null;
  /** One item's card (the step cards' own rendering). */
  renderItem: (item: IStepRun) => JSX.Element;
}): JSX.Element {
  const { items } = props;
  const [chosen, setChosen] = React.useState<boolean | null>(null);
  const open =
    chosen ??
    (itemsOpenByDefault(items) ||
      items.some(item => item.name === props.selected));
  const listId = `${props.cardId}-items`;
  const Caret = open ? caretDownIcon : caretRightIcon;
  return (
    <div className="jp-OrchForEach">
      <div className="jp-OrchForEach-summary">
        <button
          type="button"
          className="jp-OrchForEach-toggle"
          aria-expanded={open}
          aria-controls={listId}
          onClick={event => {
            event.stopPropagation();
            setChosen(!open);
          }}
        >
          <Caret.react tag="span" className="jp-OrchForEach-caret" />
          {trans._n('%1 item', '%1 items', items.length)}
        </button>
        <ItemProgressView progress={itemProgress(items)} />
      </div>
      {open && (
        <div
          id={listId}
          className="jp-OrchForEach-items"
          aria-label={trans.__('Items')}
          role="group"
        >
          {items.map(props.renderItem)}
        </div>
      )}
    </div>
  );
}
