"""Staging folders are a cache: pruned once nothing has used them for a while.

A remote run folder (``run_folders``) is staged on every machine that runs one of its attempts
(a Dask worker) or coordinates it. Its files are at the URL, so a staging folder may go once
its run is over here; but a worker cannot tell when that is (another step of the run may come
to it), and retention deletes a run's staging folder only on the machine that runs retention.
So whoever uses a staging folder holds a *lease* on it, a shared ``flock`` on a file under
``<staging root>/.leases`` whose modification time says when it was last used:

- a run's coordinator, from its start to its end; an attempt on a worker, from its pull to its
  push;
- ``prune_staging`` deletes the folders whose lease nobody holds (it takes it exclusively,
  without waiting) and nobody used for ``JUPYTER_ORCH_STAGING_TTL`` seconds (a day by
  default). A later attempt of such a run pulls its files again.

A lease file is deleted with its folder, under the exclusive lock; whoever opened it before
then finds, once it holds its lock, that the path names another file (or none) and locks the
new one: a lease never protects a folder that is being deleted.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import shutil
import threading
import time
from pathlib import Path

from .run_folders import staging_root

log = logging.getLogger(__name__)

#: Seconds a staging folder stays after its last use (``0``: pruned as soon as it is unused).
STAGING_TTL_ENV = "JUPYTER_ORCH_STAGING_TTL"
DEFAULT_TTL = 24 * 3600.0
#: ``prune_now_and_then`` prunes at most this often per process.
PRUNE_EVERY = 600.0


def staging_ttl() -> float:
    text = os.environ.get(STAGING_TTL_ENV, "").strip()
    if not text:
        return DEFAULT_TTL
    try:
        ttl = float(text)
    except ValueError:
        ttl = -1.0
    if not 0 <= ttl < float("inf"):
        log.warning("%s=%r: give seconds (0 or more); using %d", STAGING_TTL_ENV, text, DEFAULT_TTL)
        return DEFAULT_TTL
    return ttl


def _lease_file(local: str) -> Path:
    digest = hashlib.sha256(os.path.abspath(local).encode()).hexdigest()[:40]
    return staging_root() / ".leases" / f"{digest}.lock"


def _locked(path: Path, mode: int) -> int | None:
    """A descriptor of ``path`` locked with ``mode`` (None: ``LOCK_NB`` and it is held), the
    file the path names once the lock is held (a lock on a file pruned meanwhile is retried)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, mode)
        except BlockingIOError:
            os.close(fd)
            return None
        try:
            current = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            current = False
        if current:
            return fd
        os.close(fd)


class StagingLease:
    """A shared lease on the staging folder ``local`` until ``release`` (or the ``with``
    block's end): ``prune_staging`` leaves the folder alone meanwhile."""

    def __init__(self, local: str) -> None:
        self.local = os.path.abspath(local)
        fd = _locked(_lease_file(self.local), fcntl.LOCK_SH)
        assert fd is not None  # a blocking lock waits for one
        try:
            os.pwrite(fd, self.local.encode(), 0)  # every holder writes the same bytes
            os.utime(fd)
        except BaseException:
            os.close(fd)
            raise
        self._fd: int | None = fd

    def release(self) -> None:
        """Mark the folder used now and let go; never raises (a run's end must not fail on a
        cache's bookkeeping: at worst the folder is pruned a TTL early or late)."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            os.utime(fd)  # its last use
        except OSError as exc:
            log.warning("marking the staging folder %s used failed: %s", self.local, exc)
        finally:
            os.close(fd)

    def __enter__(self) -> StagingLease:
        return self

    def __exit__(self, *_: object) -> None:
        self.release()


def prune_staging(ttl: float | None = None, now: float | None = None) -> list[str]:
    """Delete the staging folders whose lease nobody holds and nobody used for ``ttl``
    seconds (``JUPYTER_ORCH_STAGING_TTL``); the folders deleted."""
    ttl = staging_ttl() if ttl is None else ttl
    now = time.time() if now is None else now
    root = staging_root()
    gone: list[str] = []
    for path in sorted((root / ".leases").glob("*.lock")):
        try:
            if now - path.stat().st_mtime < ttl:
                continue
        except FileNotFoundError:
            continue
        fd = _locked(path, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if fd is None:
            continue  # in use
        try:
            if now - os.fstat(fd).st_mtime < ttl:
                continue  # used meanwhile
            named = os.pread(fd, 4096, 0).decode("utf-8", "replace")
            local = Path(os.path.abspath(named)) if named else root
            if local != root and local.is_relative_to(root):  # never anything else
                shutil.rmtree(local, ignore_errors=True)
                gone.append(str(local))
            os.unlink(path)
        finally:
            os.close(fd)
    return gone


_pruned_at = 0.0
_pruning = threading.Lock()


def prune_now_and_then() -> None:
    """``prune_staging`` at most every ``PRUNE_EVERY`` seconds per process; what goes wrong
    is a warning (a cache left as it was)."""
    global _pruned_at
    if not _pruning.acquire(blocking=False):
        return
    try:
        if _pruned_at and time.monotonic() - _pruned_at < PRUNE_EVERY:
            return
        _pruned_at = time.monotonic()
        gone = prune_staging()
        if gone:
            log.info("pruned %d unused staging folder(s) under %s", len(gone), staging_root())
    except Exception as exc:
        log.warning("pruning staging folders under %s failed: %s", staging_root(), exc)
    finally:
        _pruning.release()
