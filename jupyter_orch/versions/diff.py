"""What changed between two versions of a pipeline: the YAML as a unified diff, each notebook
cell by cell (nbdime), SQL and Python files as unified diffs. Versions recorded before versions
kept files are compared by their YAML only, and the answer says so."""

from __future__ import annotations

import difflib
import io
import json
from dataclasses import dataclass
from typing import Any

import nbformat

from jupyter_orch.store.base import PipelineCatalog
from jupyter_orch.store.types import PipelineVersion, VersionFile


@dataclass(frozen=True)
class FileChange:
    """A file that differs between two versions (``status``: added, removed or changed)."""

    path: str
    kind: str
    status: str
    old: bytes | None
    new: bytes | None


@dataclass(frozen=True)
class VersionDiff:
    old: PipelineVersion
    new: PipelineVersion
    files: tuple[FileChange, ...]

    @property
    def yaml_diff(self) -> str:
        return unified(
            self.old.source, self.new.source, f"v{self.old.version}", f"v{self.new.version}"
        )

    @property
    def notes(self) -> list[str]:
        """What the comparison cannot show (versions recorded before versions kept files)."""
        return [
            f"version {v.version} was recorded before versions kept files; only its YAML is compared"
            for v in (self.old, self.new)
            if v.predates_files
        ]


def unified(old: str, new: str, old_name: str, new_name: str) -> str:
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), old_name, new_name
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def version_diff(store: PipelineCatalog, name: str, a: int, b: int) -> VersionDiff:
    """Versions ``a`` and ``b`` of pipeline ``name`` and their differing files; NotFoundError
    when the pipeline or either version does not exist."""
    old, new = store.get_version(name, a), store.get_version(name, b)
    before = {f.path: f for f in old.files}
    after = {f.path: f for f in new.files}
    changes = []
    for path in [*before, *(p for p in after if p not in before)]:
        was, now = before.get(path), after.get(path)
        if was is not None and now is not None and was.digest == now.digest:
            continue
        status = "added" if was is None else "removed" if now is None else "changed"
        kind = (now or was).kind  # type: ignore[union-attr]
        changes.append(FileChange(path, kind, status, _read(store, was), _read(store, now)))
    return VersionDiff(old, new, tuple(changes))


def _read(store: PipelineCatalog, file: VersionFile | None) -> bytes | None:
    return None if file is None else store.read_blob(file.digest)


def _notebook(data: bytes | None) -> Any:
    if data is None:
        return nbformat.v4.new_notebook()
    return nbformat.reads(data.decode("utf-8"), as_version=4)


def notebook_diff(change: FileChange) -> list[Any]:
    """nbdime's diff of the two notebooks (JSON: a list of diff entries)."""
    import nbdime  # a second to import: only when a notebook is compared

    diff: list[Any] = nbdime.diff_notebooks(_notebook(change.old), _notebook(change.new))
    return json.loads(json.dumps(diff))


def file_diff_text(change: FileChange, *, color: bool = False) -> str:
    """A changed file as text: a notebook cell by cell (nbdime), other files a unified diff."""
    old_name, new_name = f"a/{change.path}", f"b/{change.path}"
    if change.kind != "notebook":
        return unified(
            (change.old or b"").decode("utf-8", "replace"),
            (change.new or b"").decode("utf-8", "replace"),
            old_name,
            new_name,
        )
    import nbdime
    from nbdime.prettyprint import PrettyPrintConfig, pretty_print_notebook_diff

    out = io.StringIO()
    # difflib, never a git or diff process, and colour only for a terminal
    config = PrettyPrintConfig(out=out, use_git=False, use_diff=False, use_color=color)
    before = _notebook(change.old)
    pretty_print_notebook_diff(
        old_name, new_name, before, nbdime.diff_notebooks(before, _notebook(change.new)), config
    )
    return out.getvalue()


def diff_json(diff: VersionDiff) -> dict[str, Any]:
    """The REST API's answer: the YAML diff, and each changed file with its diff (text, or
    nbdime's diff JSON for a notebook)."""
    files = []
    for change in diff.files:
        entry: dict[str, Any] = {"path": change.path, "kind": change.kind, "status": change.status}
        if change.kind == "notebook":
            entry["diff"] = notebook_diff(change)
        else:
            entry["diff"] = file_diff_text(change)
        files.append(entry)
    return {
        "pipeline": diff.new.pipeline,
        "from": diff.old.version,
        "to": diff.new.version,
        "yaml": diff.yaml_diff,
        "files": files,
        "notes": diff.notes,
    }


def diff_text(diff: VersionDiff, *, color: bool = False) -> str:
    """``jupyter orch diff``: the YAML, then each changed file."""
    parts = [diff.yaml_diff or "pipeline file: no change\n"]
    for change in diff.files:
        parts.append(f"\n{change.kind} {change.path}: {change.status}\n")
        parts.append(file_diff_text(change, color=color))
    parts += [f"\nnote: {note}\n" for note in diff.notes]
    return "".join(parts)
