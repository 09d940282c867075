"""One query, function or export task's run inside the worker: a process of its own.

The worker starts ``python -m jupyter_orch.calls.child`` in a session of its own, hands it the
task on stdin (its secrets never touch a file or a command line), forwards what it prints to the
run log, masked and capped, and reads its result from a file. The executor treats that process
as it treats a kernel: it is reported as ``("kernel", key, pid, group)``, so a timeout or a
cancel interrupts it, then kills it and everything below it (the child is a subreaper: what it
starts stays below it).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import threading
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

from ..calls.report import Report
from ..masking import mask_json
from ..records import error_record
from .base import ENV_PREFIX, CallTask, TaskResult
from .output_caps import CappedStream, log_dropped
from .processes import exit_description, kill_kernel_tree
from .protocol import ParentConnection
from .resources import TreeWatch, Usage, memory_error

CHILD_MODULE = "jupyter_orch.calls.child"
#: Most bytes of a step's output read as one piece (a line longer than this is cut).
LINE_BYTES = 64 * 1024


def child_environment(task: CallTask) -> dict[str, str]:
    """The worker's environment without what the step must not see, plus the task's own."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in task.hidden_env and not key.startswith(ENV_PREFIX)
    }
    env.update(task.env)
    return env


def run_call(task: CallTask, conn: ParentConnection) -> TaskResult:
    """Execute one call task and send its result; raises ``ParentGone`` only."""
    budget = [task.log_cap_bytes, 0]
    try:
        Path(task.output_notebook).parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="orch-call-") as folder:
            result_file = Path(folder) / "result.json"
            code, watch, usage = _run_child(task, conn, budget, result_file)
            result = _read_result(result_file, code)
        if watch.exceeded is not None and task.max_memory is not None:
            result = TaskResult(
                status="failed", error=memory_error(watch.exceeded, task.max_memory)
            )
        result = replace(result, resources=usage.to_json())
    except (OSError, ValueError) as exc:
        result = TaskResult(status="failed", error=error_record(type(exc).__name__, str(exc)))
    log_dropped(conn, task.key, budget)
    if not os.path.exists(task.output_notebook) and result.error is not None:
        # The process died before it wrote its notebook (killed as it started): one that says
        # so, so that every attempt can be inspected the same way
        with contextlib.suppress(Exception):
            report = Report(task.output_notebook, f"# `{task.spec.get('step', task.kind)}`")
            report.error(result.error)
            report.save()
    notebook = task.output_notebook if os.path.exists(task.output_notebook) else None
    result = TaskResult(
        status=result.status,
        outputs=mask_json(result.outputs, task.masked),
        error=mask_json(result.error, task.masked),
        output_notebook=notebook,
        resources=result.resources,
        lineage=mask_json(result.lineage, task.masked),
    )
    conn.send(("result", task.key, result))
    return result


def _run_child(
    task: CallTask, conn: ParentConnection, budget: list[int], result_file: Path
) -> tuple[int, TreeWatch, Usage]:
    request = {
        "kind": task.kind,
        "spec": task.spec,
        "output_notebook": task.output_notebook,
        "result": str(result_file),
        "timeout": task.timeout,
        "masked": list(task.masked),
        "output_cap_bytes": task.output_cap_bytes,
        "notebook_cap_bytes": task.notebook_cap_bytes,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", CHILD_MODULE],
        cwd=task.cwd,
        env=child_environment(task),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    conn.send(("kernel", task.key, process.pid, process.pid))
    pid = process.pid
    watch = TreeWatch(pid, task.max_memory, lambda: kill_kernel_tree(pid)).start()
    lock = threading.Lock()
    readers = [
        threading.Thread(
            target=_forward,
            args=(stream, CappedStream(conn, task.key, name, budget, task.masked), lock),
            daemon=True,
        )
        for stream, name in ((process.stdout, "stdout"), (process.stderr, "stderr"))
    ]
    for reader in readers:
        reader.start()
    assert process.stdin is not None
    with contextlib.suppress(BrokenPipeError):  # a child killed at once
        process.stdin.write(json.dumps(request).encode())
        process.stdin.close()
    # wait4: the process's own rusage (with the children it waited for), to the last tick
    _, status, rusage = os.wait4(pid, 0)
    code = process.returncode = os.waitstatus_to_exitcode(status)
    usage = watch.stop()
    waited = rusage.ru_utime + rusage.ru_stime
    usage = replace(usage, cpu_seconds=round(max(usage.cpu_seconds, waited), 3))
    for reader in readers:
        reader.join(5)
    return code, watch, usage


def _forward(stream: IO[bytes] | None, sink: CappedStream, lock: threading.Lock) -> None:
    """Forward a child's output to the run log, a line at a time (so that a secret is masked
    whole), a line read at most ``LINE_BYTES`` at once (output without newlines is no way to
    fill the worker's memory). ``lock``: the cap's count is shared with the other stream."""
    if stream is None:
        return
    with contextlib.suppress(Exception):  # the parent gone: the worker goes down anyway
        while line := stream.readline(LINE_BYTES):
            with lock:
                sink.write(line.decode("utf-8", "replace"))


def _read_result(result_file: Path, code: int) -> TaskResult:
    try:
        data: dict[str, Any] = json.loads(result_file.read_text())
    except (OSError, ValueError):
        return TaskResult(
            status="failed",
            error=error_record(
                "StepProcessDied", f"the step's process ended ({exit_description(code)})"
            ),
        )
    return TaskResult(
        status="succeeded" if data.get("status") == "succeeded" else "failed",
        outputs=data.get("outputs") or {},
        error=data.get("error"),
        lineage=data.get("lineage") if isinstance(data.get("lineage"), dict) else None,
    )
