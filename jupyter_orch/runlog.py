"""The run log: orchestration lines and step output, buffered and written in batches.

Lines are stored with their credentials masked (a notebook printing its database URL, an error
quoting one): the log is shown to whoever may see the run."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import partial

from .masking import mask_text, masked_logger
from .records import PROGRESS_STREAM
from .store.types import LogLine, utcnow

log = masked_logger("jupyter_orch.runner")
Writer = Callable[[list[LogLine]], Awaitable[None]]


class RunLog:
    """Collects lines for one run; the coordinator flushes them to the store."""

    def __init__(
        self,
        write: Writer,
        observer: Callable[[LogLine], None] | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._write = write
        self._clock = clock
        self._observer = observer
        self._pending: list[LogLine] = []
        self._partial: dict[tuple[str | None, str], str] = {}

    def info(self, message: str, step: str | None = None) -> None:
        line = LogLine(self._clock(), step, "orch", mask_text(message))
        self._pending.append(line)
        if self._observer is not None:
            self._observer(line)

    def output(self, step: str, stream: str, text: str) -> None:
        """Step output arrives in chunks; only whole lines are stored until the step ends.
        A step's progress is one item, the newest pending (the store keeps it on the step)."""
        if stream == PROGRESS_STREAM:
            self._pending = [
                ln for ln in self._pending if (ln.step, ln.stream) != (step, PROGRESS_STREAM)
            ]
            self._pending.append(LogLine(self._clock(), step, stream, text))
            return
        key = (step, stream)
        buffered = self._partial.pop(key, "") + text
        *lines, rest = buffered.split("\n")
        now = self._clock()
        self._pending.extend(LogLine(now, step, stream, mask_text(ln)) for ln in lines)
        if rest:
            self._partial[key] = rest

    def end_output(self, step: str) -> None:
        for key in [k for k in self._partial if k[0] == step]:
            text = mask_text(self._partial.pop(key))
            self._pending.append(LogLine(self._clock(), step, key[1], text))

    async def flush(self) -> None:
        """Write the pending lines; if the store refuses them, they stay pending.

        A flush cancelled while it writes (the flusher, as the run ends) still writes the
        lines it took: a cancelled write would drop them if it had not started yet.
        """
        lines, self._pending = self._pending, []
        if not lines:
            return
        write = asyncio.ensure_future(self._write(lines))
        try:
            await asyncio.shield(write)
        except asyncio.CancelledError:
            # The write goes on; if the store then refuses it, its lines are pending again.
            write.add_done_callback(partial(self._failed, lines))
            raise
        except BaseException:
            self._pending[:0] = lines
            raise

    def _failed(self, lines: list[LogLine], write: asyncio.Future[None]) -> None:
        if write.cancelled() or write.exception() is not None:
            self._pending[:0] = lines

    async def flush_every(self, seconds: float) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                await self.flush()
            except Exception as exc:  # a store blip: the next flush writes them
                log.warning("writing the run log failed (retrying): %s", exc)
