/**
 * Output notebooks opened for reading, in JupyterLab's own notebook widget: a second notebook
 * widget factory that starts no kernel, over a model of its own that is never dirty, whose file
 * is read through a content provider reporting it read-only (JupyterLab then turns Save and
 * autosave off and says "read-only" in the toolbar). Each opens at the cell where its run failed,
 * outlined.
 */
// Types only: @jupyterlab/cells comes with @jupyterlab/notebook
import type { Cell, CodeCell, MarkdownCell, RawCell } from '@jupyterlab/cells';
import type { DocumentRegistry } from '@jupyterlab/docregistry';
import {
  INotebookModel,
  NotebookModel,
  NotebookModelFactory,
  NotebookPanel,
  NotebookWidgetFactory
} from '@jupyterlab/notebook';
import {
  Contents,
  ContentsManager,
  IContentProvider
} from '@jupyterlab/services';

import { trans } from '../common/i18n';
import { failingCellIndex } from './outputNotebook';

/**
 * The widget factory's name: `docmanager:open` with `factory` set to it opens a notebook so.
 * An id (layouts restore by it): its label, in the user's language, is what menus show.
 */
export const OUTPUT_FACTORY = 'Output notebook (read-only)';

/** Its model factory's name: a context of its own, never shared with an editable notebook. */
const OUTPUT_MODEL = 'jupyter-orch-output-notebook';

/** The content provider reporting files read-only (JupyterLab 4.4 and later). */
const READ_ONLY_PROVIDER = 'jupyter-orch-read-only';

/** The class of an output notebook's panel, and of the cell where its run failed. */
const OUTPUT_NOTEBOOK_CLASS = 'jp-OrchOutputNotebook';
const FAILED_CELL_CLASS = 'jp-OrchOutputNotebook-failedCell';

/** A notebook model that nothing can make dirty: there is nothing to save and nothing to ask. */
class OutputNotebookModel extends NotebookModel {
  constructor(options: NotebookModel.IOptions) {
    super(options);
    this.readOnly = true;
  }

  override get dirty(): boolean {
    return false;
  }

  override set dirty(_value: boolean) {
    // The file is the record of a run: it is never saved, so it is never dirty.
  }
}

class OutputNotebookModelFactory extends NotebookModelFactory {
  constructor() {
    super({ collaborative: false });
  }

  override get name(): string {
    return OUTPUT_MODEL;
  }

  override createNew(
    options: Parameters<NotebookModelFactory['createNew']>[0] = {}
  ): INotebookModel {
    return new OutputNotebookModel({
      languagePreference: options.languagePreference,
      sharedModel: options.sharedModel,
      collaborationEnabled: false,
      disableDocumentWideUndoRedo: this.disableDocumentWideUndoRedo
    });
  }
}

/** Files as the server's REST API gives them, marked read-only; saving through it fails. */
class ReadOnlyContentProvider implements IContentProvider {
  constructor(private readonly _drive: Contents.IDrive) {}

  async get(
    localPath: string,
    options?: Contents.IFetchOptions
  ): Promise<Contents.IModel> {
    const model = await this._drive.get(localPath, {
      ...options,
      contentProviderId: undefined
    });
    return { ...model, writable: false };
  }

  async save(localPath: string): Promise<Contents.IModel> {
    throw new Error(
      trans.__(
        '%1 is the record of a run and is not saved: open it as a copy to edit it',
        localPath
      )
    );
  }
}

/** Registers the read-only content provider; its id, or undefined where JupyterLab has none. */
function registerReadOnlyProvider(
  contents: Contents.IManager
): string | undefined {
  const drive = (contents as Partial<Pick<ContentsManager, 'defaultDrive'>>)
    .defaultDrive;
  const registry = drive?.contentProviderRegistry;
  if (!drive || !registry) {
    return undefined;
  }
  registry.register(READ_ONLY_PROVIDER, new ReadOnlyContentProvider(drive));
  return READ_ONLY_PROVIDER;
}

