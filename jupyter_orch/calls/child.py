"""The process running one query, function or export step: ``python -m jupyter_orch.calls.child``.

Started by a worker (``executors.call_run``) in a session of its own, with the task as JSON on
stdin: ``kind``, ``spec``, ``output_notebook``, ``result`` (the file to write the result to),
``timeout``, ``masked`` (values to hide). It is a child subreaper, so whatever the step starts
stays below it and is killed with it; at its end it kills what is still there. SIGINT or SIGTERM
interrupt the step (``KeyboardInterrupt``). The result file holds ``status``, ``outputs`` and
``error`` (with the traceback), every value in them masked.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import traceback
from typing import Any

from ..executors.base import (
    NOTEBOOK_CAP_BYTES,
    OUTPUT_CAP_BYTES,
    OutputCaps,
    skip_slow_optional_imports,
)
from ..executors.kernel_template import set_child_subreaper
from ..executors.processes import sigkill_tree
from ..masking import mask_json
from .report import Report

TITLES = {"query": "Query step", "function": "Function step", "export": "Export step"}


def _interrupt(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


def error_of(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, KeyboardInterrupt):
        return {
            "ename": "Interrupted",
            "evalue": "the step was interrupted (a timeout or a cancel)",
            "traceback": [],
        }
    return {
        "ename": type(exc).__name__,
        "evalue": str(exc),
        "traceback": traceback.format_exception(exc),
    }


def run(request: dict[str, Any]) -> dict[str, Any]:
    kind, spec = request["kind"], request["spec"]
    masked = tuple(request.get("masked") or ())
    caps = OutputCaps(
        request.get("output_cap_bytes") or OUTPUT_CAP_BYTES,
        request.get("notebook_cap_bytes") or NOTEBOOK_CAP_BYTES,
    )
    title = f"# {TITLES.get(kind, kind)} `{spec.get('step', '')}`"
    report = Report(request["output_notebook"], title, masked, caps)
    try:
        if kind == "query":
            from .query import run_query

            outputs = run_query(spec, report, request.get("timeout"))
        elif kind == "function":
            from .function import run_function

            outputs = run_function(spec, report)
        elif kind == "export":
            from .export import run_export

            outputs = run_export(spec, report)
        else:
            raise ValueError(f"unknown step kind {kind!r}")
        result: dict[str, Any] = {"status": "succeeded", "outputs": outputs, "error": None}
    except BaseException as exc:  # the step's own error, an interrupt included
        error = error_of(exc)
        report.error(error)
        result = {"status": "failed", "outputs": {}, "error": error}
    result["lineage"] = _lineage(kind, spec)
    with contextlib.suppress(Exception):  # a full disk: the result still says what happened
        report.save()
    return mask_json(result, masked)


def _lineage(kind: str, spec: dict[str, Any]) -> dict[str, Any] | None:
    """What the step declared (``jupyter_orch.lineage`` in a function) and the tables a
    query's SQL reads and writes; never an error of the step's."""
    from ..outputs import DECLARED

    found: dict[str, Any] = {side: list(dict.fromkeys(DECLARED[side])) for side in DECLARED}
    if kind == "query":
        with contextlib.suppress(Exception):
            from ..datasets.sql import dialect_of, sql_datasets

            tables = sql_datasets(spec["sql"], dialect_of(spec["url"]))
            found["sql"] = {
                "inputs": list(tables.inputs),
                "outputs": list(tables.outputs),
                "query": spec["sql"],  # for OpenLineage's SQL facet
            }
    return found if any(found.values()) else None


def main() -> None:
    skip_slow_optional_imports()
    set_child_subreaper()
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    request = json.loads(sys.stdin.read())
    try:
        result = run(request)
        with open(request["result"], "w", encoding="utf-8") as file:
            json.dump(result, file, default=str)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        # What the step started and left behind (its orphans came to us) goes with it.
        for _ in range(3):
            if not sigkill_tree(os.getpid(), include_root=False):
                break


if __name__ == "__main__":
    main()
