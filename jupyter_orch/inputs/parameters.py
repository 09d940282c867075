"""Rules every run parameter value follows, wherever it enters (pipeline file, CLI, REST,
webhook, "Schedule this notebook"): a JSON value, finite numbers only, small.

The stores keep parameters as JSON: SQLite would store ``NaN`` and answer invalid JSON,
PostgreSQL refuses it. Parameters are returned with every run, so they are capped like step
outputs. Pure functions, no I/O.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from jupyter_orch.outputs import MAX_OUTPUT_BYTES

#: The JSON of one run's parameters, all together (the same cap as a step's outputs).
MAX_PARAMETERS_BYTES = MAX_OUTPUT_BYTES
NON_FINITE = "NaN and Infinity are not JSON values; give a finite number"


def is_finite(value: Any) -> bool:
    """No NaN or Infinity anywhere in a value."""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, Mapping):
        return all(is_finite(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return all(is_finite(v) for v in value)
    return True


def check_finite(value: Any) -> Any:
    """``value`` unchanged; ``ValueError`` (``NON_FINITE``) if it holds NaN or Infinity."""
    if not is_finite(value):
        raise ValueError(NON_FINITE)
    return value


def json_size(value: Any) -> int:
    """Bytes of ``value`` as JSON, measured as step outputs are (ASCII, so a lone surrogate
    from a YAML escape is measured rather than refused)."""
    return len(json.dumps(value, allow_nan=False))


def _size(nbytes: int) -> str:
    return f"{nbytes / 1024 / 1024:.1f} MB" if nbytes >= 1024 * 1024 else f"{nbytes} bytes"


def size_problem(parameters: Mapping[str, Any]) -> str | None:
    """Why ``parameters`` (finite JSON values) are too large, naming the largest; or None."""
    total = json_size(dict(parameters))
    if total <= MAX_PARAMETERS_BYTES:
        return None
    largest = max(parameters, key=lambda name: json_size(parameters[name]))
    return (
        f"{_size(total)} of JSON; a run's parameters take at most "
        f"{MAX_PARAMETERS_BYTES // 1024} KiB in all (the largest is {largest!r}, "
        f"{_size(json_size(parameters[largest]))}). Pass large data as a file path instead"
    )


def parameter_problems(parameters: Mapping[str, Any], where: str = "parameters") -> list[str]:
    """Every value rule ``parameters`` break, each message starting with its field path."""
    problems = [
        f"{where}.{name}: {NON_FINITE}"
        for name, value in parameters.items()
        if not is_finite(value)
    ]
    if problems:
        return problems
    try:
        too_large = size_problem(parameters)
    except (TypeError, ValueError) as exc:
        return [f"{where}: give JSON values ({exc})"]
    return [f"{where}: {too_large}"] if too_large else []
