"""Two runs side by side: their parameters, versions, and each step's status, duration, peak
memory and outputs, with what differs named; and one step's two output notebooks compared cell
by cell (nbdime, in a bounded child process). For ``jupyter orch compare`` and the lab's
comparison (``GET /orch/runs/{a}/compare/{b}``). Paths relative to the root, values masked."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from jupyter_orch.inputs.files import FileProblem, read_bytes
from jupyter_orch.inputs.paths import relative_to_root

from .errors import NotFoundError, UnreadableFile
from .masking import mask_json
from .records import RunRecord, StepRecord, duration_s, iso
from .run_folders import RemoteFolder, is_remote, local_folder
from .run_notebooks import notebook_fields
from .store.base import RunRecords
from .versions.nbdiff import MAX_COMPARED_BYTES, NotebookPair, compare_notebooks


def _run(run: RunRecord) -> dict[str, Any]:
    return {
        "id": run.id,
        "number": run.number,
        "pipeline": run.pipeline,
        "version": run.version,
        "status": run.status.value,
        "trigger": run.trigger.value,
        "started_at": iso(run.started_at),
        "ended_at": iso(run.ended_at),
        "duration_seconds": duration_s(run.started_at, run.ended_at),
        "parameters": run.parameters,
        "exact": run.exact,
    }


def _step(step: StepRecord | None, root: Path | None) -> dict[str, Any] | None:
    if step is None:
        return None
    last = step.last_attempt
    resources = (last.resources if last else None) or {}
    notebook = last.output_notebook if last else None
    return {
        "status": step.status.value,
        "duration_seconds": duration_s(last.started_at, last.ended_at) if last else None,
        "peak_memory_bytes": resources.get("peak_memory_bytes"),
        "outputs": step.outputs,
        **notebook_fields(root, notebook),
    }


def _has_notebook(step: StepRecord | None, run: RunRecord) -> bool:
    """The step left an output notebook (in a remote folder: recorded; it is not looked for)."""
    last = step.last_attempt if step is not None else None
    if not (last and last.output_notebook):
        return False
    return is_remote(run.run_dir) or Path(last.output_notebook).is_file()


def _in_run(value: Any, run: RunRecord) -> Any:
    """A path inside the run's own folder as relative to it: each run writes its own
    ``totals.parquet``, which is no difference."""
    folder = str(local_folder(run.run_dir)).rstrip("/") + "/"
    if isinstance(value, str) and value.startswith(folder):
        return "<run>/" + value[len(folder) :]
    return value


def _steps(run: RunRecord) -> dict[str, StepRecord]:
    return {step.name: step for step in run.steps}


def compare_runs(store: RunRecords, a: str, b: str, root: Path | None = None) -> dict[str, Any]:
    """What differs between runs ``a`` and ``b`` (NotFoundError for either missing)."""
    first, second = store.get_run(a), store.get_run(b)
    names = sorted(first.parameters.keys() | second.parameters.keys())
    parameters = [
        {
            "name": name,
            "a": first.parameters.get(name),
            "b": second.parameters.get(name),
            "same": first.parameters.get(name) == second.parameters.get(name)
            and (name in first.parameters) == (name in second.parameters),
        }
        for name in names
    ]
    steps_a, steps_b = _steps(first), _steps(second)
    steps = []
    for name in [*steps_a, *(n for n in steps_b if n not in steps_a)]:
        one, two = steps_a.get(name), steps_b.get(name)
        out_a = one.outputs if one else {}
        out_b = two.outputs if two else {}
        changed = sorted(
            key
            for key in out_a.keys() | out_b.keys()
            if key not in out_a
            or key not in out_b
            or _in_run(out_a[key], first) != _in_run(out_b[key], second)
        )
        steps.append(
            {
                "name": name,
                "a": _step(one, root),
                "b": _step(two, root),
                "changed_outputs": changed,
                "notebooks": _has_notebook(one, first) and _has_notebook(two, second),
            }
        )
    same_pipeline = first.pipeline == second.pipeline
    return mask_json(
        {
            "a": _run(first),
            "b": _run(second),
            "parameters": parameters,
            "version": {
                "a": first.version,
                "b": second.version,
                "same": same_pipeline and first.version == second.version,
            },
            "steps": steps,
        }
    )


def _notebook_of(run: RunRecord, step: str) -> tuple[Path, bytes]:
    record = _steps(run).get(step)
    last = record.last_attempt if record is not None else None
    if last is None or not last.output_notebook:
        raise NotFoundError(f"step {step!r} of run {run.id} left no output notebook")
    path = Path(last.output_notebook)
    remote = RemoteFolder.of(run.run_dir)
    try:
        data = remote.read(path.name, MAX_COMPARED_BYTES) if remote else None
        if remote and data is None:
            raise FileProblem("does not exist", missing=True)
        if data is not None and len(data) > MAX_COMPARED_BYTES:
            raise FileProblem(f"is larger than {MAX_COMPARED_BYTES // 2**20} MiB")
        return path, data if data is not None else read_bytes(path, MAX_COMPARED_BYTES)
    except FileProblem as exc:
        if exc.missing:
            raise NotFoundError(
                f"the output notebook of step {step!r} of run {run.id} is gone "
                "(retention may have removed it)"
            ) from None
        raise UnreadableFile(f"the output notebook of step {step!r} {exc.reason}") from None


def step_notebooks(
    store: RunRecords, a: str, b: str, step: str, root: Path | None = None
) -> NotebookPair:
    """The step's output notebooks of runs ``a`` and ``b``, named relative to ``root``."""
    pair = []
    for run_id in (a, b):
        path, data = _notebook_of(store.get_run(run_id), step)
        shown = (relative_to_root(root, str(path)) if root else str(path)) or path.name
        pair.append((data, shown))
    (old, old_name), (new, new_name) = pair
    return NotebookPair(old, new, old_name, new_name)


