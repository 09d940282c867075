"""The budget of one template evaluation: sizes of the values it makes, steps and time.

Every value an operation makes is measured right after it is made (``charge``); the operations
that can make a huge value from small ones (``*``, ``**``, ``%``, ``center``, ``replace``,
``join``...) are checked before, from their arguments (``check_*``). So every live value stays
under ``MAX_TEMPLATE_VALUE`` and each operation costs a bounded time, and ``tick`` counts the
operations and watches the clock. ``template_bounds`` wires these into jinja2's sandbox.
"""

from __future__ import annotations

import re
import time
from collections.abc import ItemsView, Iterable, Iterator, KeysView, Mapping, ValuesView
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from jinja2.utils import Namespace

from jupyter_orch.inputs.limits import (
    MAX_TEMPLATE_ALLOCATED,
    MAX_TEMPLATE_DEPTH,
    MAX_TEMPLATE_INT_BITS,
    MAX_TEMPLATE_RANGE,
    MAX_TEMPLATE_SECONDS,
    MAX_TEMPLATE_STEPS,
    MAX_TEMPLATE_VALUE,
    MIB,
)


class LimitExceeded(Exception):
    """A template passed a bound; the message says which (the caller names the template)."""


def _mib(size: int) -> str:
    return f"{size // MIB} MiB" if size % MIB == 0 else f"{size} bytes"


def too_large(what: str = "value") -> LimitExceeded:
    return LimitExceeded(f"{what} too large (over {_mib(MAX_TEMPLATE_VALUE)})")


def _int_too_large() -> LimitExceeded:
    return LimitExceeded(f"integer too large (over {MAX_TEMPLATE_INT_BITS} bits)")


# --- the budget of one evaluation ------------------------------------------------------------


@dataclass
class Budget:
    deadline: float = field(default_factory=lambda: time.monotonic() + MAX_TEMPLATE_SECONDS)
    steps: int = 0
    allocated: int = 0
    output: int = 0


_BUDGET: ContextVar[Budget | None] = ContextVar("jupyter_orch_template_budget", default=None)


@contextmanager
def budget() -> Iterator[Budget]:
    """A fresh budget for the evaluation inside the ``with`` (per thread and task)."""
    current = Budget()
    token = _BUDGET.set(current)
    try:
        yield current
    finally:
        _BUDGET.reset(token)


def tick() -> None:
    current = _BUDGET.get()
    if current is None:  # compile-time constant folding, outside an evaluation
        return
    current.steps += 1
    if current.steps > MAX_TEMPLATE_STEPS:
        raise LimitExceeded(f"too many steps (over {MAX_TEMPLATE_STEPS:,})")
    if time.monotonic() > current.deadline:
        raise LimitExceeded(f"took too long (over {MAX_TEMPLATE_SECONDS:g} s)")


# --- sizes -----------------------------------------------------------------------------------


def _parts(value: Any) -> Iterable[Any] | None:
    """What a container holds (everything its ``str()`` would show), or None for a leaf."""
    if isinstance(value, Mapping):
        return (part for item in value.items() for part in item)
    if isinstance(value, (list, tuple, set, frozenset, KeysView, ValuesView)):
        return value
    if isinstance(value, ItemsView):
        return (part for item in value for part in item)
    if isinstance(value, Namespace):
        return _parts(value._Namespace__attrs)
    return None


