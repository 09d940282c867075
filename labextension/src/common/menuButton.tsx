/**
 * A button that opens a small menu below it: the run detail's "more ways to rerun" and
 * "Compare with…". Each item says what it does in a second line. Arrow keys, Home and End move
 * between the items, Escape or a click elsewhere closes the menu, and a choice closes it too.
 */
import * as React from 'react';

import { rovingTarget } from '../panel/rovingFocus';

/** One choice of a menu. */
export interface IMenuItem {
  /** A stable key (a run id, an action name). */
  key: string;
  label: string;
  /** A second, quieter line: what the choice does. */
  description?: string;
  /** A short tag after the label ("previous run"). */
  tag?: string;
  disabled?: boolean;
  onSelect: () => void;
}

export interface IMenuButtonProps {
  /** The button's text; its accessible name unless `ariaLabel` is given. */
  label: React.ReactNode;
  ariaLabel?: string;
  /** The button's tooltip. */
  title?: string;
  className?: string;
  disabled?: boolean;
  /** The menu's accessible name. */
  menuLabel: string;
  /** The choices; null while they are not known yet (`status` says why). */
  items: IMenuItem[] | null;
  /** Shown instead of the items: "Loading…", an error, "No other runs". */
  status?: string | null;
  /** Called each time the menu opens (to fetch its items). */
  onOpen?: () => void;
}

export function MenuButton(props: IMenuButtonProps): JSX.Element {
  const [open, setOpen] = React.useState(false);
  const box = React.useRef<HTMLSpanElement>(null);
  const button = React.useRef<HTMLButtonElement>(null);
  const menu = React.useRef<HTMLDivElement>(null);

  const close = (refocus: boolean) => {
    setOpen(false);
    if (refocus) {
      button.current?.focus();
    }
  };

  React.useEffect(() => {
    if (!open) {
      return;
    }
    const outside = (event: MouseEvent) => {
      if (!box.current?.contains(event.target as Node)) {
        setOpen(false);
      }
    };
    document.addEventListener('mousedown', outside, true);
    return () => document.removeEventListener('mousedown', outside, true);
  }, [open]);

  const onKeyDown = (event: React.KeyboardEvent) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      close(true);
      return;
    }
    const buttons = Array.from(
      menu.current?.querySelectorAll<HTMLButtonElement>(
        '[role="menuitem"]:not(:disabled)'
      ) ?? []
    );
    const index = buttons.findIndex(b => b === document.activeElement);
    const target = rovingTarget(event.key, index, buttons.length);
    if (target !== null && buttons.length > 0) {
      event.preventDefault();
      buttons[Math.max(target, 0)].focus();
    }
  };

  return (
    <span className="jp-OrchMenuButton" ref={box} onKeyDown={onKeyDown}>
      <button
        ref={button}
        type="button"
        className={props.className ?? 'jp-mod-styled jp-OrchRunDetail-button'}
        disabled={props.disabled}
        title={props.title}
        aria-label={props.ariaLabel}
        aria-haspopup="menu"
        aria-expanded={open}
        onClick={() => {
          if (!open) {
            props.onOpen?.();
          }
          setOpen(!open);
        }}
      >
        {props.label}
      </button>
      {open && (
        <div
          ref={menu}
          className="jp-OrchMenuButton-menu"
          role="menu"
          aria-label={props.menuLabel}
        >
          {props.status && (
            <div className="jp-OrchMenuButton-status" role="status">
              {props.status}
            </div>
          )}
          {(props.items ?? []).map(item => (
            <button
              key={item.key}
              type="button"
              role="menuitem"
              className="jp-OrchMenuButton-item"
              data-key={item.key}
              disabled={item.disabled}
              onClick={() => {
                close(false);
                item.onSelect();
              }}
            >
              <span className="jp-OrchMenuButton-itemLabel">
                {item.label}
                {item.tag && (
                  <span className="jp-OrchMenuButton-tag">{item.tag}</span>
                )}
              </span>
              {item.description && (
                <span className="jp-OrchMenuButton-itemDescription">
                  {item.description}
                </span>
              )}
            </button>
          ))}
        </div>
      )}
    </span>
  );
}
