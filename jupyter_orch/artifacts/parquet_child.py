"""The process that reads a Parquet file's first rows for a preview:
``python -m jupyter_orch.artifacts.parquet_child '<request JSON>'``.

The request gives the open file's descriptor (``fd``, passed by the server: this process never
opens a path), ``rows``, ``columns`` and ``cell`` (the bounds) and ``address_space`` (bytes),
which it takes as its own limit before importing pyarrow. It prints one JSON object: the
preview's fields (``previews.TablePreview``), or ``{"error": "..."}``.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from jupyter_orch.inputs.bounded_child import answer_within

#: Thrift bounds for the footer: a file claiming more is refused, not allocated.
FOOTER_STRING_BYTES = 16 * 2**20
FOOTER_ITEMS = 100_000


def _cell(value: Any, limit: int) -> str | None:
    if value is None:
        return None
    text = value.hex() if isinstance(value, bytes) else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def preview(request: dict[str, Any]) -> dict[str, Any]:
    import pyarrow.parquet as pq

    rows, limit = int(request["rows"]), int(request["cell"])
    with os.fdopen(int(request["fd"]), "rb") as handle:
        file = pq.ParquetFile(
            handle,
            buffer_size=2**20,  # read a column chunk page by page, not whole
            pre_buffer=False,
            thrift_string_size_limit=FOOTER_STRING_BYTES,
            thrift_container_size_limit=FOOTER_ITEMS,
        )
        schema = file.schema_arrow
        names = schema.names[: int(request["columns"])]
        wanted = names if len(names) < len(schema.names) else None
        columns: list[list[Any]] = [[] for _ in names]
        taken = 0
        more = False
        for batch in file.iter_batches(batch_size=max(rows, 1), columns=wanted):
            if taken == rows:
                more = batch.num_rows > 0
                break
            part = batch.slice(0, rows - taken)
            for index in range(len(names)):
                columns[index].extend(part.column(index).to_pylist())
            taken += part.num_rows
        total = file.metadata.num_rows
    return {
        "columns": [_cell(name, limit) or "" for name in names],
        "types": [str(schema.field(i).type) for i in range(len(names))],
        "rows": [[_cell(column[r], limit) for column in columns] for r in range(taken)],
        "more_rows": more or total > taken,
        "hidden_columns": len(schema.names) - len(names),
        "total_rows": total,
    }


def main() -> None:
    request = json.loads(sys.argv[1])
    answer_within(int(request["address_space"]), lambda: preview(request))


if __name__ == "__main__":
    main()
