/**
 * Pages the plugins open in the main area, one per key (a pipeline, two versions): asked again,
 * the open page comes to the front (refreshed if it says how); else it is made (its module
 * loaded on first use), tracked for the layout restorer, and shown.
 */
import { ILayoutRestorer, JupyterFrontEnd } from '@jupyterlab/application';
import {
  ICommandPalette,
  MainAreaWidget,
  WidgetTracker
} from '@jupyterlab/apputils';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import type { Widget } from '@lumino/widgets';

import { trans } from './i18n';

export interface IPageRequest<T extends Widget> {
  shell: JupyterFrontEnd.IShell;
  tracker: WidgetTracker<MainAreaWidget<T>>;
  /** The tab's id: one page per id. */
  id: string;
  /** Makes the page's content. */
  create: () => Promise<T>;
  /** What an open page does when asked for again (e.g. load its data anew). */
  reshow?: (content: T) => void;
}

/** The page `id`, brought to the front, or made and shown. */
export async function showPage<T extends Widget>(
  request: IPageRequest<T>
): Promise<MainAreaWidget<T>> {
  const { shell, tracker, id } = request;
  let widget = tracker.find(w => w.id === id);
  if (widget) {
    request.reshow?.(widget.content);
  } else {
    widget = new MainAreaWidget({ content: await request.create() });
    widget.id = id;
    await tracker.add(widget);
  }
  if (!widget.isAttached) {
    shell.add(widget, 'main');
  }
  shell.activateById(widget.id);
  return widget;
}

/** A tab id from parts such as a page's kind and a pipeline's name. */
export function pageId(...parts: (string | number)[]): string {
  return parts.join('-').replace(/[^A-Za-z0-9_-]/g, '_');
}

/** How a page command's pages are reopened after a reload. */
export interface IPageRestore<T extends Widget> {
  /** The command's arguments that reopen a page. */
  args: (widget: MainAreaWidget<T>) => ReadonlyPartialJSONObject;
  /** The page's key in the saved workspace (kept as it is: saved workspaces use it). */
  name: (widget: MainAreaWidget<T>) => string;
}

/** A page command in the palette, and its pages reopened after a reload. */
export function addPageCommand<T extends Widget>(
  command: string,
  tracker: WidgetTracker<MainAreaWidget<T>>,
  palette: ICommandPalette | null,
  restorer: ILayoutRestorer | null,
  restore: IPageRestore<T>
): void {
  palette?.addItem({ command, category: trans.__('Orchestration') });
  void restorer?.restore(tracker, { command, ...restore });
}
