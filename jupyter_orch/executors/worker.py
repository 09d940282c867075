"""The worker process: executes notebook tasks with papermill, one at a time.

Runs in a long-lived child process of the executor. Messages to the parent, over a
multiprocessing connection: ``("kernel", key, pid)`` once the kernel runs,
``("log", key, stream, text)`` for output, ``("result", key, TaskResult)`` at the end.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import traceback
from multiprocessing.connection import Connection
from pathlib import Path
from subprocess import DEVNULL
from typing import Any

from .base import NotebookTask, TaskResult

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


class _CappedStream:
    """A file-like object papermill writes cell output to; forwards it to the parent."""

    def __init__(self, conn: Connection, key: str, name: str, budget: list[int]) -> None:
        self._conn = conn
        self._key = key
        self._name = name
        self._budget = budget  # shared by stdout and stderr: [bytes left, bytes dropped]

    def write(self, text: str) -> int:
        size = len(text.encode("utf-8", "replace"))
        if self._budget[0] <= 0:
            self._budget[1] += size
            return len(text)
        if size > self._budget[0]:
            cut = text.encode("utf-8", "replace")[: self._budget[0]].decode("utf-8", "ignore")
            self._budget[1] += size - len(cut.encode())
            text, size = cut, self._budget[0]
        self._budget[0] -= size
        self._conn.send(("log", self._key, self._name, text))
        return len(text)

    def flush(self) -> None:
        pass


def _error_from(exc: BaseException) -> dict[str, Any]:
    from nbclient.exceptions import DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        return {
            "ename": exc.ename,
            "evalue": exc.evalue,
            "traceback": [strip_ansi(line) for line in exc.traceback],
            "cell_index": exc.cell_index,
            "exec_count": exc.exec_count,
        }
    if isinstance(exc, DeadKernelError):
        return {
            "ename": "DeadKernelError",
            "evalue": "kernel died while executing the notebook",
            "traceback": [],
            "cell_index": None,
        }
    return {
        "ename": type(exc).__name__,
        "evalue": str(exc),
        "traceback": traceback.format_exception(exc),
        "cell_index": None,
    }


def _parameters(task: NotebookTask) -> dict[str, Any]:
    """Pipeline parameters the notebook's parameters cell declares, then the step's own."""
    import papermill

    declared = papermill.inspect_notebook(task.notebook)
    merged = {k: v for k, v in task.pipeline_parameters.items() if k in declared}
    merged.update(task.step_parameters)
    return merged


def run_task(task: NotebookTask, conn: Connection) -> TaskResult:
    import nbformat
    import papermill
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync

    from ..outputs import outputs_from_notebook

    Path(task.output_notebook).parent.mkdir(parents=True, exist_ok=True)
    budget = [task.log_cap_bytes, 0]
    # nbclient needs an async client: a blocking one would stall its event loop and with it
    # the poll that notices a dead kernel. run_sync shares the loop nbclient then uses.
    km = AsyncKernelManager(kernel_name=task.kernel_name)
    error: dict[str, Any] | None = None
    try:
        parameters = _parameters(task)
        # The kernel's own stderr carries only ipykernel's start-up chatter; cell output
        # reaches the run log through papermill.
        run_sync(km.start_kernel)(
            cwd=task.cwd, env={**os.environ, **task.env}, stdout=DEVNULL, stderr=DEVNULL
        )
        conn.send(("kernel", task.key, km.provisioner.pid))  # type: ignore[union-attr]
        papermill.execute_notebook(
            task.notebook,
            task.output_notebook,
            parameters=parameters,
            kernel_name=task.kernel_name,
            km=km,
            cwd=task.cwd,
            progress_bar=False,
            stdout_file=_CappedStream(conn, task.key, "stdout", budget),
            stderr_file=_CappedStream(conn, task.key, "stderr", budget),
        )
    except Exception as exc:
        error = _error_from(exc)
    finally:
        with contextlib.suppress(Exception):
            run_sync(km.shutdown_kernel)(now=True)
    if budget[1]:
        conn.send(
            (
                "log",
                task.key,
                "stderr",
                f"\n[output truncated: {budget[1]} more bytes not logged]\n",
            )
        )
    outputs: dict[str, Any] = {}
    written = Path(task.output_notebook).exists()
    if written:
        with contextlib.suppress(Exception):
            outputs = outputs_from_notebook(nbformat.read(task.output_notebook, as_version=4))
    return TaskResult(
        status="failed" if error else "succeeded",
        outputs=outputs,
        error=error,
        output_notebook=task.output_notebook if written else None,
    )


def main(conn: Connection) -> None:
    """Serve tasks until the parent closes the connection or sends None."""
    # Ctrl-C in a terminal reaches the whole process group: the coordinator decides.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import papermill  # noqa: F401  (imported while idle, not on the first step's clock)

    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        try:
            result = run_task(task, conn)
        except BaseException as exc:  # report, never die silently
            result = TaskResult(status="failed", error=_error_from(exc))
        try:
            conn.send(("result", task.key, result))
        except (BrokenPipeError, OSError):
            return
