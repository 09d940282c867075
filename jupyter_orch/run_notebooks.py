"""A run's output notebooks, read-only, wherever its folder is: ``GET /orch/runs/{id}/notebooks``
and ``GET /orch/runs/{id}/notebooks/{name}`` answer as Jupyter's contents API does, so the lab
opens them with its own notebook widget when ``runs_dir`` is outside the server's root (a
shared folder of a team deployment), where the contents API cannot reach them.

Only the notebooks the run records are served, by file name: nothing a request sends becomes a
path. Each is opened without following links and must be a regular file in the run's folder;
its content is masked as every answer of ours is (a step may have printed a secret).
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from jupyter_orch.inputs.files import FileProblem, open_regular
from jupyter_orch.inputs.paths import relative_to_root

from .errors import NotFoundError, UnreadableFile
from .masking import mask_json
from .records import RunRecord
from .run_folders import RemoteFolder, local_folder
from .store.base import RunRecords

#: The largest output notebook served (one with many plots can be tens of MiB).
MAX_NOTEBOOK_BYTES = 128 * 2**20


def notebook_fields(root: str | Path | None, output_notebook: str | None) -> dict[str, Any]:
    """An attempt's notebook as answers give it: relative to the root (null outside it), and
    its file name, which ``GET /orch/runs/{id}/notebooks/{name}`` serves wherever it is."""
    return {
        "output_notebook": relative_to_root(root, output_notebook) if root else output_notebook,
        "output_notebook_name": os.path.basename(output_notebook) if output_notebook else None,
    }


class RunNotebooks:
    def __init__(self, store: RunRecords) -> None:
        self.store = store

    def listing(self, run_id: str) -> dict[str, Any]:
        """The run's folder as a directory model: the output notebooks it still holds."""
        run = self.store.get_run(run_id)
        remote = RemoteFolder.of(run.run_dir)
        models = []
        for name, path in _recorded(run).items():
            try:
                facts = remote.stat(name) if remote else _local(path, name, False)[0]
            except (NotFoundError, UnreadableFile):
                facts = None
            if facts is not None:  # else pruned, never written, or not a file: not listed
                models.append(_model(run.id, name, facts, None))
        return {
            "name": run.id,
            "path": run.id,
            "type": "directory",
            "format": "json",
            "mimetype": None,
            "writable": False,
            "created": None,
            "last_modified": None,
            "size": None,
            "content": sorted(models, key=lambda m: m["name"]),
        }

    def notebook(self, run_id: str, name: str, *, content: bool = True) -> dict[str, Any]:
        """The contents model of the output notebook ``name`` of run ``run_id``, read-only."""
        run = self.store.get_run(run_id)
        path = _recorded(run).get(name)
        if path is None:
            raise NotFoundError(f"run {run_id} has no output notebook {name!r}")
        what = f"the output notebook {name} of run {run_id}"
        remote = RemoteFolder.of(run.run_dir)
        if remote is not None:
            facts, data = _remote(remote, name, what, content)
        else:
            facts, data = _local(path, what, content)
        if data is not None and len(data) > MAX_NOTEBOOK_BYTES:
            raise _too_large(what)
        notebook = mask_json(_parse(data, what)) if data is not None else None
        return _model(run.id, name, facts, notebook)


Facts = tuple[int, float | None]


def _local(path: Path, what: str, content: bool) -> tuple[Facts, bytes | None]:
    """A notebook in this machine's folder: opened without following links, a regular file."""
    try:
        fd = open_regular(path, follow=False)
    except FileProblem as exc:
        if exc.missing:
            raise NotFoundError(f"{what} is gone") from None
        raise UnreadableFile(f"{what} {exc.reason}") from None
    with os.fdopen(fd, "rb") as handle:
        status = os.fstat(fd)
        facts = (status.st_size, status.st_mtime)
        if not content:
            return facts, None
        if status.st_size > MAX_NOTEBOOK_BYTES:
            raise _too_large(what)
        return facts, handle.read(MAX_NOTEBOOK_BYTES + 1)


def _remote(
    folder: RemoteFolder, name: str, what: str, content: bool
) -> tuple[Facts, bytes | None]:
    """A notebook at the run's remote folder (the URL ``runs_dir`` names)."""
    facts = folder.stat(name)
    if facts is None:
        raise NotFoundError(f"{what} is gone")
    if not content:
        return facts, None
    if facts[0] > MAX_NOTEBOOK_BYTES:
        raise _too_large(what)
    data = folder.read(name, MAX_NOTEBOOK_BYTES)
    if data is None:
        raise NotFoundError(f"{what} is gone")
    return facts, data


def _too_large(what: str) -> UnreadableFile:
    size = MAX_NOTEBOOK_BYTES // 2**20
    return UnreadableFile(f"{what} is larger than {size} MiB; download it from the run's folder")


def _recorded(run: RunRecord) -> dict[str, Path]:
    """The run's output notebooks by file name, each in the run's own folder (a later attempt's
    name is its own: ``clean.attempt-2.ipynb``); a remote folder's are named by its staging
    folder."""
    folder = Path(os.path.realpath(local_folder(run.run_dir)))
    found: dict[str, Path] = {}
    for step in run.steps:
        for attempt in step.attempts:
            if not attempt.output_notebook:
                continue
            path = Path(attempt.output_notebook)
            if Path(os.path.realpath(path.parent)) == folder:
                found[path.name] = folder / path.name
    return found


def _parse(data: bytes, what: str) -> Any:
    try:
        notebook = json.loads(data)
    except (ValueError, RecursionError):
        notebook = None
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise UnreadableFile(f"{what} is not a notebook")
    return notebook


def _model(run_id: str, name: str, facts: Facts, content: Any) -> dict[str, Any]:
    size, modified = facts
    return {
        "name": name,
        "path": f"{run_id}/{name}",
        "type": "notebook",
        "format": "json" if content is not None else None,
        "mimetype": None,
        "writable": False,
        "created": _iso(modified),
        "last_modified": _iso(modified),
        "size": size,
        "content": content,
    }


def _iso(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, timezone.utc).isoformat().replace("+00:00", "Z")
