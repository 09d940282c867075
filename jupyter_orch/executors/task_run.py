"""One task's run inside the worker: its parameters, papermill on a warm kernel, its result."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import traceback
from pathlib import Path
from typing import Any

from .base import NotebookTask, TaskResult
from .output_caps import CappedStream, CellProgress, log_dropped
from .papermill_engine import ENGINE_NAME
from .processes import kill_kernel_tree
from .protocol import ParentConnection
from .resources import TreeWatch, memory_error

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def error_from(exc: BaseException) -> dict[str, Any]:
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
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:  # our own write of the notebook
        return {
            "ename": "DiskFull",
            "evalue": "no space left on device for the output notebook; free space on the "
            "runs folder's disk, then rerun the step",
            "traceback": [],
            "cell_index": None,
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


def literal_path(path: str) -> str:
    """``path`` as papermill must be given it: papermill formats paths with the parameters
    (``str.format``), so a ``{`` in a folder or file name would fail or, worse, be replaced."""
    return path.replace("{", "{{").replace("}", "}}")


def _parameters(task: NotebookTask) -> dict[str, Any]:
    """Pipeline parameters the notebook's parameters cell declares, then the step's own."""
    declared = _declared(task) if task.pipeline_parameters else set()
    merged = {k: v for k, v in task.pipeline_parameters.items() if k in declared}
    merged.update(task.step_parameters)
    return merged


def _declared(task: NotebookTask) -> set[str]:
    """The names the parameters cell declares, read in the language of the kernel that runs
    it: papermill's ``inspect_notebook`` goes by ``language_info``, which a notebook may get
    wrong (saved once under R, run on Python), and then finds nothing."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
    from papermill.inspection import _infer_parameters
    from papermill.iorw import load_notebook_node

    nb = load_notebook_node(task.notebook)  # reads the path as it is (no formatting)
    try:
        language = KernelSpecManager().get_kernel_spec(task.kernel_name).language
    except NoSuchKernel:
        language = None
    return {p.name for p in _infer_parameters(nb, task.kernel_name, language or None)}


def run_task(task: NotebookTask, conn: ParentConnection, cache: Any) -> TaskResult:
    """Execute one task and send its result; raises ``ParentGone`` only.

    Every other error, an ``OSError`` of the task's own files included, is the step's and
    becomes its result.
    """
    import nbformat
    import papermill

    from ..masking import mask_json
    from ..outputs import lineage_from_notebook, outputs_from_notebook

    budget = [task.log_cap_bytes, 0]
    error: dict[str, Any] | None = None
    kernel = None
    executed: Any = None
    watch: TreeWatch | None = None
    try:
        Path(task.output_notebook).parent.mkdir(parents=True, exist_ok=True)
        parameters = _parameters(task)
        hide_from_later_kernels(task.hidden_env)
        kernel = cache.take(task)
        conn.send(("kernel", task.key, kernel.pid, _own_group(kernel.pid)))
        if kernel.pid:
            pid = kernel.pid
            watch = TreeWatch(pid, task.max_memory, lambda: kill_kernel_tree(pid)).start()
        executed = papermill.execute_notebook(
            literal_path(task.notebook),
            literal_path(task.output_notebook),
            parameters=parameters,
            engine_name=ENGINE_NAME,
            kernel_name=task.kernel_name,
            km=kernel.km,
            kc=kernel.kc,
            language_info=kernel.language_info,
            progress_bar=False,
            stdout_file=CappedStream(conn, task.key, "stdout", budget, task.masked),
            stderr_file=CappedStream(conn, task.key, "stderr", budget, task.masked),
            output_caps=(task.output_cap_bytes, task.notebook_cap_bytes),
            cell_progress=CellProgress(conn, task.key, task.masked),
            masked=task.masked,
            report_mode=task.report_mode,
        )
    except Exception as exc:
        error = error_from(exc)
    usage = watch.stop() if watch is not None else None
    if watch is not None and watch.exceeded is not None and task.max_memory is not None:
        error = memory_error(watch.exceeded, task.max_memory)
    log_dropped(conn, task.key, budget)
    written = Path(task.output_notebook).exists()
    outputs: dict[str, Any] = {}
    lineage = None
    with contextlib.suppress(Exception):
        if executed is None and written:  # papermill raised: read what it saved
            executed = nbformat.read(task.output_notebook, as_version=4)
        if executed is not None:
            outputs = outputs_from_notebook(executed)
            lineage = lineage_from_notebook(executed)
    result = TaskResult(
        status="failed" if error else "succeeded",
        outputs=mask_json(outputs, task.masked),
        error=mask_json(error, task.masked),
        output_notebook=task.output_notebook if written else None,
        resources=usage.to_json() if usage is not None else None,
        lineage=mask_json(lineage, task.masked),
    )
    conn.send(("result", task.key, result))
    # After the result: shutting the kernel down is not on the step's clock.
    if kernel is not None:
        cache.give_back(kernel, task.reuse_key)
    return result


def hide_from_later_kernels(names: frozenset[str]) -> None:
    """Remove ``names`` from this worker's environment: kernels it launches from now on
    never hold them (the kernel in use gets them removed before the step's code runs)."""
    for name in names:
        os.environ.pop(name, None)


def _own_group(pid: int | None) -> int | None:
    """``pid`` if it leads its own process group (kernels start a session of their own)."""
    try:
        return pid if pid and os.getpgid(pid) == pid else None
    except ProcessLookupError:
        return None
