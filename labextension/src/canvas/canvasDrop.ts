/**
 * Files dragged from JupyterLab's file browser onto the canvas. The file browser drags with
 * Lumino's drag and drop (mouse events, not HTML5): a drop target takes `lm-dragenter`,
 * `lm-dragover` and `lm-drop` events carrying the dragged paths under the MIME type
 * `application/x-jupyter-icontents`, as the file browser's own listing does.
 */
import type { Drag } from '@lumino/dragdrop';
import * as React from 'react';

/** The MIME type of the paths the file browser drags (relative to the root). */
export const CONTENTS_MIME = 'application/x-jupyter-icontents';

const EVENTS = ['lm-dragenter', 'lm-dragleave', 'lm-dragover', 'lm-drop'];
const DROP_TARGET = 'jp-mod-dropTarget';

/** Where files were dropped: their paths, and the element under the mouse. */
export interface IFileDrop {
  paths: string[];
  target: Element | null;
}

/** Calls `onDrop` for files dropped from the file browser on the element of `ref`. */
export function useFileDrop(
  ref: React.RefObject<HTMLElement>,
  onDrop: (drop: IFileDrop) => void
): void {
  const latest = React.useRef(onDrop);
  latest.current = onDrop;
  React.useEffect(() => {
    const node = ref.current;
    if (!node) {
      return;
    }
    const handle = (event: Event) => {
      const drag = event as Drag.Event;
      if (!drag.mimeData?.hasData(CONTENTS_MIME)) {
        return;
      }
      // Ours: not the dock panel's (which would open the file)
      drag.preventDefault();
      drag.stopPropagation();
      switch (event.type) {
        case 'lm-dragenter':
          node.classList.add(DROP_TARGET);
          break;
        case 'lm-dragleave':
          if (!node.contains(drag.relatedTarget as Node | null)) {
            node.classList.remove(DROP_TARGET);
          }
          break;
        case 'lm-dragover':
          drag.dropAction = drag.proposedAction;
          break;
        case 'lm-drop': {
          node.classList.remove(DROP_TARGET);
          drag.dropAction = drag.proposedAction;
          const paths = drag.mimeData.getData(CONTENTS_MIME);
          latest.current({
            paths: Array.isArray(paths) ? paths.map(String) : [],
            target: drag.target instanceof Element ? drag.target : null
          });
          break;
        }
      }
    };
    for (const type of EVENTS) {
      node.addEventListener(type, handle);
    }
    return () => {
      for (const type of EVENTS) {
        node.removeEventListener(type, handle);
      }
    };
  }, [ref]);
}

/** The step key of the canvas node an element is in (`data-id` of React Flow's node). */
export function nodeKeyAt(element: Element | null): string | null {
  return element?.closest('.react-flow__node')?.getAttribute('data-id') ?? null;
}
