"""Which files each attempt wrote: the run's artifacts folder is listed as an attempt begins and
as it ends, and what is new or changed between the two listings is the attempt's; so is the file
a step reports as its ``path`` output (an export's file, elsewhere under the root) when it was
modified while the attempt ran.

Steps that run at the same time share the folder, and a listing cannot tell which process wrote
a file. A file named for a step (``<step>.parquet`` as query and function steps write it, or
anything under a ``<step>/`` folder) goes to that step only; any other file written while
another step's attempt also ran names those steps in ``concurrent``, so the run detail can say
it may be theirs. Hidden files (a writer's ``.x.partial``) and symbolic links are not listed.
"""

from __future__ import annotations

import asyncio
import os
import stat
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..masking import masked_logger

log = masked_logger("jupyter_orch.runner")

#: Entries one listing reads at most (a step writing a million files costs this much, once).
MAX_LISTED = 10_000
#: Files one attempt records at most.
MAX_PER_ATTEMPT = 200
#: File systems stamp modification times from a coarse clock (a jiffy): a margin for windows.
SLACK_S = 0.05

#: (size, modification time in ns, inode) of a regular file.
Signature = tuple[int, int, int]


def snapshot(folder: Path, limit: int = MAX_LISTED) -> dict[str, Signature]:
    """The regular files under ``folder`` (no symlinks followed, hidden names skipped), by
    absolute path; at most ``limit`` entries are read."""
    found: dict[str, Signature] = {}
    pending = [str(folder)]
    read = 0
    while pending:
        try:
            with os.scandir(pending.pop()) as entries:
                for entry in entries:
                    read += 1
                    if read > limit:
                        return found
                    if entry.name.startswith("."):
                        continue
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            pending.append(entry.path)
                        elif entry.is_file(follow_symlinks=False):
                            found[entry.path] = _signature(entry.stat(follow_symlinks=False))
                    except OSError:
                        continue  # gone meanwhile
        except OSError:
            continue  # not made yet, or gone
    return found


def _signature(status: os.stat_result) -> Signature:
    return (status.st_size, status.st_mtime_ns, status.st_ino)


def modified_at(mtime_ns: int) -> str:
    return datetime.fromtimestamp(mtime_ns / 1e9, timezone.utc).isoformat()


@dataclass
class _Window:
    """One attempt: when it began, the folder then, and once it has ended, the files it found
    written (None while it runs)."""

    step: str
    started: float
    before: dict[str, Signature] = field(default_factory=dict)
    written: dict[str, Signature] | None = None

    def began_by(self, mtime_ns: int) -> bool:
        return self.started - SLACK_S <= mtime_ns / 1e9

    def may_have_written(self, path: str, signature: Signature) -> bool:
        """Still running and begun before the file's last change; or ended, having found the
        file as it is now among its own."""
        if self.written is None:
            return self.began_by(signature[1])
        return self.written.get(path) == signature


class ArtifactLedger:
    """The files each attempt of one run wrote in ``folder`` (the run's artifacts folder)."""

    def __init__(
        self, folder: Path, steps: Iterable[str], clock: Callable[[], float] = time.time
    ) -> None:
        self.folder = folder
        self.steps = frozenset(steps)
        #: Wall-clock time, as file systems stamp files (never a test's fake clock).
        self.clock = clock
        self._windows: dict[tuple[str, int], _Window] = {}

    async def begin(self, step: str, number: int) -> None:
        """Attempt ``number`` of ``step`` starts: the folder as it is now."""
        window = _Window(step, self.clock())
        self._windows[(step, number)] = window  # running from now, for the others' ends
        try:
            window.before = await asyncio.to_thread(snapshot, self.folder)
        except Exception as exc:  # a listing never fails an attempt
            log.warning("listing %s failed: %s", self.folder, exc)

    async def end(self, step: str, number: int, outputs: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The files the attempt created or changed, for its record (none for an attempt that
        never began, or whose listing failed)."""
        window = self._windows.get((step, number))
        if window is None or window.written is not None:
            return []
        try:
            changed = await asyncio.to_thread(self._changed, window, outputs.get("path"))
        except Exception as exc:
            log.warning("listing %s failed: %s", self.folder, exc)
            changed = {}
        window.written, window.before = changed, {}
        return self._attributed(window, changed)

    def _changed(self, window: _Window, reported: Any) -> dict[str, Signature]:
        after = snapshot(self.folder)
        changed = {path: sig for path, sig in after.items() if window.before.get(path) != sig}
        if isinstance(reported, str) and os.path.isabs(reported) and "\x00" not in reported:
            path = os.path.normpath(reported)
            try:
                status = os.lstat(path)
            except OSError:
                return changed
            hidden = os.path.basename(path).startswith(".")
            written = window.began_by(status.st_mtime_ns)
            if stat.S_ISREG(status.st_mode) and not hidden and written:
                changed.setdefault(path, _signature(status))
        return changed

    def _attributed(self, window: _Window, changed: dict[str, Signature]) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = []
        for path, signature in sorted(changed.items()):
            size, mtime_ns, _ = signature
            owner = self.named_for(path)
            if owner is not None and owner != window.step:
                continue
            entry: dict[str, Any] = {
                "path": path,
                "name": self.name_of(path),
                "size": size,
                "modified_at": modified_at(mtime_ns),
            }
            if owner is None:
                others = {
                    other.step
                    for other in self._windows.values()
                    if other.step != window.step and other.may_have_written(path, signature)
                }
                if others:
                    entry["concurrent"] = sorted(others)
            entries.append(entry)
            if len(entries) >= MAX_PER_ATTEMPT:
                break
        return entries

    def name_of(self, path: str) -> str:
        """How the run detail names a file: relative to the folder, else its own name."""
        try:
            return Path(path).relative_to(self.folder).as_posix()
        except ValueError:
            return Path(path).name

    def named_for(self, path: str) -> str | None:
        """The step a file's name gives it to: ``<step>/...`` or ``<step>.<ext>`` in the
        folder; None for any other file."""
        try:
            parts = Path(path).relative_to(self.folder).parts
        except ValueError:
            return None
        if len(parts) > 1 and parts[0] in self.steps:
            return parts[0]
        stem = parts[-1].split(".", 1)[0] if parts else ""
        return stem if stem in self.steps else None