def size_of(value: Any, limit: int = MAX_TEMPLATE_VALUE) -> int:
    """Size of ``value``: characters of text, bytes of an integer, 8 for another scalar, and
    for a container 8 plus 8 per item plus the items' sizes, counting a shared item each time
    it appears (as ``str()`` would). Raises ``LimitExceeded`` past ``limit``,
    ``MAX_TEMPLATE_DEPTH`` or an integer's bound, as soon as it knows: it looks at no more
    than about ``limit / 8`` items."""
    total = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (str, bytes)):
            total += len(item)
        elif isinstance(item, int) and not isinstance(item, bool):
            if item.bit_length() > MAX_TEMPLATE_INT_BITS:
                raise _int_too_large()
            total += item.bit_length() // 8
        else:
            total += 8
            parts = _parts(item)
            if parts is not None:
                if depth >= MAX_TEMPLATE_DEPTH:
                    raise LimitExceeded(f"value nested too deep (over {MAX_TEMPLATE_DEPTH})")
                for part in parts:  # 8 per item: a list of empty strings is not free
                    total += 8
                    if total > limit:
                        raise too_large()
                    stack.append((part, depth + 1))
        if total > limit:
            raise too_large()
    return total


def charge(value: Any, *inputs: Any) -> Any:
    """``value``, measured and counted against the evaluation's budget (unless it is one of
    ``inputs``, which were counted when they were made)."""
    if any(value is given for given in inputs):
        return value
    size = size_of(value)
    current = _BUDGET.get()
    if current is not None:
        current.allocated += size
        if current.allocated > MAX_TEMPLATE_ALLOCATED:
            raise LimitExceeded(f"made too much data (over {_mib(MAX_TEMPLATE_ALLOCATED)} in all)")
    return value


def at_most(size: int, what: str = "value") -> None:
    if size > MAX_TEMPLATE_VALUE:
        raise too_large(what)


# --- checks before operations that can make a large value from small ones --------------------

_NUMBERS = re.compile(r"\d+")
_NESTED_FIELD = re.compile(r"\{[^{}]*\{")


def check_format(template: Any, args: Iterable[Any]) -> None:
    """Widths and precisions (``%999999999d``, ``{:>999999999}``, ``%*d``) make the text."""
    if not isinstance(template, (str, bytes)):
        return
    text = template if isinstance(template, str) else template.decode("latin-1")
    widths = 0
    for digits in _NUMBERS.findall(text):
        widths += int(digits) if len(digits) <= 12 else MAX_TEMPLATE_VALUE + 1
    if "*" in text or _NESTED_FIELD.search(text):  # a width taken from the arguments
        widths += sum(abs(a) for a in args if isinstance(a, int) and not isinstance(a, bool))
    at_most(len(text) + widths)


def format_args(args: Any) -> list[Any]:
    if isinstance(args, Mapping):
        return list(args.values())
    return list(args) if isinstance(args, tuple) else [args]


def check_binop(operator: str, left: Any, right: Any) -> None:
    ints = isinstance(left, int) and isinstance(right, int)
    if operator == "*":
        if ints:
            if left.bit_length() + right.bit_length() > MAX_TEMPLATE_INT_BITS:
                raise _int_too_large()
        elif isinstance(right, int) and isinstance(left, (str, bytes, list, tuple)):
            at_most(size_of(left) * max(right, 0))
        elif isinstance(left, int) and isinstance(right, (str, bytes, list, tuple)):
            at_most(size_of(right) * max(left, 0))
    elif operator == "**" and ints and right > 0 and abs(left) > 1:
        if left.bit_length() * right > MAX_TEMPLATE_INT_BITS:
            raise _int_too_large()
    elif operator == "%":
        check_format(left, format_args(right))


def replaced_size(text: Any, old: Any, new: Any, count: Any = -1) -> int:
    if not (isinstance(text, (str, bytes)) and isinstance(new, type(text))):
        return 0
    found = text.count(old) if old else len(text) + 1
    if isinstance(count, int) and count >= 0:
        found = min(found, count)
    return len(text) + found * max(len(new) - len(old or ""), 0)


def arg_of(args: tuple[Any, ...], kwargs: Mapping[str, Any], name: str = "width") -> Any:
    return args[0] if args else kwargs.get(name, 0)


