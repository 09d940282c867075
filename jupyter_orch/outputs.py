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
from collections.abc import Iterable, Mapping
from pathlib import PurePath
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


LINEAGE_MIMETYPE = "application/vnd.jupyter-orch.lineage+json"
#: The most datasets one step declares, and the longest name.
MAX_DATASETS = 1000
MAX_DATASET_NAME = 1000
#: What ``lineage`` declared in this process: a function step's, read by its process at its end.
DECLARED: dict[str, list[str]] = {"inputs": [], "outputs": []}


def _dataset(value: Any) -> str:
    """A table as ``connection.schema.table``; a file as a path (a ``Path``, or text holding a
    ``/``), kept as ``file:<path>``."""
    if isinstance(value, PurePath):
        text = "file:" + str(value)
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        if ("/" in text or "\\" in text) and not text.startswith("file:"):
            text = "file:" + text
    else:
        raise ValueError(f"a dataset is a table name or a file path, not {value!r}")
    if len(text) > MAX_DATASET_NAME:
        raise ValueError(f"dataset name {text[:40]!r}... is longer than {MAX_DATASET_NAME}")
    return text


def lineage(inputs: Iterable[Any] = (), outputs: Iterable[Any] = ()) -> None:
    """Declare the datasets this step reads (``inputs``) and writes (``outputs``).

    Tables as ``connection.schema.table`` (the connection's name, as the pipeline names it);
    files as paths (a ``pathlib.Path``, or text with a ``/``; relative to the step's working
    folder). Each call adds to what the step declared; ``jupyter orch lineage`` draws them.
    """
    read = [_dataset(item) for item in inputs]
    wrote = [_dataset(item) for item in outputs]
    if len(DECLARED["inputs"]) + len(read) + len(DECLARED["outputs"]) + len(wrote) > MAX_DATASETS:
        raise ValueError(f"a step declares at most {MAX_DATASETS} datasets")
    DECLARED["inputs"] += read
    DECLARED["outputs"] += wrote
    try:
        from IPython import get_ipython
    except ImportError:  # a function step's process without IPython: DECLARED is read
        return
    if get_ipython() is None:
        return
    from IPython.display import display

    shown = (
        f"jupyter_orch lineage: reads {', '.join(read) or '-'}; writes {', '.join(wrote) or '-'}"
    )
    display({LINEAGE_MIMETYPE: {"inputs": read, "outputs": wrote}, "text/plain": shown}, raw=True)


def lineage_from_notebook(nb: Mapping[str, Any]) -> dict[str, list[str]] | None:
    """The datasets an executed notebook declared (None: it declared none)."""
    found: dict[str, dict[str, None]] = {"inputs": {}, "outputs": {}}
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []) or []:
            data = out.get("data") if isinstance(out, Mapping) else None
            payload = data.get(LINEAGE_MIMETYPE) if isinstance(data, Mapping) else None
            if isinstance(payload, str):
                try:
                    payload = json.loads(payload)
                except ValueError:
                    continue
            if not isinstance(payload, Mapping):
                continue
            for side in ("inputs", "outputs"):
                items = payload.get(side)
                for item in items if isinstance(items, list) else []:
                    if isinstance(item, str) and len(found[side]) < MAX_DATASETS:
                        found[side][item[:MAX_DATASET_NAME]] = None
    if not found["inputs"] and not found["outputs"]:
        return None
    return {side: list(names) for side, names in found.items()}
