"""What changed between two versions, in words: "step transform: notebook changed (3 cells);
schedule 09:00 -> 07:30; step load added"."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from jupyter_orch.store.types import CapturedFile, VersionFile

#: ``M H * * *`` with plain numbers: shown as the time of day it fires.
_DAILY = re.compile(r"^(\d{1,2}) (\d{1,2}) \* \* \*$")


def cell_sources(notebook: bytes) -> list[str]:
    """The source of each cell of a notebook's JSON (as the store keeps it)."""
    cells = json.loads(notebook).get("cells", [])
    return [
        "".join(c.get("source", "")) if isinstance(c.get("source"), list) else c.get("source", "")
        for c in cells
    ]


def changed_cells(old: Sequence[str], new: Sequence[str]) -> int:
    """How many cells were edited, added or removed, matching cells by their source."""
    matcher = difflib.SequenceMatcher(a=list(old), b=list(new), autojunk=False)
    return sum(
        max(i2 - i1, j2 - j1) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"
    )


def _schedule(definition: Mapping[str, Any]) -> tuple[str, str | None]:
    """The schedule as words show it (a daily one as its time of day), and its zone."""
    schedule = definition.get("schedule")
    if not isinstance(schedule, Mapping):
        return "none", None
    cron = str(schedule.get("cron", ""))
    daily = _DAILY.match(cron)
    return f"{int(daily[2]):02d}:{int(daily[1]):02d}" if daily else cron, schedule.get("timezone")


def _schedule_change(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    (before, old_zone), (after, new_zone) = _schedule(old), _schedule(new)
    if old_zone == new_zone:
        return f"schedule {before} -> {after}" + (f" ({new_zone})" if new_zone else "")
    return f"schedule {before} ({old_zone or 'default zone'}) -> {after} ({new_zone or 'default zone'})"


def _steps(definition: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    steps = definition.get("steps")
    return (
        {s["name"]: s for s in steps if isinstance(s, Mapping)} if isinstance(steps, list) else {}
    )


def _file_change(
    file: VersionFile,
    before: VersionFile | None,
    read: Callable[[str], bytes],
    now: Mapping[str, bytes],
) -> str | None:
    if before is not None and before.digest == file.digest:
        return None
    if file.kind != "notebook" or before is None:
        return f"{file.kind} {'changed' if before is not None else 'recorded'}"
    count = changed_cells(cell_sources(read(before.digest)), cell_sources(now[file.path]))
    if count == 0:
        return "notebook changed (metadata only)"
    return f"notebook changed ({count} cell{'s' if count != 1 else ''})"


def summarize(
    old_definition: Mapping[str, Any] | None,
    old_files: Sequence[VersionFile] | None,
    new_definition: Mapping[str, Any],
    new_files: Sequence[CapturedFile],
    read: Callable[[str], bytes],
    step_files: Mapping[str, str],
) -> str:
    """The changes from the old version (None: there is none) to the new one, in words.

    ``old_files``: None for a version recorded before versions kept files; ``new_files``: each
    new file with its content; ``read``: an old content by its digest; ``step_files``: the
    path each step names.
    """
    if old_definition is None:
        return "first version"
    changes: list[str] = []
    if old_files is None:
        changes.append("files recorded (the version before kept none)")
    else:
        changes += _step_changes(
            old_definition, old_files, new_definition, new_files, read, step_files
        )
    if _schedule(old_definition) != _schedule(new_definition):
        changes.append(_schedule_change(old_definition, new_definition))
    before_steps, after_steps = _steps(old_definition), _steps(new_definition)
    changes += [f"step {name} added" for name in after_steps if name not in before_steps]
    changes += [f"step {name} removed" for name in before_steps if name not in after_steps]
    keys = (set(old_definition) | set(new_definition)) - {"steps", "schedule"}
    changes += [
        f"{key} changed"
        for key in sorted(keys)
        if old_definition.get(key) != new_definition.get(key)
    ]
    return "; ".join(changes) or "pipeline file edited (comments or layout)"


def _step_changes(
    old_definition: Mapping[str, Any],
    old_files: Sequence[VersionFile],
    new_definition: Mapping[str, Any],
    new_files: Sequence[CapturedFile],
    read: Callable[[str], bytes],
    step_files: Mapping[str, str],
) -> list[str]:
    """``step NAME: ...`` for each step of both versions whose definition or file changed."""
    before_files = {f.path: f for f in old_files}
    contents = {captured.file.path: captured.data for captured in new_files}
    touched: dict[str, str] = {}
    for captured in new_files:
        change = _file_change(captured.file, before_files.get(captured.file.path), read, contents)
        if change is not None:
            touched[captured.file.path] = change
    before_steps = _steps(old_definition)
    changes = []
    for name, step in _steps(new_definition).items():
        if name not in before_steps:
            continue
        change = touched.get(step_files.get(name, ""))
        words = [change] if change is not None else []
        if step != before_steps[name]:
            words.insert(0, "definition changed")
        if words:
            changes.append(f"step {name}: {', '.join(words)}")
    return changes
