"""What a Dask worker runs for one attempt of a step (``run_attempt``, submitted by
``DaskExecutor``): the same worker process, kernels, papermill, timeout, cancel and memory limit
as the local executor, reached from the Dask worker instead of from the coordinator.

Each Dask worker process keeps one ``LocalExecutor`` (its worker processes and warm kernels, as
many as the Dask worker has threads) on an event loop thread of its own; a task hands it the
attempt and waits. While it waits it watches for the coordinator's stop (a Dask ``Event``) and
for the coordinator itself: once its client is gone, Dask cancels the task and the attempt is
stopped. Dask's own retries are off: a task that Dask starts again after its worker died (Dask
reschedules the tasks of a lost worker) finds the first worker's claim and fails at once as
orphaned, for the coordinator to retry as its policy says.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import threading
from collections.abc import Callable, Coroutine, Mapping
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, TypeVar

from ..records import describe_exception, error_record
from .base import Execution, Task, TaskResult
from .local import LocalExecutor

T = TypeVar("T")

#: How often a waiting task looks for the coordinator's stop, and for its own cancellation.
POLL_S = 0.2
#: Task states of a worker in which the task is no longer wanted (its client released it).
UNWANTED = frozenset({"cancelled", "released", "forgotten"})


def names(topic: str) -> tuple[str, str, str]:
    """The Dask ``Event`` set once a worker claimed the attempt, the ``Variable`` naming that
    worker, and the attempt's stop ``Event``."""
    return f"{topic}-claimed", f"{topic}-worker", f"{topic}-stop"


def worker_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The Dask worker's environment without the thread variables Dask sets for its own tasks
    (``OMP_NUM_THREADS=1`` and the like, ``distributed.nanny.pre-spawn-environ``): a step's
    kernel runs on that machine as a process of its own, with every core."""
    import dask.config

    dask_set: dict[str, Any] = {}
    for key in ("distributed.nanny.pre-spawn-environ", "distributed.nanny.environ"):
        dask_set.update(dask.config.get(key, default={}) or {})
    return {
        name: value
        for name, value in environ.items()
        if name not in dask_set or str(dask_set[name]) != value
    }


class _Forwarding(LocalExecutor):
    """The local executor as a Dask worker's: the coordinator already applied the output caps."""

    def capped(self, task: Task) -> Task:
        return task


class _Runtime:
    """The Dask worker process's ``LocalExecutor``, on an event loop thread of its own."""

    def __init__(self, slots: int, idle_ttl: float) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self.loop.run_forever, daemon=True, name="orch-dask-runtime"
        )
        self._thread.start()
        self.executor = _Forwarding(
            slots, idle_ttl=idle_ttl, environ=worker_environment(os.environ)
        )

    def call(self, coroutine: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)


_runtime: _Runtime | None = None
_runtime_lock = threading.Lock()


def _get_runtime(slots: int, idle_ttl: float) -> _Runtime:
    global _runtime
    with _runtime_lock:
        if _runtime is None:
            _runtime = _Runtime(slots, idle_ttl)
        return _runtime


def run_attempt(task: Task, topic: str, idle_ttl: float) -> TaskResult:
    """One attempt of ``task`` on this Dask worker; its output goes to topic ``topic``."""
    from distributed import Event, Variable, get_worker

    worker = get_worker()
    claimed_name, worker_name, _ = names(topic)
    claimed = Event(claimed_name)
    if claimed.is_set():  # Dask runs the task again: the worker that first ran it is gone
        try:
            previous = str(Variable(worker_name).get(timeout=5))
        except (TimeoutError, asyncio.TimeoutError):
            previous = "unknown"
        return TaskResult(
            status="failed",
            error=error_record(
                "WorkerDied",
                f"orphaned: the Dask worker running the step ({previous}) died",
            ),
            output_notebook=task.output_notebook if os.path.exists(task.output_notebook) else None,
        )
    Variable(worker_name).set(worker.address)
    claimed.set()
    runtime = _get_runtime(max(worker.state.nthreads, 1), idle_ttl)
    if task.remote is None:
        return _attempt(runtime, worker, task, topic)
    from ..run_staging import StagingLease, prune_now_and_then

    with StagingLease(task.remote.local):  # no prune deletes the staging folder meanwhile
        # A remote run folder: what the steps before wrote elsewhere, then what this attempt
        # wrote, for the steps after it
        problem = _sync(task.remote.pull, "from")
        if problem is not None:
            return TaskResult(status="failed", error=problem)
        result = _attempt(runtime, worker, task, topic)
        problem = _sync(task.remote.push, "to")
    prune_now_and_then()  # staging folders of runs long over here
    if problem is not None:
        return dataclasses.replace(result, status="failed", error=problem)
    return result


def _sync(copy: Callable[[], int], direction: str) -> dict[str, Any] | None:
    """None once ``copy`` is done; else the attempt's error, which names the URL masked."""
    try:
        copy()
    except Exception as exc:
        from ..masking import mask_text

        text = f"copying the run's folder {direction} runs_dir failed: {describe_exception(exc)}"
        return error_record("RunFolderError", mask_text(text))
    return None


def _attempt(runtime: _Runtime, worker: Any, task: Task, topic: str) -> TaskResult:
    """The attempt on the worker's local executor, until it ends or is no longer wanted."""
    from distributed import Event

    _, _, stop_name = names(topic)

    def on_log(stream: str, text: str) -> None:
        worker.log_event(topic, {"stream": stream, "text": text})

    execution: Execution = runtime.call(runtime.executor.submit(task, on_log))
    waiting = asyncio.run_coroutine_threadsafe(execution.wait(), runtime.loop)
    stop = Event(stop_name)
    key = worker.get_current_task()
    while True:
        try:
            return waiting.result(POLL_S)
        except FutureTimeout:
            pass
        state = worker.state.tasks.get(key)
        if state is None or state.state in UNWANTED:
            reason = "the coordinator that ran the step is gone"
        elif stop.is_set():
            reason = "stopped by the coordinator"
        else:
            continue
        return runtime.call(execution.stop(reason))


def release(reuse_key: str) -> None:
    """Shut down the kernel this worker keeps for ``reuse_key`` (the run that shared it ended)."""
    if _runtime is not None:
        _runtime.call(_runtime.executor.release(reuse_key), timeout=10)
