/**
 * The canvas's palette: a button per step kind (Notebook… opens the file dialog, where several
 * notebooks can be picked), "Lay out" to put moved nodes back, and the canvas's last message
 * (a refused connection, dropped files that are no notebook).
 */
import * as React from 'react';

import { trans } from '../common/i18n';
import { KIND_LABELS, KIND_TAGS } from '../common/stepKinds';
import type { StepKind } from '../api/tokens';

const OTHER_KINDS: StepKind[] = ['query', 'function', 'export'];

export interface IPaletteProps {
  /** Where the next step goes, in words ("after load"), for the buttons' titles. */
  after: string | null;
  onAddNotebooks: () => void;
  onAdd: (kind: StepKind) => void;
  onLayout: () => void;
}

export function CanvasPalette(props: IPaletteProps): JSX.Element {
  const { after } = props;
  const addTitle = (kind: StepKind): string =>
    after
      ? trans.__('Add a %1 step, after %2', KIND_LABELS[kind], after)
      : trans.__('Add a %1 step', KIND_LABELS[kind]);
  return (
    <div
      className="jp-OrchCanvas-palette"
      role="toolbar"
      aria-label={trans.__('Add steps')}
    >
      <button
        type="button"
        className="jp-mod-styled jp-OrchCanvas-add"
        title={
          after
            ? trans.__('Add a step per notebook you pick, after %1', after)
            : trans.__('Add a step per notebook you pick')
        }
        onClick={props.onAddNotebooks}
      >
        <span
          className="jp-OrchCanvas-kind"
          data-kind="notebook"
          aria-hidden="true"
        >
          {KIND_TAGS.notebook}
        </span>{' '}
        {trans.__('Notebook…')}
      </button>
      {OTHER_KINDS.map(kind => (
        <button
          key={kind}
          type="button"
          className="jp-mod-styled jp-OrchCanvas-add"
          title={addTitle(kind)}
          onClick={() => props.onAdd(kind)}
        >
          <span
            className="jp-OrchCanvas-kind"
            data-kind={kind}
            aria-hidden="true"
          >
            {KIND_TAGS[kind]}
          </span>{' '}
          {KIND_LABELS[kind]}
        </button>
      ))}
      <button
        type="button"
        className="jp-mod-styled jp-OrchCanvas-layout"
        title={trans.__("Put the steps you moved back in dagre's layout")}
        onClick={props.onLayout}
      >
        {trans.__('Lay out')}
      </button>
    </div>
  );
}

/** The canvas's last message; read out when it changes. */
export function CanvasMessage(props: {
  message: string | null;
  onDismiss: () => void;
}): JSX.Element {
  return (
    <div className="jp-OrchCanvas-message" role="status" aria-live="polite">
      {props.message && (
        <>
          <span className="jp-OrchField-error">{props.message}</span>
          <button
            type="button"
            className="jp-mod-styled jp-OrchBuilder-iconButton"
            aria-label={trans.__('Dismiss')}
            title={trans.__('Dismiss')}
            onClick={props.onDismiss}
          >
            ✕
          </button>
        </>
      )}
    </div>
  );
}
