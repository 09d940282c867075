"""The first rows of a table a step wrote, read within bounds: these files are the user's
untrusted output, and the server must stay up whatever they hold.

A CSV file is read here, but only its first ``CSV_BYTES`` (the csv module's own field limit
stays as it is). A Parquet file is read by a child process (``parquet_child``) that gets the open
file, at most ``PARQUET_SECONDS`` of time, a resident-memory watch (``TreeWatch``, as a step's)
and an address-space limit of its own: a footer or a page that claims gigabytes kills the child,
never the server. Each preview holds at most ``MAX_ROWS`` rows of ``MAX_COLUMNS`` columns, each
cell cut to ``MAX_CELL`` characters.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

from ..errors import UnreadableFile
from ..executors.processes import sigkill_tree
from ..executors.resources import TreeWatch
from ..sizes import format_bytes

MAX_ROWS = 50
MAX_COLUMNS = 50
MAX_CELL = 200
#: The head of a CSV file read for its preview: no field in it can pass the csv module's own
#: limit (131072 characters), which is the whole process's and stays as it is.
CSV_BYTES = 128 * 1024
PARQUET_SECONDS = 10.0
#: Resident memory the Parquet reader may use; its address space may be this much larger (the
#: interpreter and pyarrow reserve about 400 MiB of it before reading anything).
PARQUET_MEMORY_BYTES = 512 * 2**20
ADDRESS_SPACE_MARGIN = 768 * 2**20
#: One thread for Arrow and any BLAS: each thread reserves address space of its own.
ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "ARROW_IO_THREADS": "1"}


def clip(text: str, limit: int = MAX_CELL) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


@dataclass(frozen=True)
class TablePreview:
    """The first rows of a table: cells as text (None: a null), cut to the bounds."""

    format: str
    columns: list[str]
    rows: list[list[str | None]]
    #: More rows follow the ones shown (or may: a CSV file read only in part).
    more_rows: bool
    #: Columns past ``MAX_COLUMNS``, not shown.
    hidden_columns: int = 0
    #: Each column's type (Parquet); None when the file does not say (CSV).
    types: list[str] | None = None
    #: Every row of the file (Parquet's footer says); None when unknown.
    total_rows: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "columns": self.columns,
            "types": self.types,
            "rows": self.rows,
            "more_rows": self.more_rows,
            "hidden_columns": self.hidden_columns,
            "total_rows": self.total_rows,
        }


def read_head(fd: int, count: int) -> bytes:
    """At most ``count`` bytes from ``fd``, fewer at its end."""
    chunks: list[bytes] = []
    left = count
    while left > 0:
        chunk = os.read(fd, min(left, 65536))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _delimiter(first_line: str, tab: bool) -> str:
    if tab:
        return "\t"
    counts = {d: first_line.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def csv_preview(fd: int, shown: str, rows: int, *, tab: bool = False) -> TablePreview:
    """The header and first ``rows`` rows of the CSV (``tab``: TSV) file open as ``fd``."""
    data = read_head(fd, CSV_BYTES + 1)
    cut = len(data) > CSV_BYTES
    data = data[:CSV_BYTES]
    if b"\x00" in data:
        raise UnreadableFile(f"{shown} is not CSV text: it holds NUL bytes")
    if cut and b"\n" in data:
        data = data[: data.rindex(b"\n") + 1]  # not the line the cut goes through
    text = data.decode("utf-8", errors="replace").removeprefix("\ufeff")
    delimiter = _delimiter(text.split("\n", 1)[0], tab)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    body: list[list[str]] = []
    try:
        header = next(reader, [])
        for row in reader:
            if len(body) == rows:
                cut = True
                break
            body.append(row)
    except csv.Error as exc:
        if header is None:
            raise UnreadableFile(f"{shown} is not readable as CSV: {exc}") from None
        cut = True  # a field past the csv module's limit: the rows before it
    width = max([len(header or []), *map(len, body)])
    shown_width = min(width, MAX_COLUMNS)
    columns = [clip(name) for name in (header or [])[:shown_width]]
    columns += [""] * (shown_width - len(columns))
    return TablePreview(
        format="csv",
        columns=columns,
        rows=[[clip(cell) for cell in row[:shown_width]] for row in body],
        more_rows=cut,
        hidden_columns=width - shown_width,
    )


def parquet_preview(fd: int, shown: str, rows: int) -> TablePreview:
    """The first ``rows`` rows of the Parquet file open as ``fd``, read by a child process."""
    request = {
        "fd": fd,
        "rows": rows,
        "columns": MAX_COLUMNS,
        "cell": MAX_CELL,
        "address_space": PARQUET_MEMORY_BYTES + ADDRESS_SPACE_MARGIN,
    }
    child = subprocess.Popen(
        [sys.executable, "-m", "jupyter_orch.artifacts.parquet_child", json.dumps(request)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        pass_fds=(fd,),
        start_new_session=True,
        env={**os.environ, **ONE_THREAD},
    )
    watch = TreeWatch(child.pid, PARQUET_MEMORY_BYTES, lambda: sigkill_tree(child.pid)).start()
    try:
        out, err = child.communicate(timeout=PARQUET_SECONDS)
    except subprocess.TimeoutExpired:
        sigkill_tree(child.pid)
        child.communicate()
        raise UnreadableFile(
            f"{shown}: reading its first rows took longer than {PARQUET_SECONDS:g} s"
        ) from None
    finally:
        watch.stop()
    answer: dict[str, Any] = {}
    with contextlib.suppress(ValueError):
        answer = json.loads(out)
    reason = str(answer.get("error") or _last_line(err) or f"the reader ended ({child.returncode})")
    if watch.exceeded is not None or "MemoryError" in reason:  # the watch's, or its own limit
        raise UnreadableFile(
            f"{shown}: reading its first rows needs more than "
            f"{format_bytes(PARQUET_MEMORY_BYTES)} of memory"
        )
    if "error" in answer or "rows" not in answer:
        raise UnreadableFile(f"{shown} is not a readable Parquet file: {clip(reason)}")
    return TablePreview(format="parquet", **answer)


def _last_line(text: bytes) -> str:
    lines = text.decode("utf-8", errors="replace").strip().splitlines()
    return lines[-1] if lines else ""
