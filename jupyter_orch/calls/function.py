"""Function steps: ``FILE.py:FUNCTION`` or ``package.module:function`` called with the step's
parameters as keyword arguments, in the step's own process.

``spec``: ``target`` (an absolute ``.py`` path, or a module path), ``function``, ``parameters``,
``folder`` (the pipeline file's folder: the working directory), ``folders`` (on ``sys.path``:
the function file's own folder, then the pipeline's), ``output``
(where a returned DataFrame goes). What the function returns: a dict of JSON values becomes the
step's outputs; a pandas DataFrame is written to ``output`` as Parquet (outputs ``path``,
``records_count``, ``columns``); None records nothing; anything else fails the step.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

from ..outputs import MAX_OUTPUT_BYTES
from .report import Report


def load_function(target: str, function: str) -> Any:
    if target.endswith(".py"):
        path = Path(target)
        module_name = f"_orch_step_{path.stem}"
        spec = importlib.util.spec_from_file_location(module_name, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load {path.name} as a Python module")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
        where = path.name
    else:
        module = importlib.import_module(target)
        where = target
    found = getattr(module, function, None)
    if not callable(found):
        raise AttributeError(f"{where} defines no function {function!r}")
    return found


def run_function(spec: dict[str, Any], report: Report) -> dict[str, Any]:
    parameters = dict(spec.get("parameters") or {})
    arguments = ", ".join(f"{k}={v!r}" for k, v in parameters.items())
    shown_target = Path(spec["target"]).name if spec["target"].endswith(".py") else spec["target"]
    report.code(f"# {shown_target}\n{spec['function']}({arguments})", "python")
    report.save()
    for folder in reversed(spec.get("folders") or [spec["folder"]]):
        sys.path.insert(0, folder)
    function = load_function(spec["target"], spec["function"])
    value = function(**parameters)
    outputs = outputs_of(value, spec["output"])
    report.step_outputs(outputs)
    return outputs


def outputs_of(value: Any, output: str) -> dict[str, Any]:
    """The step's outputs from what the function returned."""
    if value is None:
        return {}
    if _is_dataframe(value):
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(value, preserve_index=False)
        partial = Path(output).with_name(f".{Path(output).name}.partial")
        pq.write_table(table, partial)
        partial.replace(output)
        return {"records_count": table.num_rows, "columns": table.column_names, "path": output}
    if isinstance(value, dict):
        for name, item in value.items():
            if not isinstance(name, str) or not name.isidentifier():
                raise ValueError(f"the returned dict's key {name!r} is not an identifier")
            try:
                encoded = json.dumps(item, allow_nan=False)
            except (TypeError, ValueError) as exc:
                raise TypeError(f"output {name!r} is not a JSON value: {exc}") from None
            if len(encoded.encode()) > MAX_OUTPUT_BYTES:
                raise ValueError(
                    f"output {name!r} is {len(encoded)} bytes; the limit is {MAX_OUTPUT_BYTES}. "
                    "Write large data to a file and return its path."
                )
        return dict(value)
    raise TypeError(
        f"the function returned a {type(value).__name__}; return a dict of JSON values "
        "(the step's outputs), a pandas DataFrame, or None"
    )


def _is_dataframe(value: Any) -> bool:
    return type(value).__name__ == "DataFrame" and type(value).__module__.startswith("pandas")
