"""The coordinator's side of a remote run folder (``run_folders``): after each attempt it pulls
what a worker on another machine wrote (so the artifact ledger sees it) and pushes what was
written here; at the run's end a push that fails fails the run, which must not read
``succeeded`` while its notebooks and artifacts are not where the runs are kept."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from .masking import mask_text, masked_logger
from .records import RunStatus, describe_exception
from .run_folders import RemoteFolder
from .run_staging import StagingLease, prune_now_and_then
from .runlog import RunLog

log = masked_logger(__name__)


class FolderSync:
    def __init__(self, run_dir: str, run_log: RunLog) -> None:
        self.remote = RemoteFolder.of(run_dir)
        self.log = run_log
        #: One copy at a time: steps ending together would otherwise copy the same files twice.
        self._copying = asyncio.Lock()
        self._lease: StagingLease | None = None

    async def hold(self) -> None:
        """Lease the staging folder for the run (``run_staging``): no prune deletes it until
        ``release``."""
        if self.remote is not None and self._lease is None:
            self._lease = await asyncio.to_thread(StagingLease, self.remote.local)

    async def release(self) -> None:
        """The run is over here: its staging folder is pruned once unused for a while (and
        others unused as long, now and then)."""
        if self._lease is not None:
            lease, self._lease = self._lease, None
            lease.release()
            await asyncio.to_thread(prune_now_and_then)

    async def exchange(self) -> None:
        """Pull what a worker elsewhere wrote, then push what was written here; a failure is a
        warning in the run log (the next copy, and the one at the end, try again)."""
        if self.remote is not None:
            for copy, direction in ((self.remote.pull, "from"), (self.remote.push, "to")):
                await self._copy(copy, direction)

    async def settle(
        self, outcome: RunStatus | None, error: str | None
    ) -> tuple[RunStatus | None, str | None]:
        """The run's outcome once its last files are pushed: one that would succeed fails when
        they cannot be (a cancelled or timed-out run keeps its status, the log says why)."""
        if self.remote is None:
            return outcome, error
        problem = await self._copy(self.remote.push, "to")
        if problem is not None and outcome in (None, RunStatus.SUCCEEDED):
            return RunStatus.FAILED, f"its files could not be copied {problem}"
        return outcome, error

    async def _copy(self, copy: Callable[[], int], direction: str) -> str | None:
        """None once ``copy`` is done; else ``<direction> <url>: <cause>``, masked, which the run
        log gives as a warning."""
        assert self.remote is not None
        async with self._copying:
            try:
                await asyncio.to_thread(copy)
            except Exception as exc:
                log.warning("copying a run folder %s %s failed", direction, self.remote.url)
                problem = mask_text(f"{direction} {self.remote.url}: {describe_exception(exc)}")
                self.log.info(f"Warning: copying the run's files {problem}")
                return problem
        return None
