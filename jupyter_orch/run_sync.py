"""The coordinator's side of a remote run folder (``run_folders``): after each attempt it pulls
what a worker on another machine wrote (so the artifact ledger sees it) and pushes what was
written here; at the run's end a push that fails fails the run, which must not read
``succeeded`` while its notebooks and artifacts are not where the runs are kept."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from .masking import mask_url
from .records import RunStatus, describe_exception
from .run_folders import RemoteFolder
from .runlog import RunLog

log = logging.getLogger(__name__)


class FolderSync:
    def __init__(self, run_dir: str, run_log: RunLog) -> None:
        self.remote = RemoteFolder.of(run_dir)
        self.log = run_log

    async def exchange(self) -> None:
        """Pull what a worker elsewhere wrote, then push what was written here."""
        if self.remote is not None:
            await self._try(self.remote.pull, "from")
            await self._try(self.remote.push, "to")

    async def settle(
        self, outcome: RunStatus | None, error: str | None
    ) -> tuple[RunStatus | None, str | None]:
        """The run's outcome once its last files are pushed: failed when they cannot be."""
        if self.remote is None:
            return outcome, error
        try:
            await asyncio.to_thread(self.remote.push)
        except Exception as exc:
            log.warning(
                "pushing the run folder to %s failed", mask_url(self.remote.url), exc_info=exc
            )
            why = f"its files could not be copied to {mask_url(self.remote.url)}: {describe_exception(exc)}"
            return RunStatus.FAILED, error or why
        return outcome, error

    async def _try(self, sync: Callable[[], int], direction: str) -> None:
        assert self.remote is not None
        try:
            await asyncio.to_thread(sync)
        except Exception as exc:  # tried again after the next attempt, and at the run's end
            url = mask_url(self.remote.url)
            self.log.info(
                f"Warning: copying the run's files {direction} {url} failed: {describe_exception(exc)}"
            )
