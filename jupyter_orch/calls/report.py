"""The output notebook of a query, function or export step, written with nbformat (no kernel).

Every kind leaves one, so a failed run is inspected the same way whatever failed: the step's
source (the SQL, the call, the export's source and target), what it was given, what it did (the
records count, the first rows) and the error with its traceback. Written first as the step
starts, so a step killed by its timeout still leaves what it was doing; then again at its end.
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..executors.base import OutputCaps
from ..executors.output_caps import OutputBudget
from ..masking import mask_json
from ..outputs import OUTPUT_MIMETYPE

#: Rows of a result the notebook shows.
PREVIEW_ROWS = 20
#: Characters of one value the preview shows.
PREVIEW_CHARS = 200


class Report:
    """The output notebook being written: markdown and code cells, outputs attached."""

    def __init__(
        self,
        path: str,
        title: str,
        masked: Sequence[str] = (),
        caps: OutputCaps | None = None,
    ) -> None:
        import nbformat

        self.path = path
        self.masked = tuple(masked)
        caps = caps or OutputCaps()
        #: The output caps notebook steps keep, kept here too (an error's message may be huge).
        self.budget = OutputBudget(caps.output_bytes, caps.notebook_bytes)
        self.nb = nbformat.v4.new_notebook()
        self.nb.metadata["jupyter_orch"] = {"generated": True}
        self.markdown(title)

    def markdown(self, text: str) -> None:
        import nbformat

        self.nb.cells.append(nbformat.v4.new_markdown_cell(text))

    def code(self, source: str, language: str = "") -> None:
        """A block of source shown as it ran (SQL, a call), fenced in a markdown cell: no kernel
        could run it, and the notebook opens without asking for one."""
        fence = "````" if "```" in source else "```"
        self.markdown(f"{fence}{language}\n{source.rstrip()}\n{fence}")

    def outputs(self, outputs: list[dict[str, Any]], label: str = "") -> None:
        """A code cell holding ``outputs`` (its source a comment saying what they are)."""
        import nbformat

        cell = nbformat.v4.new_code_cell(f"# {label}" if label else "")
        cell.outputs = [
            nbformat.from_dict(self.budget.fit_output(mask_json(out, self.masked)))
            for out in outputs
        ]
        self.nb.cells.append(cell)

    def values(self, label: str, values: dict[str, Any]) -> None:
        text = json.dumps(values, indent=2, default=str, ensure_ascii=False)
        self.outputs([_display({"text/plain": text, "application/json": values})], label)

    def step_outputs(self, outputs: dict[str, Any]) -> None:
        """The step's outputs, as ``jupyter_orch.record`` shows them in a notebook step."""
        shown = [
            _display(
                {
                    OUTPUT_MIMETYPE: {"name": name, "value": value},
                    "text/plain": f"jupyter_orch output {name} = {json.dumps(value, default=str)}",
                }
            )
            for name, value in outputs.items()
        ]
        self.outputs(shown, "outputs")

    def rows(self, columns: Sequence[str], rows: Sequence[Sequence[Any]], total: int) -> None:
        """The first rows of a result as a table."""
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(_short(v))}</td>" for v in row) + "</tr>"
            for row in rows
        )
        shown = f"first {len(rows)} of {total} records" if total > len(rows) else f"{total} records"
        table = f"<p>{shown}</p><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        plain = "\n".join(
            ["\t".join(map(str, columns))] + ["\t".join(map(_short, r)) for r in rows]
        )
        self.outputs([_display({"text/html": table, "text/plain": f"{shown}\n{plain}"})], shown)

    def error(self, error: dict[str, Any]) -> None:
        """The step's error; its ``ename: evalue`` line first, so that a long traceback
        never hides it below the first screen."""
        ename, evalue = str(error.get("ename", "Error")), str(error.get("evalue", ""))
        trace = [str(line) for line in error.get("traceback") or []]
        self.outputs(
            [
                {
                    "output_type": "error",
                    "ename": ename,
                    "evalue": evalue,
                    "traceback": [f"{ename}: {evalue}\n", *trace] if trace else [],
                }
            ],
            "error",
        )

    def save(self) -> None:
        """Write the notebook (through a temporary file: a reader never sees half of it)."""
        import nbformat

        target = Path(self.path)
        partial = target.with_name(f".{target.name}.partial")
        nbformat.write(self.nb, str(partial))
        os.replace(partial, target)


def _display(data: dict[str, Any]) -> dict[str, Any]:
    return {"output_type": "display_data", "data": data, "metadata": {}}


def _short(value: Any) -> str:
    text = "NULL" if value is None else str(value)
    return text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 3] + "..."
