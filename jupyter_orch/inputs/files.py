"""The files a pipeline names, and every file jupyter-orch reads for a user: two rules, one place.

- **Confinement**: a path a pipeline names (notebooks today; SQL and Python files next) resolves
  from the pipeline file's folder, and, when there is a root folder (the server's root dir),
  inside it. Outside it, the answer is the same whether anything is there or not, and nothing
  there is opened.
- **Regular files only, never waited on**: a FIFO, socket or device is refused from its ``stat``
  before any ``open``, and the ``open`` itself never blocks (``O_NONBLOCK``, then ``fstat`` of
  the descriptor for a file swapped in between), so no reader waits for a writer that never comes.
"""

from __future__ import annotations

import io
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

from jupyter_orch.errors import UserError


class PathError(UserError, ValueError):
    """A path that leaves the root folder or cannot name a file (HTTP 400; a step that names it
    fails without retrying)."""


class FileProblem(ValueError):
    """A file that cannot be read as text; ``reason`` completes a sentence naming the file."""

    def __init__(self, reason: str, *, missing: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.missing = missing


@dataclass(frozen=True)
class NamedPaths:
    """Where the paths a pipeline names resolve: from ``base`` (its file's folder), and inside
    ``root`` when one is set (None: anywhere, as for files given on the command line)."""

    base: Path
    root: Path | None = None

    def resolve(self, named: str, what: str = "file") -> Path:
        """The absolute path, symlinks resolved; raises ``PathError`` when it leaves the root.

        Absolute paths inside the root are fine. The message quotes only what the pipeline
        says, so it reads the same whether the file outside exists or not.
        """
        if "\x00" in named:
            raise PathError(f"{what} {named!r} contains a NUL character")
        # realpath, not Path.resolve: a symlink loop stays a path (refused or unreadable
        # below), where resolve raises, and saying "loop" would tell what exists outside
        path = Path(os.path.realpath(self.base / named))
        if self.root is not None and not path.is_relative_to(self.root.resolve()):
            raise PathError(
                f"{what} {named!r} is outside the server's root folder; "
                "keep the files a pipeline names under that folder"
            )
        return path

    def shown(self, path: Path) -> str:
        """``path`` as messages show it: relative to the root (never the server's own folders),
        or as it is when there is no root."""
        if self.root is not None:
            try:
                return path.relative_to(self.root.resolve()).as_posix()
            except ValueError:
                pass
        return str(path)


_NOT_REGULAR: tuple[tuple[Callable[[int], bool], str], ...] = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
    (stat.S_ISLNK, "a symbolic link"),
)
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
)


def _refuse_unless_regular(mode: int) -> None:
    if stat.S_ISREG(mode):
        return
    kind = next((name for test, name in _NOT_REGULAR if test(mode)), "a special file")
    raise FileProblem(f"is {kind}, not a regular file")


def _os_problem(exc: OSError) -> FileProblem:
    """What went wrong, without the path (the caller names the file as its user knows it)."""
    if isinstance(exc, (FileNotFoundError, NotADirectoryError)):
        return FileProblem("does not exist", missing=True)
    if isinstance(exc, IsADirectoryError):
        return FileProblem("is a folder, not a regular file")
    if isinstance(exc, PermissionError):
        return FileProblem("cannot be read (permission denied)")
    return FileProblem(f"cannot be read ({exc.strerror or type(exc).__name__})")


def open_regular(path: Path, *, follow: bool = True) -> int:
    """A descriptor for reading the regular file ``path``; ``follow=False``: a symbolic link
    (even one swapped in at the last moment) is refused too. Raises ``FileProblem``."""
    flags = _OPEN_FLAGS if follow else _OPEN_FLAGS | getattr(os, "O_NOFOLLOW", 0)
    try:
        _refuse_unless_regular((os.stat if follow else os.lstat)(path).st_mode)
        fd = os.open(path, flags)
    except OSError as exc:
        raise _os_problem(exc) from None
    try:
        # Swapped for a FIFO between the stat and the open: refused, never read
        _refuse_unless_regular(os.fstat(fd).st_mode)
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_bytes(path: Path, max_bytes: int | None = None) -> bytes:
    """The content of a regular file (of at most ``max_bytes``, judged from its size before
    reading any of it); raises ``FileProblem`` for anything else."""
    fd = open_regular(path)
    with os.fdopen(fd, "rb") as handle:
        try:
            status = os.fstat(fd)
            if max_bytes is not None and status.st_size > max_bytes:
                raise FileProblem(f"is larger than {_size(max_bytes)}")
            return handle.read() if max_bytes is None else handle.read(max_bytes + 1)
        except OSError as exc:
            raise _os_problem(exc) from None


def _size(count: int) -> str:
    return f"{count / 2**20:g} MiB" if count >= 2**20 else f"{count} bytes"


def read_text(path: Path, max_bytes: int | None = None) -> str:
    """The UTF-8 text of a regular file (of at most ``max_bytes``); raises ``FileProblem`` for
    anything else."""
    data = read_bytes(path, max_bytes)
    if max_bytes is not None and len(data) > max_bytes:  # it grew after the size was read
        raise FileProblem(f"is larger than {_size(max_bytes)}")
    try:
        # As ``Path.read_text`` reads it: universal newlines
        return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8").read()
    except UnicodeDecodeError:
        raise FileProblem("is not UTF-8 text") from None


def check_file_pattern(pattern: str) -> str:
    """Validate a file trigger's glob and return it unchanged.

    Raises ``ValueError`` when the pattern is empty, absolute or climbs out of the pipeline's folder
    with a ``..`` component; the message names the pattern.
    """
    if not isinstance(pattern, str) or not pattern.strip():
        raise ValueError(f"file pattern {pattern!r} is empty; write a glob such as data/*.csv")
    windows = PureWindowsPath(pattern)
    if PurePosixPath(pattern).is_absolute() or windows.drive or windows.root:
        raise ValueError(
            f"file pattern {pattern!r} is absolute; write it relative to the pipeline file's folder"
        )
    parts = re.split(r"[\\/]", pattern)
    if ".." in parts:
        raise ValueError(
            f"file pattern {pattern!r} contains '..'; it must stay inside the pipeline file's folder"
        )
    if any("**" in part and part != "**" for part in parts):
        raise ValueError(
            f"file pattern {pattern!r}: '**' must be a whole path component, as in data/**/*.csv"
        )
    return pattern
