/**
 * The builder's notebook file dialog: one notebook for a step, or several (Shift or Ctrl click)
 * for new steps, in the order the dialog lists them. It opens in the folder it was last left
 * in during this session, else in the folder it is given (the pipeline file's).
 */
import { PathExt } from '@jupyterlab/coreutils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { FileDialog } from '@jupyterlab/filebrowser';

import { getTranslator, trans } from '../common/i18n';

/** A picker remembering its folder while the page is open. */
export function notebookPicker(
  manager: IDocumentManager
): (folder: string, several: boolean) => Promise<string[]> {
  let last: string | null = null;
  return async (folder, several) => {
    const result = await FileDialog.getOpenFiles({
      manager,
      title: several
        ? trans.__(
            'Pick a notebook, or several with Shift or Ctrl: a step each, run in order'
          )
        : trans.__('Pick a notebook for this step'),
      translator: getTranslator(),
      defaultPath: last ?? folder,
      filter: item =>
        item.type === 'notebook' || item.type === 'directory' ? {} : null
    });
    const items = result.button.accept ? (result.value ?? []) : [];
    const notebooks = items
      .filter(item => item.type === 'notebook')
      .map(item => item.path);
    // Nothing selected: the dialog answers with the folder it shows
    const shown = notebooks.length
      ? PathExt.dirname(notebooks[0])
      : items.find(item => item.type === 'directory')?.path;
    if (shown !== undefined) {
      last = shown;
    }
    return several ? notebooks : notebooks.slice(0, 1);
  };
}
