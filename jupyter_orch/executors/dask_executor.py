"""The Dask executor: each attempt runs on a worker of a Dask cluster
(``c.OrchApp.executor = "dask"``, ``c.OrchApp.dask_address``).

The coordinator, the records, retries and conditions stay in this process; an attempt is one
Dask task (``dask_worker.run_attempt``) with Dask's retries off, which runs the step as the local
executor does, on the worker's machine. Its output reaches the run log through a Dask event
topic; a stop (timeout, cancel) is a Dask ``Event`` the task watches. ``max_memory`` goes with
the task as the Dask resource ``memory`` when workers declare one, else it restricts the task to
workers whose memory limit is large enough; a request no worker can meet fails the attempt at
once, saying why, instead of waiting for ever.

Output notebooks and artifacts are written by the workers: the runs folder (and the notebooks
under the root) must be at the same paths on every worker, a shared volume.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from typing import Any

from ..errors import SettingError
from ..records import describe_exception, error_record
from ..sizes import format_bytes
from .base import Execution, Executor, LogSink, Task, TaskResult
from .choice import NO_DASK_ADDRESS
from .dask_worker import names, release, run_attempt

#: After a stop, how long the worker gets to stop the step and report.
STOP_GRACE_S = 15.0


def _existing(path: str) -> str | None:
    return path if os.path.exists(path) else None


def _failed(task: Task, ename: str, evalue: str) -> TaskResult:
    return TaskResult(
        status="failed",
        error=error_record(ename, evalue),
        output_notebook=_existing(task.output_notebook),
    )


class _Finished(Execution):
    """An attempt that ended before reaching Dask (no worker can take it)."""

    def __init__(self, result: TaskResult) -> None:
        self.result = result

    async def wait(self) -> TaskResult:
        return self.result

    async def stop(self, reason: str) -> TaskResult:
        return self.result


class _DaskExecution(Execution):
    def __init__(self, client: Any, future: Any, topic: str, task: Task) -> None:
        self.client = client
        self.future = future
        self.topic = topic
        self.task = task
        self._result: asyncio.Future[TaskResult] = asyncio.ensure_future(self._outcome())

    async def _outcome(self) -> TaskResult:
        from distributed import KilledWorker
        from distributed.client import FutureCancelledError

        try:
            result: TaskResult = await self.future
            return result
        except KilledWorker as exc:
            return _failed(
                self.task, "WorkerDied", f"orphaned: the Dask worker running the step died ({exc})"
            )
        except FutureCancelledError:
            return _failed(self.task, "WorkerKilled", "Dask cancelled the step's task")
        except Exception as exc:  # whatever Dask or the worker raised: the attempt failed
            return _failed(self.task, "DaskError", describe_exception(exc))
        finally:
            await self._clean_up()

    async def _clean_up(self) -> None:
        from distributed import Event, Variable

        claimed_name, worker_name, stop_name = names(self.topic)
        with contextlib.suppress(Exception):
            self.client.unsubscribe_topic(self.topic)
        with contextlib.suppress(Exception):
            await Variable(worker_name, client=self.client).delete()
        for name in (claimed_name, stop_name):
            with contextlib.suppress(Exception):
                await Event(name, client=self.client).clear()

    async def wait(self) -> TaskResult:
        return await asyncio.shield(self._result)

    async def stop(self, reason: str) -> TaskResult:
        from distributed import Event

        if not self._result.done():
            with contextlib.suppress(Exception):
                await Event(names(self.topic)[2], client=self.client).set()
            try:
                await asyncio.wait_for(asyncio.shield(self._result), STOP_GRACE_S)
            except asyncio.TimeoutError:
                with contextlib.suppress(Exception):
                    await self.future.cancel()
                return _failed(self.task, "WorkerKilled", reason)
        return await self.wait()


class DaskExecutor(Executor):
    """Attempts as tasks on the Dask cluster at ``address`` (its scheduler), connected on the
    first attempt. ``max_workers`` is unused: the cluster's workers decide how many run."""

    #: Made with the scheduler's address (``dask_address``).
    takes_address = True

    def __init__(
        self, max_workers: int | None = None, *, idle_ttl: float = 600.0, address: str = ""
    ) -> None:
        super().__init__(max_workers, idle_ttl=idle_ttl)
        if not address:
            raise SettingError(NO_DASK_ADDRESS)
        self.address = address
        self._client: Any = None
        self._connecting = asyncio.Lock()

    async def _connect(self) -> Any:
        async with self._connecting:
            if self._client is None:
                from distributed import Client

                self._client = await Client(
                    self.address, asynchronous=True, set_as_default=False, timeout=30
                )
        return self._client

    async def submit(self, task: Task, on_log: LogSink) -> Execution:
        task = self.capped(task)
        try:
            client = await self._connect()
            placement = await self._placement(client, task)
        except (OSError, asyncio.TimeoutError) as exc:  # unreachable, or too slow to answer
            return _Finished(
                _failed(task, "DaskError", f"no Dask scheduler at {self.address}: {exc}")
            )
        if isinstance(placement, str):
            return _Finished(_failed(task, "Unschedulable", placement))
        topic = f"jupyter-orch-{task.key}-{uuid.uuid4().hex[:12]}"

        def forward(event: tuple[float, dict[str, str]]) -> None:
            message = event[1]
            on_log(message["stream"], message["text"])

        client.subscribe_topic(topic, forward)
        future = client.submit(
            run_attempt, task, topic, self.idle_ttl, key=topic, pure=False, retries=0, **placement
        )
        return _DaskExecution(client, future, topic, task)

    async def _placement(self, client: Any, task: Task) -> dict[str, Any] | str:
        """Where ``task`` may run (``client.submit`` arguments), or why no worker can take it."""
        need = task.max_memory
        if need is None:
            return {}
        workers: dict[str, Any] = (await client.scheduler.identity(n_workers=-1))["workers"]
        declared = {
            address: info["resources"]["memory"]
            for address, info in workers.items()
            if "memory" in (info.get("resources") or {})
        }
        if declared:
            if any(room >= need for room in declared.values()):
                return {"resources": {"memory": need}}
            return (
                f"max_memory {format_bytes(need)}: no Dask worker has that much room (the largest "
                f"'memory' resource is {format_bytes(max(declared.values()))}); lower max_memory "
                "or start a worker with --resources memory=<bytes>"
            )
        fits = [
            address
            for address, info in workers.items()
            if not info.get("memory_limit") or info["memory_limit"] >= need
        ]
        if fits or not workers:
            return {"workers": fits, "allow_other_workers": False} if fits else {}
        largest = max(info["memory_limit"] for info in workers.values())
        return (
            f"max_memory {format_bytes(need)}: no Dask worker has that much memory (the largest "
            f"limit is {format_bytes(largest)}); lower max_memory or start a worker with "
            "--memory-limit or --resources memory=<bytes>"
        )

    async def release(self, reuse_key: str) -> None:
        if self._client is not None:
            with contextlib.suppress(Exception):
                await self._client.run(release, reuse_key)

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):
                await client.close()
