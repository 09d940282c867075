"""A run's artifacts as the REST API shows them: each step's files, from its attempts' records
(a file written by two attempts appears once, as the later one left it), and one file of a run
opened for the lab: a table's first rows, an image's bytes.

Paths in answers and requests are relative to the server's root dir. A requested path must
resolve inside the root and name a file inside the run's folder, or one the run's steps recorded
(an export's file elsewhere under the root); it must be a regular file, opened without following
a symlink swapped in meanwhile, never a FIFO or a device. Blocking: handlers call it in a
thread. No HTTP here.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jupyter_orch.inputs.files import FileProblem, PathError, open_regular
from jupyter_orch.inputs.paths import relative_to_root, resolve_in_root

from .artifacts.files import artifact_type, image_type, read_image, table_preview
from .artifacts.previews import MAX_ROWS
from .errors import NotFoundError, UserError
from .masking import mask_json
from .records import RunRecord
from .store.base import RunRecords


def step_artifacts(run: RunRecord, root: Path) -> dict[str, list[dict[str, Any]]]:
    """Each step's files, by name: ``name`` (in the run's artifacts folder), ``path``
    (relative to the root; None outside it), ``type`` (``image``, ``table``, ``notebook``,
    ``file``), ``size``, ``modified_at``, ``attempt``, and ``concurrent`` when other steps ran
    as it was written."""
    found: dict[str, list[dict[str, Any]]] = {}
    for step in run.steps:
        latest: dict[str, dict[str, Any]] = {}
        for attempt in step.attempts:
            for entry in attempt.artifacts:
                latest[str(entry.get("path"))] = {**entry, "attempt": attempt.number}
        found[step.name] = sorted(
            (_artifact_json(entry, root) for entry in latest.values()), key=lambda a: a["name"]
        )
    return found


def _artifact_json(entry: dict[str, Any], root: Path) -> dict[str, Any]:
    path = str(entry.get("path") or "")
    name = str(entry.get("name") or Path(path).name)
    data = {
        "name": name,
        "path": relative_to_root(root, path),
        "type": artifact_type(name),
        "size": entry.get("size"),
        "modified_at": entry.get("modified_at"),
        "attempt": entry["attempt"],
    }
    if entry.get("concurrent"):
        data["concurrent"] = list(entry["concurrent"])
    return data


def add_step_artifacts(data: dict[str, Any], run: RunRecord, root: Path) -> None:
    """Each step of a run's JSON (``data``) gets its ``artifacts``, masked."""
    found = step_artifacts(run, root)
    for step in data["steps"]:
        step["artifacts"] = mask_json(found.get(step["name"], []))


@dataclass(frozen=True)
class ArtifactImage:
    data: bytes
    content_type: str
    #: Its file name, for ``Content-Disposition``.
    name: str


class RunArtifacts:
    """Files of runs, opened for the lab."""

    def __init__(self, store: RunRecords, root: Path) -> None:
        self.store = store
        self.root = root.resolve()

    def preview(self, run_id: str, path: str, rows: int) -> dict[str, Any]:
        """``GET /orch/runs/{id}/artifacts/preview``: the first ``rows`` rows of a table."""
        if not 1 <= rows <= MAX_ROWS:
            raise UserError(f"rows: give a number from 1 to {MAX_ROWS}, not {rows}")
        with self._open(run_id, path) as (fd, target, shown):
            table = table_preview(fd, target.name, shown, rows).to_json()
        return mask_json({"path": shown, **table})  # a step may have written a secret

    def image(self, run_id: str, path: str) -> ArtifactImage:
        """``GET /orch/runs/{id}/artifacts/image``: an image's bytes and content type."""
        with self._open(run_id, path) as (fd, target, shown):
            content_type = image_type(target.name, shown)
            return ArtifactImage(read_image(fd, shown), content_type, target.name)

    @contextlib.contextmanager
    def _open(self, run_id: str, path: str) -> Iterator[tuple[int, Path, str]]:
        """The file ``path`` of run ``run_id``, open: its descriptor, its real path, and how
        messages name it (relative to the root)."""
        run = self.store.get_run(run_id)
        target = resolve_in_root(self.root, path)
        shown = relative_to_root(self.root, str(target)) or path
        folder = Path(os.path.realpath(run.run_dir))
        recorded = {
            os.path.realpath(str(entry.get("path")))
            for step in run.steps
            for attempt in step.attempts
            for entry in attempt.artifacts
        }
        if not (target.is_relative_to(folder) or str(target) in recorded):
            raise PathError(f"path: {shown} is not a file of run {run_id}")
        try:
            fd = open_regular(target, follow=False)
        except FileProblem as exc:
            if exc.missing:
                raise NotFoundError(f"{shown} does not exist (any more)") from None
            raise PathError(f"path: {shown} {exc.reason}") from None
        try:
            yield fd, target, shown
        finally:
            os.close(fd)
