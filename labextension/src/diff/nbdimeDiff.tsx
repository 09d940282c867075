/**
 * A notebook compared cell by cell with nbdime's widgets, from the old notebook and nbdime's
 * diff of it (what the server's `nbdime.diff_notebooks` returns). Used by the version diff
 * and by run comparison. Heavy (nbdime, CodeMirror views): import it lazily,
 * `const { NotebookDiffView } = await import('../diff/nbdimeDiff')`.
 *
 * API:
 *   interface INotebookDiffOptions {
 *     base: nbformat.INotebookContent;   // the old notebook (nbformat v4 JSON)
 *     diff: NotebookDiffEntries;         // nbdime's diff JSON: a list of diff entries
 *     rendermime?: IRenderMimeRegistry;  // default: the app's (setDiffRendermime) or a standard one
 *     hideUnchanged?: boolean;           // hide unchanged cells at first (default true)
 *   }
 *   class NotebookDiffView extends Panel          // a Lumino widget: new NotebookDiffView(options)
 *     readonly ready: Promise<void>               // resolves once the cells are rendered
 *   function NotebookDiff(props: INotebookDiffOptions & { className?: string }): JSX.Element
 *                                                 // the same as a React component
 *   function mountNotebookDiff(host: HTMLElement, options): NotebookDiffView  // attach to a node
 *   function setDiffRendermime(registry: IRenderMimeRegistry | null): void
 *                                                 // the app's registry (the versions plugin sets it)
 */
