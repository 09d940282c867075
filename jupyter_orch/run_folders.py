"""Run folders in a remote ``runs_dir``: an fsspec URL (``s3://bucket/orch-runs``,
``gs://...``, ``file:///mnt/shared/runs``) instead of a folder every machine mounts.

Steps still read and write a local folder, the run's *staging* folder, as ordinary files (a
notebook's ``pandas.to_parquet(path)`` works as before); the URL is the record. Whoever runs an
attempt pulls the run's folder from the URL before it (what the upstream steps wrote, when they
ran on another machine) and pushes what changed after it; the coordinator pulls after each
attempt (for its artifact ledger) and pushes what it wrote itself (the sources of the run's
version). The server reads output notebooks from the URL (``run_notebooks``), and retention
deletes there.

A staging folder is ``<staging root>/<scheme>/<host and path of the run's URL>``: the same
absolute path on every machine that shares the root (``JUPYTER_ORCH_RUNS_STAGING``, by default
``<temp dir>/jupyter-orch-runs``), because a step's parameters name files in it.
"""

from __future__ import annotations

import os
import posixpath
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

#: The variable naming the local folder under which remote run folders are staged.
STAGING_ENV = "JUPYTER_ORCH_RUNS_STAGING"


def is_remote(runs_dir: str | Path) -> bool:
    """Whether ``runs_dir`` (or a run's folder) is an fsspec URL rather than a local path."""
    text = str(runs_dir)
    scheme, sep, _ = text.partition("://")
    return bool(sep) and scheme.isascii() and scheme.replace("+", "").replace("-", "").isalnum()


class RemoteRuns(str):
    """A remote ``runs_dir``: its URL, which ``/`` extends as it extends a ``Path``."""

    def __truediv__(self, name: str | Path) -> RemoteRuns:
        return RemoteRuns(f"{self.rstrip('/')}/{name}")


#: ``runs_dir`` as the orchestrator holds it: a local folder, or a URL.
RunsDir = Path | RemoteRuns


def staging_root() -> Path:
    return Path(os.environ.get(STAGING_ENV) or Path(tempfile.gettempdir()) / "jupyter-orch-runs")


def local_folder(run_dir: str) -> Path:
    """Where the run's files are read and written on this machine: the folder itself, or the
    staging folder of a remote one."""
    if not is_remote(run_dir):
        return Path(run_dir)
    scheme, _, rest = run_dir.partition("://")
    relative = posixpath.normpath("/" + rest).lstrip("/")  # no ``..`` can climb out
    return staging_root() / scheme / relative


