"""Caps on what one task's printed output may leave: in the log, and in the output notebook."""

from __future__ import annotations

import json
from typing import Any

from ..masking import mask_text
from ..records import PROGRESS_STREAM
from ..sizes import format_bytes
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


#: The outputs other than streams (message and output types alike), and what a truncation marker
#: calls them.
RICH_OUTPUTS = {"display_data": "display", "execute_result": "result", "error": "error"}


class OutputBudget:
    """What one attempt's output notebook keeps, applied as outputs arrive: each output at most
    ``output_cap`` bytes (a cell's stdout, and its stderr, count as one output each, as they
    read once coalesced), all of them at most ``notebook_cap``. The notebook, and the worker
    holding it, never grow past the caps.

    Stream text past a cap is dropped, and the cell shows a marker counting the bytes not kept
    (a display output, so that no stream coalescing moves it); a display or result past a cap
    is replaced by a marker saying its size.
    """

    def __init__(self, output_cap: int, notebook_cap: int) -> None:
        self.output_cap = output_cap
        self.notebook_cap = notebook_cap
        self.left = notebook_cap  # bytes the notebook may still keep
        self._streams: dict[tuple[int, str], int] = {}  # bytes a cell's stream may still keep
        self._markers: dict[tuple[int, str], tuple[dict[str, Any], list[int]]] = {}

    def admit(self, cell: int, name: str, text: str) -> tuple[str, int]:
        """The part of a cell's ``name`` stream ``text`` to keep, and how many bytes are not."""
        key = (cell, name)
        room = min(self._streams.setdefault(key, self.output_cap), self.left)
        data = text.encode("utf-8", "replace")
        kept = text if len(data) <= room else data[: max(room, 0)].decode("utf-8", "ignore")
        size = len(data) if kept is text else len(kept.encode())
        self._streams[key] -= size
        self.left -= size
        return kept, len(data) - size

    def mark(self, outs: list[Any], cell: int, name: str, dropped: int) -> None:
        """Count ``dropped`` bytes of ``name`` on the cell's marker, added after its last kept
        output the first time."""
        import nbformat

        key = (cell, name)
        marker, count = self._markers.get(key, (None, [0]))
        if marker is None or not any(out is marker for out in outs):
            marker, count = nbformat.v4.new_output("display_data", {"text/plain": ""}), [0]
            self._markers[key] = (marker, count)
            outs.append(marker)
        count[0] += dropped
        marker["data"]["text/plain"] = (
            f"[output truncated: {format_bytes(count[0])} more of {name} not kept; "
            f"{self._rule(self._streams[key] <= 0)}]"
        )

    def fit(self, content: dict[str, Any], kind: str) -> dict[str, Any]:
        """A display's or result's (or an error's) ``content``, or a marker in its place when
        it does not fit."""
        size = len(json.dumps(content, default=str).encode("utf-8", "replace"))
        if size <= min(self.output_cap, self.left):
            self.left -= size
            return content
        rule = self._rule(size > self.output_cap)
        text = f"[output truncated: this {kind} output ({format_bytes(size)}) not kept; {rule}]"
        if kind == "error":
            return {**content, "evalue": text[:1000], "traceback": [text]}
        return {"data": {"text/plain": text}, "metadata": {}, **_count_of(content)}

    def _rule(self, per_output: bool) -> str:
        if per_output:
            return f"an output keeps at most {format_bytes(self.output_cap)}"
        return f"a notebook keeps at most {format_bytes(self.notebook_cap)} of outputs"

    def fit_output(self, output: dict[str, Any]) -> dict[str, Any]:
        """A whole notebook output (with its ``output_type``) that fits, or its marker."""
        kind = output.get("output_type", "")
        if kind not in RICH_OUTPUTS:
            return output
        content = {key: value for key, value in output.items() if key != "output_type"}
        return {"output_type": kind, **self.fit(content, RICH_OUTPUTS[kind])}


def _count_of(content: dict[str, Any]) -> dict[str, Any]:
    """An execute_result keeps its execution count."""
    return {"execution_count": content["execution_count"]} if "execution_count" in content else {}


#: Seconds between two progress messages of one attempt (a cell starting sooner is skipped,
#: unless it is the notebook's last).
PROGRESS_EVERY_S = 0.5


class CellProgress:
    """Which cell a notebook step is running: cell k of n (code cells), its first line and
    when it began, sent to the parent as it changes, at most twice a second."""

    def __init__(self, conn: ParentConnection, key: str, masked: tuple[str, ...] = ()) -> None:
        self._conn = conn
        self._key = key
        self._masked = masked
        self._sent_at = float("-inf")

    def __call__(self, nb: Any, index: int) -> None:
        import time

        code = [i for i, cell in enumerate(nb.cells) if cell.get("cell_type") == "code"]
        if index not in code:
            return
        now = time.monotonic()
        position = code.index(index) + 1
        if now - self._sent_at < PROGRESS_EVERY_S and position < len(code):
            return
        self._sent_at = now
        first = next((ln for ln in str(nb.cells[index].source).splitlines() if ln.strip()), "")
        data = {
            "cell": position,
            "cells": len(code),
            "cell_index": index,
            "source": mask_text(first[:200], self._masked) if self._masked else first[:200],
            "started_at": time.time(),
        }
        self._conn.send(("log", self._key, PROGRESS_STREAM, json.dumps(data)))