import type * as nbformat from '@jupyterlab/nbformat';
import type { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { Panel, Widget } from '@lumino/widgets';
import type { IDiffEntry } from 'nbdime/lib/diff/diffentries';
import { NotebookDiffModel } from 'nbdime/lib/diff/model';
import { CELLDIFF_CLASS, NotebookDiffWidget } from 'nbdime/lib/diff/widget';
import {
  CHUNK_PANEL_CLASS,
  UNCHANGED_DIFF_CLASS
} from 'nbdime/lib/diff/widget/common';
import React, { useEffect, useRef } from 'react';

// nbdime's styles, as its own lab extension loads them (merge.css: not needed for a diff)
import 'nbdime/lib/common/collapsible.css';
import 'nbdime/lib/upstreaming/flexpanel.css';
import 'nbdime/lib/common/dragpanel.css';
import 'nbdime/lib/styles/variables.css';
import 'nbdime/lib/styles/common.css';
import 'nbdime/lib/styles/diff.css';

import { getTranslator, trans } from '../common/i18n';
import { diffRendermime } from './rendermime';

export { setDiffRendermime } from './rendermime';

/** nbdime's diff of a notebook, as JSON from the server. */
export type NotebookDiffEntries = IDiffEntry[] | unknown[];

export interface INotebookDiffOptions {
  /** The old notebook, nbformat v4 (an empty notebook when the notebook was added). */
  base: nbformat.INotebookContent;
  /** nbdime's diff of `base` to the new notebook. */
  diff: NotebookDiffEntries;
  /** Renders markdown and outputs; the app's registry when set, else a standard one. */
  rendermime?: IRenderMimeRegistry;
  /** Whether unchanged cells start hidden (a checkbox shows them). Default: true. */
  hideUnchanged?: boolean;
}

const ROOT_CLASS = 'jp-OrchNbdiff-root';
const HIDE_CLASS = 'jp-mod-hideUnchanged';

/** nbdime's notebook diff with a "Hide unchanged cells" checkbox above it. */
export class NotebookDiffView extends Panel {
  /** Resolves when every cell is rendered (rejects when nbdime cannot read the diff). */
  readonly ready: Promise<void>;

  constructor(options: INotebookDiffOptions) {
    super();
    this.addClass('jp-OrchNbdiff');
    const hide = options.hideUnchanged ?? true;
    this.addWidget(this.header(hide));
    this.scroller = new Panel();
    this.scroller.addClass(ROOT_CLASS);
    this.scroller.toggleClass(HIDE_CLASS, hide);
    this.addWidget(this.scroller);
    this.ready = this.render(options);
  }

  private header(hide: boolean): Widget {
    const node = document.createElement('div');
    node.className = 'jp-OrchNbdiff-header';
    const label = document.createElement('label');
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.checked = hide;
    box.onchange = () => this.scroller.toggleClass(HIDE_CLASS, box.checked);
    label.append(box, ' ', trans.__('Hide unchanged cells'));
    node.append(label);
    return new Widget({ node });
  }

  private async render(options: INotebookDiffOptions): Promise<void> {
    try {
      const model = new NotebookDiffModel(
        options.base,
        options.diff as IDiffEntry[]
      );
      if (model.metadata) {
        model.metadata.collapsibleHeader = trans.__(
          'Notebook metadata changed'
        );
      }
      const widget = new NotebookDiffWidget({
        model,
        rendermime: options.rendermime ?? diffRendermime(),
        translator: getTranslator()
      });
      this.scroller.addWidget(widget);
      await widget.init();
      if (!this.isDisposed) {
        markHiddenRanges(this.scroller.node);
      }
    } catch (reason) {
      const message = new Widget();
      message.addClass('jp-OrchNbdiff-error');
      message.node.textContent = trans.__(
        'Could not show the notebook diff: %1',
        reason instanceof Error ? reason.message : String(reason)
      );
      this.scroller.addWidget(message);
      throw reason;
    }
  }

  private readonly scroller: Panel;
}

/** The cell, or its added/removed chunk, that carries a "hidden" marker. */
function chunkOf(cell: Element): Element {
  const chunk = cell.parentElement?.parentElement;
  return chunk?.classList.contains(CHUNK_PANEL_CLASS) ? chunk : cell;
}

function hiddenText(count: number): string {
  return trans._n(
    '%1 unchanged cell hidden',
    '%1 unchanged cells hidden',
    count
  );
}

/**
 * Marks the visible cell before or after each run of unchanged cells with how many are hidden
 * (nbdime's lab extension does the same; the words here are translated).
 */
function markHiddenRanges(root: HTMLElement): void {
  const cells = Array.from(root.querySelectorAll(`.${CELLDIFF_CLASS}`));
  let start = -1;
  cells.forEach((cell, i) => {
    if (!cell.classList.contains(UNCHANGED_DIFF_CLASS)) {
      if (start !== -1) {
        chunkOf(cell).setAttribute(
          'data-orch-hidden-before',
          hiddenText(i - start)
        );
        start = -1;
      }
    } else if (start === -1) {
      start = i;
    }
  });
  if (start === 0) {
    const all = root.querySelector('.jp-Notebook-diff') ?? root;
    all.setAttribute(
      'data-orch-all-hidden',
      trans.__('No changes in the cells (%1 unchanged)', cells.length)
    );
  } else if (start !== -1) {
    chunkOf(cells[start - 1]).setAttribute(
      'data-orch-hidden-after',
      hiddenText(cells.length - start)
    );
  }
}

/** Attaches a notebook diff to `host` (a DOM node outside Lumino); dispose it to remove it. */
export function mountNotebookDiff(
  host: HTMLElement,
  options: INotebookDiffOptions
): NotebookDiffView {
  const view = new NotebookDiffView(options);
  Widget.attach(view, host);
  return view;
}

/** The notebook diff as a React component; it renders again when `base` or `diff` change. */
export function NotebookDiff(
  props: INotebookDiffOptions & { className?: string }
): JSX.Element {
  const { base, diff, rendermime, hideUnchanged, className } = props;
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!host.current) {
      return;
    }
    const view = mountNotebookDiff(host.current, {
      base,
      diff,
      rendermime,
      hideUnchanged
    });
    view.ready.catch(() => undefined); // the view shows the error itself
    return () => view.dispose();
  }, [base, diff, rendermime, hideUnchanged]);
  return (
    <div
      ref={host}
      className={`jp-OrchNbdiff-host${className ? ` ${className}` : ''}`}
    />
  );
}
