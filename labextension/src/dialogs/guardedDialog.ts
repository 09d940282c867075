/**
 * A dialog whose accept buttons work only while its form says it can be accepted (the
 * backfill dialog: not before the server has said what the range makes). JupyterLab's Dialog
 * disables them only for inputs the browser finds invalid, and Enter in a field chooses the
 * default button however it looks.
 */
import { Dialog } from '@jupyterlab/apputils';

export class GuardedDialog<T> extends Dialog<T> {
  /**
   * @param canAccept whether an accept button may be chosen now; call `refresh` when what it
   *   reads changes.
   */
  constructor(
    options: Partial<Dialog.IOptions<T>> & {
      buttons: ReadonlyArray<Dialog.IButton>;
    },
    private readonly _canAccept: () => boolean
  ) {
    super(options);
    this._accepts = options.buttons.map(button => button.accept);
    this._default = options.defaultButton ?? options.buttons.length - 1;
  }

  /** Enables or disables the accept buttons as `canAccept` says now. */
  refresh(): void {
    this._checkValidation();
  }

  /** Chooses a button, unless it is an accept button that cannot be chosen now. */
  override resolve(index?: number): void {
    if (this._accepts[index ?? this._default] && !this._canAccept()) {
      return;
    }
    super.resolve(index);
  }

  protected override _checkValidation(): void {
    super._checkValidation();
    if (this._canAccept()) {
      return;
    }
    const nodes = this.node.querySelectorAll<HTMLButtonElement>(
      '.jp-Dialog-footer .jp-Dialog-button'
    );
    nodes.forEach((node, index) => {
      if (this._accepts[index]) {
        node.disabled = true;
      }
    });
  }

  private readonly _accepts: boolean[];
  private readonly _default: number;
}