@dataclass(frozen=True)
class RemoteFolder:
    """A run's folder at ``url``, staged at ``local``."""

    url: str
    local: str

    @classmethod
    def of(cls, run_dir: str) -> RemoteFolder | None:
        return cls(run_dir.rstrip("/"), str(local_folder(run_dir))) if is_remote(run_dir) else None

    def _remote(self) -> tuple[Any, str]:
        from fsspec.core import url_to_fs

        fs, root = url_to_fs(self.url)
        return fs, root.rstrip("/")

    def pull(self) -> int:
        """Copy the files the URL has and the staging folder lacks or holds at another size; the
        number copied. (Not by time: a file pushed from here is newer there, and the same.)"""
        fs, root = self._remote()
        copied = 0
        for path, info in _remote_files(fs, root).items():
            relative = posixpath.normpath(posixpath.relpath(path, root))
            if relative.startswith("../") or relative in ("..", "."):
                continue  # a key such as ``a/../../x`` would land outside the staging folder
            target = Path(self.local, relative)
            if not _differs(info, target, by_time=False):
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            part = target.with_name(f".{target.name}.part")
            fs.get_file(path, str(part))
            modified = _modified(info)
            if modified is not None:  # as old as the original: pushing it back is no change
                os.utime(part, (modified, modified))
            os.replace(part, target)
            copied += 1
        return copied

    def push(self) -> int:
        """Copy the staged files the URL lacks, or holds older or at another size; the number
        copied."""
        fs, root = self._remote()
        there = _remote_files(fs, root)
        copied = 0
        for folder, _, files in os.walk(self.local):
            for name in files:
                if name.startswith(".") and name.endswith(".part"):
                    continue
                source = Path(folder, name)
                if source.is_symlink():  # a step's link to a file elsewhere is not the run's
                    continue
                path = f"{root}/{source.relative_to(self.local).as_posix()}"
                if not _differs(source, there.get(path), by_time=True):
                    continue
                fs.makedirs(posixpath.dirname(path), exist_ok=True)
                fs.put_file(str(source), path)
                copied += 1
        return copied

    def read(self, name: str, max_bytes: int) -> bytes | None:
        """The file ``name`` of the folder (None: there is none); at most ``max_bytes`` + 1."""
        fs, root = self._remote()
        try:
            with fs.open(f"{root}/{name}", "rb") as handle:
                return bytes(handle.read(max_bytes + 1))
        except FileNotFoundError:
            return None

    def stat(self, name: str) -> tuple[int, float | None] | None:
        """The size and modification time of the file ``name`` (None: there is none)."""
        fs, root = self._remote()
        try:
            info = fs.info(f"{root}/{name}")
        except FileNotFoundError:
            return None
        return (_facts(info) or (0, None)) if info.get("type") == "file" else None

    def size(self) -> int:
        """The bytes the folder holds at the URL."""
        fs, root = self._remote()
        return sum(int(info.get("size") or 0) for info in _remote_files(fs, root).values())

    def remove(self) -> None:
        """Delete the folder at the URL (errors raise: retention tries again), and its staging
        folder here."""
        fs, root = self._remote()
        if fs.exists(root):
            fs.rm(root, recursive=True)
        shutil.rmtree(self.local, ignore_errors=True)


def remove_folder(run_dir: str) -> None:
    """Delete a run's folder: a local one as far as it can be, a remote one wholly or raise."""
    remote = RemoteFolder.of(run_dir)
    if remote is not None:
        remote.remove()
    else:
        shutil.rmtree(run_dir, ignore_errors=True)


def _remote_files(fs: Any, root: str) -> dict[str, dict[str, Any]]:
    try:
        found = fs.find(root, detail=True)
    except FileNotFoundError:
        return {}
    return {path.rstrip("/"): info for path, info in found.items() if info.get("type") == "file"}


def _modified(info: dict[str, Any]) -> float | None:
    """A remote file's modification time in seconds, as its file system reports it."""
    for key in ("mtime", "LastModified", "updated", "last_modified"):
        value = info.get(key)
        if isinstance(value, int | float):
            return float(value)
        if isinstance(value, datetime):  # s3fs, gcsfs
            return value.timestamp()
    return None


def _facts(item: dict[str, Any] | Path) -> tuple[int, float | None] | None:
    """Size and modification time of a local file (None: missing) or of a remote file's info."""
    if isinstance(item, Path):
        try:
            status = item.stat()
        except FileNotFoundError:
            return None
        return status.st_size, status.st_mtime
    return int(item.get("size") or 0), _modified(item)


def _differs(
    source: dict[str, Any] | Path, target: dict[str, Any] | Path | None, *, by_time: bool
) -> bool:
    """Whether ``source`` should replace ``target``: the target is missing or of another size
    or, ``by_time``, older. (A file rewritten at the same size reaches machines that do not
    hold it yet; steps write their outputs once, by name.)"""
    here = _facts(source)
    there = _facts(target) if target is not None else None
    if here is None:
        return False
    if there is None or here[0] != there[0]:
        return True
    if not by_time or here[1] is None or there[1] is None:
        return False
    # An object store's time is the upload's, in whole seconds (S3's LastModified): a file
    # written in the second it was uploaded is not newer than its copy (rsync's
    # --modify-window, for the same reason); without it each push sent such files again
    grain = 1.0 if float(there[1]).is_integer() else 1e-3
    return here[1] > there[1] + grain
