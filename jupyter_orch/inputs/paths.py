"""Paths from requests stay inside the server's root dir, or are refused."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote

from jupyter_orch.inputs.files import PathError

__all__ = ["PathError", "relative_to_root", "resolve_in_root"]


def resolve_in_root(root: str | Path, relative: str, *, field: str = "path") -> Path:
    """The absolute path of ``relative`` under ``root``, symlinks resolved.

    Refused: empty, absolute, NUL, ``..`` (also percent-encoded), and anything that resolves
    outside the root (a symlink out, or a sibling folder sharing the root's name as prefix).
    """
    if not isinstance(relative, str) or not relative.strip():
        raise PathError(f"{field}: give a path relative to the server's root folder")
    decoded = unquote(relative)
    for text in (relative, decoded):
        if "\x00" in text:
            raise PathError(f"{field}: {relative!r} contains a NUL character")
        if text.startswith(("/", "\\")) or Path(text).is_absolute() or text[1:3] == ":\\":
            raise PathError(
                f"{field}: {relative!r} is absolute; give a path inside the root folder"
            )
        if ".." in Path(text.replace("\\", "/")).parts:
            raise PathError(f"{field}: {relative!r} goes up with '..'; stay inside the root folder")
    base = Path(root).resolve()
    # realpath: a symlink loop stays a path (its reader says it cannot be read), where
    # Path.resolve raises
    target = Path(os.path.realpath(base / relative))
    if not target.is_relative_to(base):
        raise PathError(f"{field}: {relative!r} is outside the server's root folder")
    return target


@lru_cache(maxsize=8)
def _resolved_root(root: str) -> Path:
    """The server's root dir, resolved once: a page of runs asks for it per path."""
    return Path(root).resolve()


def relative_to_root(root: str | Path, path: str | None) -> str | None:
    """``path`` relative to the root (POSIX), or None when it is not inside it (a URL never
    is)."""
    if not path or "://" in path:
        return None
    base = _resolved_root(str(root))
    try:
        return Path(os.path.realpath(path)).relative_to(base).as_posix()
    except ValueError:
        return None