/** A cell that can be read and not changed (and the file not marked `editable: false`). */
function readOnly<T extends Cell>(cell: T): T {
  cell.syncEditable = false;
  cell.readOnly = true;
  return cell;
}

/** JupyterLab's notebook content, its cells read-only. */
class ReadOnlyCells extends NotebookPanel.ContentFactory {
  override createCodeCell(options: CodeCell.IOptions): CodeCell {
    return readOnly(super.createCodeCell(options));
  }

  override createMarkdownCell(options: MarkdownCell.IOptions): MarkdownCell {
    return readOnly(super.createMarkdownCell(options));
  }

  override createRawCell(options: RawCell.IOptions): RawCell {
    return readOnly(super.createRawCell(options));
  }
}

/**
 * Outlines the cell where the notebook's run failed and scrolls it to the top of the view,
 * its error output below it; false when no cell failed.
 */
export async function showFailedCell(panel: NotebookPanel): Promise<boolean> {
  await panel.revealed;
  const notebook = panel.content;
  const model = notebook.model;
  if (panel.isDisposed || !model) {
    return false;
  }
  const index = failingCellIndex(
    Array.from(model.cells, each => each.toJSON())
  );
  const cell = index === null ? null : (notebook.widgets[index] ?? null);
  notebook.widgets.forEach(each =>
    each.toggleClass(FAILED_CELL_CLASS, each === cell)
  );
  panel.toggleClass('jp-mod-failed', !!cell);
  if (index === null || !cell) {
    return false;
  }
  // Active in command mode, so the keyboard moves on from there (not into its editor).
  notebook.mode = 'command';
  notebook.activeCellIndex = index;
  await notebook.scrollToItem(index, 'start');
  return true;
}

/** What the toolbar of an output notebook holds, given its panel. */
export type OutputToolbar = (
  panel: NotebookPanel
) => DocumentRegistry.IToolbarItem[];

/** Opens notebooks read-only with the notebook widget and settings of `notebooks`. */
class OutputNotebookFactory extends NotebookWidgetFactory {
  constructor(
    private readonly _notebooks: NotebookWidgetFactory,
    toolbar: OutputToolbar,
    contentProviderId: string | undefined
  ) {
    super({
      name: OUTPUT_FACTORY,
      label: trans.__('Output notebook (read-only)'),
      fileTypes: ['notebook'],
      modelName: OUTPUT_MODEL,
      readOnly: true,
      preferKernel: false,
      canStartKernel: false,
      autoStartDefault: false,
      contentProviderId,
      rendermime: _notebooks.rendermime,
      contentFactory: new ReadOnlyCells({
        editorFactory: _notebooks.contentFactory.editorFactory
      }),
      mimeTypeService: _notebooks.mimeTypeService,
      toolbarFactory: toolbar
    });
  }

  protected override createNewWidget(
    context: DocumentRegistry.IContext<INotebookModel>,
    source?: NotebookPanel
  ): NotebookPanel {
    // The user's notebook settings as they are now (they follow the settings editor).
    this.editorConfig = this._notebooks.editorConfig;
    this.notebookConfig = this._notebooks.notebookConfig;
    const panel = super.createNewWidget(context, source);
    panel.addClass(OUTPUT_NOTEBOOK_CLASS);
    void showFailedCell(panel);
    return panel;
  }
}

/**
 * Registers the read-only notebook factory (and its model factory and content provider) with
 * the document registry; null when `notebooks` is not JupyterLab's notebook factory.
 */
export function registerOutputFactory(
  registry: DocumentRegistry,
  contents: Contents.IManager,
  notebooks: NotebookWidgetFactory.IFactory,
  toolbar: OutputToolbar
): NotebookWidgetFactory | null {
  if (!(notebooks instanceof NotebookWidgetFactory)) {
    return null;
  }
  registry.addModelFactory(new OutputNotebookModelFactory());
  const factory = new OutputNotebookFactory(
    notebooks,
    toolbar,
    registerReadOnlyProvider(contents)
  );
  registry.addWidgetFactory(factory);
  return factory;
}
