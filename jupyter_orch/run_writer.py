"""The run coordinator's store calls: on one background thread, so the event loop never waits
on SQL, in the order they were made; and the run's end, written until the store takes it."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from .executors.base import Execution
from .masking import mask_json, mask_text, masked_logger
from .records import RunRecord, RunStatus, StepStatus, describe_exception, error_record
from .runlog import RunLog
from .spec_notify import NotifySpec
from .store.base import RunRecords

T = TypeVar("T")
log = masked_logger("jupyter_orch.runner")

#: Longest wait between two tries to record a run's end while the store refuses writes.
SETTLE_MAX_DELAY = 30.0
#: Tries to write a run's last log lines before its end is recorded without them.
SETTLE_LOG_TRIES = 5


class RunWriter:
    """Writes one run's records; ``call`` runs a store method on the writer's thread."""

    def __init__(
        self,
        store: RunRecords,
        run_id: str,
        clock: Callable[[], datetime],
        sleep: Callable[[float], Awaitable[None]],
    ) -> None:
        self.store = store
        self.run_id = run_id
        self.clock = clock
        self.sleep = sleep
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="orch-store")

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, partial(fn, *args, **kwargs))

    async def track(self, execution: Execution, step: str, number: int) -> None:
        """Where an attempt runs, once known, so a reaper can kill it if this process dies."""
        processes = await execution.started()
        if processes:
            await self.call(
                self.store.set_attempt_processes,
                self.run_id,
                step,
                number,
                {
                    "host": socket.gethostname(),
                    "recorded_at": int(self.clock().timestamp()),
                    **processes,
                },
            )

    def watch_long_running(
        self, notify: NotifySpec, started_at: datetime
    ) -> asyncio.Future[None] | None:
        """``notify.on_long_running``: queued once when the run is still running ``after`` its
        start (the store keeps it to once per run, a resumed run included)."""
        if notify.on_long_running is None:
            return None
        due = started_at + timedelta(seconds=notify.on_long_running.after)

        async def watch() -> None:
            await self.sleep(max((due - self.clock()).total_seconds(), 0.0))
            try:
                await self.call(self.store.queue_long_running, self.run_id, self.clock())
            except Exception as exc:  # an alert never fails the run
                log.warning("run %s: queueing its long-running alert failed: %s", self.run_id, exc)

        return asyncio.ensure_future(watch())

    def close(self) -> None:
        self._thread.shutdown(wait=False)

    async def settle(
        self,
        run_log: RunLog,
        outcome: RunStatus,
        error: str | None,
        steps: dict[str, StepStatus],
        fault: dict[str, Any] | None,
    ) -> RunRecord:
        """Record the run's end: its status, every step's final status, every attempt
        finished, in one transaction. While the store refuses (a full disk, a database
        restarting), try again with backoff: the run must not stay `running`.

        An attempt still running ends with ``fault`` (the internal error that ended the run),
        or says the run was cancelled, or carries the run's error."""
        if outcome is RunStatus.CANCELLED:
            attempt_error = error_record("Cancelled", "the run was cancelled while this step ran")
        else:
            attempt_error = fault or error_record("InternalError", error or "")
        delay, said, log_failures = 0.5, False, 0

        def tell(exc: Exception) -> None:
            nonlocal said
            if not said:  # shown at once by the CLI; stored with the log once writes work
                run_log.info(
                    f"The store refused to record the end of run {self.run_id} "
                    f"({describe_exception(exc)}); it will be recorded {outcome.value} "
                    "once the store accepts writes again: retrying"
                )
                said = True

        while True:
            try:
                await run_log.flush()
            except Exception as exc:
                # Its lines stay pending for the next try; a log the store never takes (a
                # line it cannot hold) must not keep the run from ending
                log.warning("run %s: writing its log failed: %s", self.run_id, exc)
                log_failures += 1
                if log_failures < SETTLE_LOG_TRIES:
                    tell(exc)
                    await self.sleep(delay)
                    delay = min(delay * 2, SETTLE_MAX_DELAY)
                    continue
            try:
                await self.call(
                    self.store.settle_run,
                    self.run_id,
                    outcome,
                    mask_text(error) if error else error,  # a fault's message may quote a URL
                    self.clock(),
                    steps=steps,
                    attempt_error=mask_json(attempt_error),
                )
                return await self.call(self.store.get_run, self.run_id)
            except Exception as exc:
                tell(exc)
                log.warning("run %s: recording its end failed: %s", self.run_id, exc)
            await self.sleep(delay)
            delay = min(delay * 2, SETTLE_MAX_DELAY)
