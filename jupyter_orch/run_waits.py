"""The coordinator's waits: of retrying steps between attempts, which a person may cut short
(Retry now: the next attempt at once; Fail now: no more attempts), and of a step against its
timeout."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from .records import RunRecord, StepStatus

T = TypeVar("T")

ELAPSED = "elapsed"


class RetryWaits:
    """One coordinator's waiting steps; ``wake`` ends a wait, ``wait`` says how it ended."""

    def __init__(self, sleep: Callable[[float], Awaitable[None]]) -> None:
        self._sleep = sleep  # the coordinator's (a test's fake clock makes waits instant)
        self._woken: dict[str, asyncio.Future[str]] = {}

    async def wait(self, step: str, seconds: float) -> str:
        """``elapsed``, or the action that ended the wait: ``retry`` or ``fail``."""
        woken: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._woken[step] = woken
        sleeping: asyncio.Future[Any] = asyncio.ensure_future(self._sleep(seconds))
        either: set[asyncio.Future[Any]] = {sleeping, woken}
        try:
            await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
            return woken.result() if woken.done() else ELAPSED
        finally:
            sleeping.cancel()
            self._woken.pop(step, None)

    def wake(self, step: str, action: str) -> bool:
        """End the step's wait with ``action``; False when it is not waiting (too late)."""
        woken = self._woken.get(step)
        if woken is None or woken.done():
            return False
        woken.set_result(action)
        return True


async def within(
    awaitable: Awaitable[T], seconds: float | None, sleep: Callable[[float], Awaitable[None]]
) -> T | None:
    """What ``awaitable`` returns, or None if ``sleep(seconds)`` ends first (as
    ``asyncio.wait_for``, with the coordinator's own sleep)."""
    if seconds is None:
        return await awaitable
    waiting = asyncio.ensure_future(awaitable)
    timer = asyncio.ensure_future(sleep(seconds))
    try:
        await asyncio.wait({waiting, timer}, return_when=asyncio.FIRST_COMPLETED)
        return waiting.result() if waiting.done() else None
    finally:
        timer.cancel()
        if not waiting.done():  # timed out, or the caller was cancelled
            waiting.cancel()
            await asyncio.gather(waiting, return_exceptions=True)


def resume_points(run: RunRecord) -> tuple[dict[str, StepStatus], dict[str, datetime]]:
    """Each step's status as a coordinator starts the run, and when the retrying ones make
    their next attempt. A resumed run (its previous coordinator died): a step caught running
    was failed by the reaper; a retrying one is pending, and waits for its stored time."""
    state: dict[str, StepStatus] = {
        s.name: StepStatus.PENDING if s.status is StepStatus.RETRYING else s.status
        for s in run.steps
    }
    resume_at = {
        s.name: s.next_attempt_at
        for s in run.steps
        if s.status is StepStatus.RETRYING and s.next_attempt_at is not None
    }
    return state, resume_at