def _check_method(receiver: Any, name: str, args: tuple[Any, ...], kw: Mapping[str, Any]) -> None:
    """Methods of strings, bytes and ints whose result can dwarf their arguments."""
    if isinstance(receiver, int) and name == "to_bytes":
        at_most(count_arg(arg_of(args, kw, "length")))
    if not isinstance(receiver, (str, bytes)):
        return
    if name in ("center", "ljust", "rjust", "zfill"):
        at_most(count_arg(arg_of(args, kw)))
    elif name == "expandtabs":
        tab = arg_of(args, kw, "tabsize") if args or kw else 8
        tabs = receiver.count("\t") if isinstance(receiver, str) else receiver.count(b"\t")
        at_most(len(receiver) + tabs * count_arg(tab))
    elif name == "replace" and len(args) >= 2:
        at_most(replaced_size(receiver, *args[:3]))
    elif name == "translate" and args and isinstance(args[0], Mapping):
        longest = max((len(v) for v in args[0].values() if isinstance(v, str)), default=1)
        at_most(len(receiver) * max(longest, 1))
    elif name in ("format", "format_map"):  # bytes has neither; str's come wrapped
        check_format(receiver, [*args, *kw.values()] if name == "format" else format_args(args))


def check_join(separator: Any, items: list[Any]) -> None:
    at_most(len(separator) * len(items) if isinstance(separator, (str, bytes)) else 0)


def check_call(obj: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> tuple[Any, ...]:
    """Refuse a call that would make too large a value; the arguments to call it with (an
    iterable to ``join`` is read into a list first, so its length is known)."""
    receiver = getattr(obj, "__self__", None)
    name = getattr(obj, "__name__", "")
    if isinstance(receiver, (str, bytes)) and name == "join" and args:
        items = list(args[0])
        check_join(receiver, items)
        return (items, *args[1:])
    if receiver is not None:
        _check_method(receiver, name, args, kwargs)
    return args


def bounded_range(*args: int) -> range:
    """``range()`` with at most ``MAX_TEMPLATE_RANGE`` items."""
    numbers = range(*args)
    if len(numbers) > MAX_TEMPLATE_RANGE:
        raise LimitExceeded(f"range too long (over {MAX_TEMPLATE_RANGE:,} items)")
    return numbers


def check_filter(name: str, value: Any, args: tuple[Any, ...], kw: Mapping[str, Any]) -> Any:
    """Refuse a filter call that would make too large a value; the value to call it with."""
    if name == "center":
        at_most(count_arg(arg_of(args, kw)))
    elif name == "indent" and isinstance(value, str):
        width = arg_of(args, kw)
        each = len(width) if isinstance(width, str) else count_arg(width)
        at_most(len(value) + (value.count("\n") + 1) * each)
    elif name == "wordwrap" and isinstance(value, str):
        width = max(count_arg(args[0] if args else kw.get("width", 79)), 1)
        wrap = args[2] if len(args) > 2 else kw.get("wrapstring")
        lines = len(value) // width + len(value.split()) + 1
        at_most(len(value) + lines * (len(wrap) if isinstance(wrap, str) else 1))
    elif name == "tojson":
        indent = args[0] if args else kw.get("indent")
        each = len(indent) if isinstance(indent, str) else count_arg(indent)
        at_most(each * MAX_TEMPLATE_DEPTH)  # one line's indentation; the filter counts the rest
    elif name == "format":
        check_format(value, [*args, *kw.values()])
    elif name == "replace" and len(args) >= 2:
        at_most(replaced_size(str(value), str(args[0]), str(args[1]), *args[2:3]))
    elif name == "join":
        items = list(value)
        check_join(args[0] if args else kw.get("d", ""), items)
        return items
    elif name == "slice":
        at_most(count_arg(arg_of(args, kw, "slices")) * 8)
    elif name == "batch" and (len(args) > 1 or "fill_with" in kw):
        at_most(count_arg(arg_of(args, kw, "linecount")) * 8)
    return value


def count_arg(value: Any) -> int:
    return value if isinstance(value, int) else 0


def current_budget() -> Budget | None:
    return _BUDGET.get()
