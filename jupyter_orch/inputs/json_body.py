"""Parsing request bodies (REST routes and webhook deliveries) with bounds.

Python's decoder recurses once per level, turns ``1e400`` into ``inf`` and accepts ``NaN``:
a body nested 900 deep raised RecursionError (a 500), and non-finite or huge numbers broke
the store and the JSON answers later. Here each of those is a ``UserError`` naming ``body``.
"""

from __future__ import annotations

import json
import math
from typing import Any

from jupyter_orch.errors import UserError
from jupyter_orch.inputs.limits import MAX_JSON_DEPTH, MAX_JSON_INT, MIN_JSON_INT
from jupyter_orch.inputs.parameters import NON_FINITE


class _Refused:
    """Put in place of a number or constant the decoder met, so that the walk after decoding
    can say where it was (the decoder's hooks do not know)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


#: NaN, Infinity and numbers that overflow to it: the one message parameters get wherever
#: they enter (a file, -p, REST, a webhook), naming the field.
_NON_FINITE = _Refused(NON_FINITE)


def _refuse_constant(name: str) -> _Refused:
    return _NON_FINITE


def _parse_float(text: str) -> float | _Refused:
    value = float(text)
    return value if math.isfinite(value) else _NON_FINITE


def _parse_int(text: str) -> int | _Refused:
    # Length first: int() of thousands of digits is refused by Python, and slow before that.
    if len(text) > 20 or not MIN_JSON_INT <= int(text) <= MAX_JSON_INT:
        return _Refused(f"integer {text[:40]} is out of range (64-bit signed)")
    return int(text)


def _is_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate ("\\ud800"): no database or file can hold it
        return False
    return True


def _at(path: str, reason: str) -> str:
    return f"{path}: {reason}" if path else reason


def _tree_problem(data: Any) -> str | None:
    """Why ``data`` cannot be kept, with the field it is in: a refused number, nesting past
    the bound, text that is not Unicode. Iterative, so no recursion to exhaust."""
    stack: list[tuple[Any, int, str]] = [(data, 0, "")]
    while stack:
        value, depth, path = stack.pop()
        if isinstance(value, _Refused):
            return _at(path, value.reason)
        if isinstance(value, str):
            if not _is_text(value):
                return _at(path, "text holds a lone surrogate escape; send valid Unicode")
            continue
        if isinstance(value, dict):
            children = [(v, f"{path}.{k}" if path else str(k)) for k, v in value.items()]
        elif isinstance(value, list):
            children = [(v, f"{path}[{i}]") for i, v in enumerate(value)]
        else:
            continue
        if depth >= MAX_JSON_DEPTH:
            return f"nested too deep (over {MAX_JSON_DEPTH} levels)"
        stack.extend((child, depth + 1, where) for child, where in children)
        if isinstance(value, dict):  # keys last, so checked first: paths are made of them
            stack.extend((key, depth, path) for key in value)
    return None


def parse_json_body(body: bytes | str) -> Any:
    """The JSON value in ``body``; ``UserError`` ("body: ...") when it is not valid, nests
    deeper than ``MAX_JSON_DEPTH`` or holds a number past 64 bits, NaN or Infinity."""
    too_deep = UserError(f"body: nested too deep (over {MAX_JSON_DEPTH} levels)")
    try:
        data = json.loads(
            body,
            parse_constant=_refuse_constant,
            parse_float=_parse_float,
            parse_int=_parse_int,
        )
    except json.JSONDecodeError as exc:
        raise UserError(f"body: not valid JSON ({exc.msg} at {exc.pos})") from None
    except UnicodeDecodeError:
        raise UserError("body: not UTF-8 text; send JSON") from None
    except RecursionError:
        raise too_deep from None
    problem = _tree_problem(data)
    if problem is not None:
        # A non-finite number is named by its field alone, as everywhere parameters enter
        raise UserError(problem if problem.endswith(NON_FINITE) else f"body: {problem}")
    return data


def parse_json_object(body: bytes | str) -> dict[str, Any]:
    """``parse_json_body`` for a body that must be an object."""
    data = parse_json_body(body)
    if not isinstance(data, dict):
        raise UserError("body: give a JSON object")
    return data
