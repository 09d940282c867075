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
from pathlib import Path
from typing import IO, Any

from ..masking import mask_json
from ..records import error_record
from .base import ENV_PREFIX, CallTask, TaskResult
from .output_caps import CappedStream, log_dropped
from .processes import exit_description
from .protocol import ParentConnection

CHILD_MODULE = "jupyter_orch.calls.child"


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
            code = _run_child(task, conn, budget, result_file)
            result = _read_result(result_file, code)
    except (OSError, ValueError) as exc:
        result = TaskResult(status="failed", error=error_record(type(exc).__name__, str(exc)))
    log_dropped(conn, task.key, budget)
    notebook = task.output_notebook if os.path.exists(task.output_notebook) else None
    result = TaskResult(
        status=result.status,
        outputs=mask_json(result.outputs, task.masked),
        error=mask_json(result.error, task.masked),
        output_notebook=notebook,
    )
    conn.send(("result", task.key, result))
    return result


def _run_child(task: CallTask, conn: ParentConnection, budget: list[int], result_file: Path) -> int:
    request = {
        "kind": task.kind,
        "spec": task.spec,
        "output_notebook": task.output_notebook,
        "result": str(result_file),
        "timeout": task.timeout,
        "masked": list(task.masked),
        "output_cap_bytes": task.output_cap_bytes,
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
    readers = [
        threading.Thread(
            target=_forward,
            args=(stream, CappedStream(conn, task.key, name, budget, task.masked)),
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
    code = process.wait()
    for reader in readers:
        reader.join(5)
    return code


def _forward(stream: IO[bytes] | None, sink: CappedStream) -> None:
    """Forward a child's output to the run log, line by line (so a secret is masked whole)."""
    if stream is None:
        return
    with contextlib.suppress(Exception):  # the parent gone: the worker goes down anyway
        for line in iter(stream.readline, b""):
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
    )