def compare_step_notebooks(
    store: RunRecords, a: str, b: str, step: str, root: Path | None = None
) -> dict[str, Any]:
    """The step's output notebooks of runs ``a`` and ``b``: ``base`` (a's, nbformat JSON) and
    nbdime's ``diff`` to b's."""
    pair = step_notebooks(store, a, b, step, root)
    [compared] = compare_notebooks([pair])
    return mask_json({"step": step, "a_path": pair.old_name, "b_path": pair.new_name, **compared})


def compare_text(comparison: dict[str, Any]) -> str:
    """``jupyter orch compare``: what differs, as plain lines."""
    a, b = comparison["a"], comparison["b"]

    def label(run: dict[str, Any]) -> str:
        number = f"#{run['number']}" if run["number"] else run["id"]
        return f"{run['pipeline']} {number} (version {run['version']}, {run['status']})"

    lines = [f"A: {label(a)}", f"B: {label(b)}", ""]
    version = comparison["version"]
    if not version["same"]:
        lines.append(
            f"version: {version['a']} -> {version['b']} "
            f"(jupyter orch diff {b['pipeline']} {version['a']} {version['b']})"
        )
    changed = [p for p in comparison["parameters"] if not p["same"]]
    lines += [f"parameter {p['name']}: {p['a']!r} -> {p['b']!r}" for p in changed]
    if not changed:
        lines.append("parameters: the same")
    for step in comparison["steps"]:
        one, two = step["a"] or {}, step["b"] or {}
        head = (
            f"step {step['name']}: {one.get('status', 'absent')} -> {two.get('status', 'absent')}"
        )
        lines.append(head + _durations(one, two))
        for key in step["changed_outputs"]:
            was = (one.get("outputs") or {}).get(key)
            now = (two.get("outputs") or {}).get(key)
            lines += _changed_output(key, was, now)
    return "\n".join(lines) + "\n"


#: The longest value ``compare`` prints on one line.
SHOWN_VALUE = 100


def _changed_output(key: str, was: Any, now: Any) -> list[str]:
    """An output that changed: ``was -> now``, or for text of several lines the lines that
    differ."""
    if isinstance(was, str) and isinstance(now, str) and ("\n" in was or "\n" in now):
        changed = difflib.unified_diff(was.splitlines(), now.splitlines(), lineterm="", n=0)
        return [f"  output {key}:"] + [f"    {line}" for line in list(changed)[2:]]
    return [f"  output {key}: {_shown(was)} -> {_shown(now)}"]


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= SHOWN_VALUE else text[: SHOWN_VALUE - 1] + "\u2026"


def _durations(one: dict[str, Any], two: dict[str, Any]) -> str:
    first, second = one.get("duration_seconds"), two.get("duration_seconds")
    if first is None or second is None:
        return ""
    return f" ({first:.1f} s -> {second:.1f} s)"
