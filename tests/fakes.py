"""Fakes for the run coordinator's tests: an executor that plays scripted results, a clock
whose time moves only when everything else waits on it, a store that fails on a chosen call,
and a SQLite store copied from one migrated once."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import shutil
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Coroutine
from concurrent.futures import Executor as ThreadExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Literal, TypeVar

from jupyter_orch.executors.base import Execution, Executor, LogSink, NotebookTask, TaskResult
from jupyter_orch.store.repository import Store

T = TypeVar("T")


def _no_fault(_stage: str) -> None:
    pass


@dataclass(frozen=True)
class Script:
    """What one attempt of a step does under the ``FakeExecutor``."""

    status: Literal["succeeded", "failed"] = "succeeded"
    outputs: dict[str, Any] = field(default_factory=dict)
    #: Seconds of the fake clock the attempt runs for.
    seconds: float = 0.0
    #: Runs until stopped (a timeout, a cancel).
    hang: bool = False

    @property
    def error(self) -> dict[str, Any] | None:
        if self.status == "succeeded":
            return None
        return {"ename": "ValueError", "evalue": "scripted failure", "cell_index": 1}


SUCCEEDS = Script()
FAILS = Script("failed")
HANGS = Script(hang=True)


class FakeExecution(Execution):
    """One scripted attempt; ``stop`` ends it at once with what it had (nothing)."""

    def __init__(
        self,
        task: NotebookTask,
        script: Script,
        fault: Callable[[str], None],
        clock: FakeClock | None,
    ) -> None:
        self.task = task
        self.script = script
        self.fault = fault
        self.clock = clock
        self.stopped: str | None = None
        self._stop = asyncio.Event()

    async def wait(self) -> TaskResult:
        self.fault("wait")
        if self.script.hang:
            await self._stop.wait()
        elif self.script.seconds and self.clock is not None:
            await self.clock.wait(self.script.seconds)
        else:
            await asyncio.sleep(0)
        s = self.script
        return TaskResult(s.status, dict(s.outputs), s.error, self.task.output_notebook)

    async def stop(self, reason: str) -> TaskResult:
        self.stopped = reason
        self._stop.set()
        return TaskResult("failed", {}, None, self.task.output_notebook)


class FakeExecutor(Executor):
    """Plays ``scripts[step][n]`` for the n-th task of a step it is sent (the last one again
    past the end; ``SUCCEEDS`` for a step without a script). ``fault(stage)`` may raise at
    ``submit`` and ``wait``."""

    def __init__(
        self,
        scripts: dict[str, list[Script]] | None = None,
        *,
        fault: Callable[[str], None] = _no_fault,
        clock: FakeClock | None = None,
    ) -> None:
        self.scripts = scripts or {}
        self.fault = fault
        self.clock = clock
        self.tasks: list[NotebookTask] = []
        self.executions: list[FakeExecution] = []
        self.released: list[str] = []
        self.submitted: dict[str, asyncio.Event] = defaultdict(asyncio.Event)
        self._sent: dict[str, int] = defaultdict(int)

    async def submit(self, task: NotebookTask, on_log: LogSink) -> Execution:
        self.fault("submit")
        step = task.env["JUPYTER_ORCH_STEP"]
        scripts = self.scripts.get(step) or [SUCCEEDS]
        script = scripts[min(self._sent[step], len(scripts) - 1)]
        self._sent[step] += 1
        on_log("stdout", "hello\n")
        execution = FakeExecution(task, script, self.fault, self.clock)
        self.tasks.append(task)
        self.executions.append(execution)
        self.submitted[step].set()
        return execution

    def steps(self) -> list[str]:
        """The steps sent, in order, once per attempt."""
        return [task.env["JUPYTER_ORCH_STEP"] for task in self.tasks]

    async def release(self, reuse_key: str) -> None:
        self.released.append(reuse_key)

    async def close(self) -> None:
        pass


class FakeClock:
    """Time that moves only when ``advance`` moves it, to the next wake-up.

    ``sleep`` is what the coordinator is given (each delay asked for is kept in ``sleeps``);
    ``wait`` is the same without the record, for a fake attempt's running time.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
        self.sleeps: list[float] = []
        self._sleepers: list[tuple[datetime, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def __call__(self) -> datetime:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        await self.wait(seconds)

    async def wait(self, seconds: float) -> None:
        future = asyncio.get_running_loop().create_future()
        wake = self.now + timedelta(seconds=seconds)
        heapq.heappush(self._sleepers, (wake, next(self._order), future))
        await future

    def advance(self) -> bool:
        """Move to the earliest wake-up and wake every sleeper due; False if none waits."""
        while self._sleepers and self._sleepers[0][2].done():  # cancelled sleeps
            heapq.heappop(self._sleepers)
        if not self._sleepers:
            return False
        self.now = max(self.now, self._sleepers[0][0])
        while self._sleepers and self._sleepers[0][0] <= self.now:
            future = heapq.heappop(self._sleepers)[2]
            if not future.done():
                future.set_result(None)
        return True


class _CountingLoop(asyncio.SelectorEventLoop):
    """Counts calls in flight on threads (the store's, ``to_thread``'s)."""

    in_threads = 0

    def run_in_executor(  # type: ignore[override]
        self, executor: ThreadExecutor | None, func: Callable[..., T], *args: Any
    ) -> asyncio.Future[T]:
        future = super().run_in_executor(executor, func, *args)
        self.in_threads += 1
        future.add_done_callback(self._returned)
        return future

    def _returned(self, _future: asyncio.Future[Any]) -> None:
        self.in_threads -= 1


#: Turns of the event loop with no thread call in flight before the fake clock moves on.
QUIET_TURNS = 50


def run_with_clock(main: Callable[[], Coroutine[Any, Any, T]], clock: FakeClock) -> T:
    """``asyncio.run(main())`` where the fake clock advances whenever nothing else can run:
    no thread call in flight and the loop quiet for ``QUIET_TURNS`` turns. Fails if the run
    waits for something the clock cannot bring (a hang) for 5 seconds of real time."""

    async def drive() -> T:
        loop = asyncio.get_running_loop()
        assert isinstance(loop, _CountingLoop)
        task = asyncio.ensure_future(main())
        quiet, stuck_since = 0, time.monotonic()
        while not task.done():
            busy = loop.in_threads > 0
            await asyncio.sleep(0.0005 if busy else 0)
            quiet = 0 if busy else quiet + 1
            if busy:
                stuck_since = time.monotonic()
            if quiet < QUIET_TURNS:
                continue
            quiet = 0
            if clock.advance():
                stuck_since = time.monotonic()
            elif time.monotonic() - stuck_since > 5:
                task.cancel()
                raise AssertionError("the run waits on nothing the fake clock can wake")
        return task.result()

    with asyncio.Runner(loop_factory=_CountingLoop) as runner:
        return runner.run(drive())


class FakeFaultyStore:
    """A fake around a real store: the ``nth`` call of ``method`` raises ``error`` (once)."""

    def __init__(self, store: Store, method: str, nth: int, error: BaseException) -> None:
        self._store = store
        self._method = method
        self._nth = nth
        self._error = error
        self._calls = itertools.count(1)

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._store, name)
        if name != self._method:
            return target

        def call(*args: Any, **kwargs: Any) -> Any:
            if next(self._calls) == self._nth:
                raise self._error
            return target(*args, **kwargs)

        return call


_migrated: list[Path] = []


def copied_store(folder: Path) -> Store:
    """A SQLite store in ``folder``, copied from one migrated once per session (milliseconds
    instead of a migration's quarter second)."""
    if not _migrated:
        template = Path(tempfile.mkdtemp(prefix="orch-template-")) / "orch.sqlite"
        Store.open(f"sqlite:///{template}").close()
        _migrated.append(template)
    path = folder / "orch.sqlite"
    shutil.copy(_migrated[0], path)
    return Store.open(f"sqlite:///{path}")
