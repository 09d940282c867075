"""Reading the files a pipeline's steps name, as a version keeps them.

A notebook is kept without what running it changes (outputs, execution counts, papermill's and
the widgets' metadata), so saving a notebook that was only run makes no new version.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from jupyter_orch.errors import UserError
from jupyter_orch.inputs.files import FileProblem, PathError, read_bytes
from jupyter_orch.pipelines.loader import LoadedPipeline
from jupyter_orch.spec import PipelineSpec
from jupyter_orch.spec_kinds import SqlFile, has_template, python_target
from jupyter_orch.store.types import CapturedFile, VersionFile

#: The largest file a version keeps.
MAX_VERSION_FILE_BYTES = 50 * 2**20
#: Cell metadata that running a notebook writes.
_RUN_CELL_METADATA = ("execution", "papermill", "collapsed", "scrolled", "ExecuteTime")
_RUN_NOTEBOOK_METADATA = ("papermill", "widgets")


class VersionFileError(UserError):
    """A file a step names that a version cannot keep (HTTP 400, exit 2)."""


def named_files(spec: PipelineSpec) -> list[tuple[str, str, str]]:
    """(step, path as the pipeline names it, kind) of every file the steps name; templated
    paths and module functions (``package.module:function``) are left out."""
    found: list[tuple[str, str, str]] = []
    for step in spec.steps:
        named: tuple[str, str] | None = None
        if step.notebook is not None:
            named = (step.notebook, "notebook")
        elif isinstance(step.sql, SqlFile):
            named = (step.sql.file, "sql")
        elif step.python is not None and python_target(step.python)[0].endswith(".py"):
            named = (python_target(step.python)[0], "python")
        if named is not None and not has_template(named[0]):
            found.append((step.name, *named))
    return found


def capture_files(loaded: LoadedPipeline) -> list[CapturedFile]:
    """The content of every file the pipeline's steps name, inside its root; raises
    ``VersionFileError`` naming a file that is missing, not a regular file or too large."""
    captured: dict[str, CapturedFile] = {}  # a file several steps name is kept once
    for _, named, kind in named_files(loaded.spec):
        if named in captured:
            continue
        what = kind if kind == "notebook" else f"{kind} file"
        try:
            path = loaded.resolve(named, what)
            data = read_bytes(path, MAX_VERSION_FILE_BYTES)
            if len(data) > MAX_VERSION_FILE_BYTES:
                raise FileProblem(f"is larger than {MAX_VERSION_FILE_BYTES // 2**20} MiB")
        except PathError as exc:
            raise VersionFileError(str(exc)) from None
        except FileProblem as exc:
            raise VersionFileError(f"{what} {named!r} {exc.reason}") from None
        if kind == "notebook":
            data = without_outputs(data, named)
        digest = hashlib.sha256(data).hexdigest()
        captured[named] = CapturedFile(VersionFile(named, kind, digest), data)
    return list(captured.values())


def without_outputs(data: bytes, named: str) -> bytes:
    """The notebook's JSON without what running it changes, written the same way every time."""
    # Plain JSON, not nbformat: the loader has validated it, and validating again costs more
    # than everything else a record does
    try:
        notebook = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise VersionFileError(f"notebook {named!r} cannot be read ({exc})") from None
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        raise VersionFileError(f"notebook {named!r} cannot be read (no list of cells)")
    _drop(notebook.get("metadata"), _RUN_NOTEBOOK_METADATA)
    for cell in cells:
        if not isinstance(cell, dict):
            continue
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        _drop(cell.get("metadata"), _RUN_CELL_METADATA)
    return json.dumps(notebook, sort_keys=True, indent=1, ensure_ascii=False).encode("utf-8")


def _drop(metadata: Any, keys: tuple[str, ...]) -> None:
    if isinstance(metadata, dict):
        for key in keys:
            metadata.pop(key, None)
