"""Caps on what one task's printed output may leave: in the log, and in the output notebook."""

from __future__ import annotations

from typing import Any

from ..masking import mask_text
from .protocol import ParentConnection


class CappedStream:
    """A file-like object papermill writes cell output to; forwards it to the parent."""

    def __init__(
        self,
        conn: ParentConnection,
        key: str,
        name: str,
        budget: list[int],
        masked: tuple[str, ...] = (),
    ) -> None:
        self._conn = conn
        self._key = key
        self._name = name
        self._budget = budget  # shared by stdout and stderr: [bytes left, bytes dropped]
        self._masked = masked  # the step's secrets, hidden before a line leaves the worker

    def write(self, text: str) -> int:
        if self._masked:
            text = mask_text(text, self._masked)
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


def log_dropped(conn: ParentConnection, key: str, budget: list[int]) -> None:
    """Tell the run log how much of a task's output its cap dropped (``CappedStream``'s
    ``budget``), if any."""
    if budget[1]:
        message = f"\n[output truncated: {budget[1]} more bytes not logged]\n"
        conn.send(("log", key, "stderr", message))


class StreamCap:
    """What one attempt's printed output may leave in its output notebook, applied as it
    streams: the notebook (and the worker holding it) never grows past the cap.

    Past the cap a cell's stream text is dropped, and the cell shows a marker counting
    the bytes not kept (a display output, so no stream coalescing moves it).
    """

    def __init__(self, cap_bytes: int) -> None:
        self.cap_bytes = cap_bytes
        self.left = cap_bytes
        self._marker: dict[str, Any] | None = None
        self._dropped = 0  # bytes not kept since the current marker was added

    def admit(self, text: str) -> tuple[str, int]:
        """The part of ``text`` to keep, and how many bytes of it are not kept."""
        if self.left <= 0:
            return "", len(text.encode("utf-8", "replace"))
        data = text.encode("utf-8", "replace")
        if len(data) <= self.left:
            self.left -= len(data)
            return text, 0
        kept = data[: self.left].decode("utf-8", "ignore")
        self.left = 0
        return kept, len(data) - len(kept.encode())

    def mark(self, outs: list[Any], dropped: int) -> None:
        """Count ``dropped`` bytes on the cell's marker, added after its last kept output."""
        import nbformat

        if self._marker is None or not any(out is self._marker for out in outs):
            self._marker = nbformat.v4.new_output("display_data", {"text/plain": ""})
            self._dropped = 0
            outs.append(self._marker)
        self._dropped += dropped
        self._marker["data"]["text/plain"] = (
            f"[output truncated: {self._dropped} more bytes of printed output not kept; "
            f"the notebook of an attempt keeps {self.cap_bytes} bytes of it]"
        )
