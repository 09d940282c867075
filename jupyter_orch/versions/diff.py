"""What changed between two versions of a pipeline: the YAML as a unified diff, each notebook
cell by cell (nbdime), SQL and Python files as unified diffs. Versions recorded before versions
kept files are compared by their YAML only, and the answer says so."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from jupyter_orch.store.base import PipelineCatalog
from jupyter_orch.store.types import PipelineVersion, VersionFile

from .nbdiff import NotebookPair, compare_notebooks


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


def _pair(change: FileChange) -> NotebookPair:
    return NotebookPair(change.old, change.new, f"a/{change.path}", f"b/{change.path}")


def file_diffs(changes: tuple[FileChange, ...], *, color: bool = False) -> list[str]:
    """Each changed file as text: a notebook cell by cell (nbdime), others a unified diff."""
    notebooks = [c for c in changes if c.kind == "notebook"]
    texts = iter(compare_notebooks([_pair(c) for c in notebooks], text=True, color=color))
    return [
        next(texts)
        if change.kind == "notebook"
        else unified(
            (change.old or b"").decode("utf-8", "replace"),
            (change.new or b"").decode("utf-8", "replace"),
            f"a/{change.path}",
            f"b/{change.path}",
        )
        for change in changes
    ]


def diff_json(diff: VersionDiff) -> dict[str, Any]:
    """The REST API's answer: the YAML diff, and each changed file with its diff (text, or
    nbdime's diff JSON for a notebook)."""
    notebooks = [c for c in diff.files if c.kind == "notebook"]
    nb_diffs = iter(compare_notebooks([_pair(c) for c in notebooks]))
    texts = iter(file_diffs(tuple(c for c in diff.files if c.kind != "notebook")))
    files = []
    for change in diff.files:
        entry: dict[str, Any] = {"path": change.path, "kind": change.kind, "status": change.status}
        if change.kind == "notebook":
            entry.update(next(nb_diffs))  # diff, and base: what nbdime's widgets apply it to
        else:
            entry["diff"] = next(texts)
            entry["base"] = None
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
    for change, text in zip(diff.files, file_diffs(diff.files, color=color), strict=True):
        parts.append(f"\n{change.kind} {change.path}: {change.status}\n")
        parts.append(text)
    parts += [f"\nnote: {note}\n" for note in diff.notes]
    return "".join(parts)
