"""Step outputs: how a notebook publishes values and how we read them back.

A recorded output is a ``display_data`` output carrying our mimetype, so the executed
notebook alone holds what the step published. A kernel without jupyter-orch installed
records the same way with a plain raw display::

    from IPython.display import display
    display({"application/vnd.jupyter-orch.output+json": {"name": "rows", "value": 98},
             "text/plain": "rows = 98"}, raw=True)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

OUTPUT_MIMETYPE = "application/vnd.jupyter-orch.output+json"
#: Outputs are small values meant for conditions and parameters, not data sets.
MAX_OUTPUT_BYTES = 64 * 1024


def record(name: str, value: Any) -> None:
    """Publish ``value`` as the step output ``name``.

    Parameters
    ----------
    name : str
        A Python identifier; later steps read it as ``steps.<step>.outputs.<name>``.
    value : Any
        A JSON-serialisable value (at most 64 KiB once serialised).

    Run interactively, the notebook shows one quiet line (``text/plain``) instead of a
    "no renderer" box.
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"output name must be an identifier, got {name!r}")
    try:
        encoded = json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"output {name!r} must be JSON-serialisable (str, int, float, bool, None, "
            f"list, dict): {exc}"
        ) from None
    if len(encoded.encode()) > MAX_OUTPUT_BYTES:
        raise ValueError(
            f"output {name!r} is {len(encoded)} bytes once serialised; the limit is "
            f"{MAX_OUTPUT_BYTES}. Write large data to a file in run.dir and record its path."
        )
    from IPython.display import display  # only when used: kernels always have IPython

    summary = encoded if len(encoded) <= 80 else encoded[:77] + "..."
    display(
        {
            OUTPUT_MIMETYPE: {"name": name, "value": json.loads(encoded)},
            "text/plain": f"jupyter_orch output {name} = {summary}",
        },
        raw=True,
    )


def outputs_from_notebook(nb: Mapping[str, Any]) -> dict[str, Any]:
    """Collect recorded outputs from an executed notebook; a later record of a name wins."""
    found: dict[str, Any] = {}
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []) or []:
            data = out.get("data") if isinstance(out, Mapping) else None
            if not isinstance(data, Mapping) or OUTPUT_MIMETYPE not in data:
                continue
            payload = data[OUTPUT_MIMETYPE]
            if isinstance(payload, str):  # nbformat may store JSON mimetypes as text
                try:
                    payload = json.loads(payload)
                except ValueError:
                    continue
            if isinstance(payload, Mapping) and isinstance(payload.get("name"), str):
                found[payload["name"]] = payload.get("value")
    return found
