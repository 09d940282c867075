"""Template evaluation bounded in size, steps and time, wired into jinja2's sandbox.

A template such as ``{{ [1]*10**8 }}`` grew the process evaluating it to 22 GB. jinja2's
sandbox stops a template from reaching Python internals, not from exhausting memory or time.
Here operators, calls, filters and tests go through ``template_budget`` (each value measured,
each operation a step), and the template's tree is rewritten before it is compiled so that
loops count a step per item, literals and ``~`` are measured, and all output is counted.
Macros, call blocks and recursive loops are refused: they repeat without a step to count.

Not ``sys.settrace``: it slows every line of the process, and threads would share it.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from jinja2 import nodes, pass_context, pass_eval_context
from jinja2.filters import make_attrgetter
from jinja2.nodes import EvalContext
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import htmlsafe_json_dumps
from jinja2.visitor import NodeTransformer
from markupsafe import Markup

from jupyter_orch.inputs.limits import MAX_TEMPLATE_VALUE
from jupyter_orch.inputs.template_budget import (
    LimitExceeded,
    bounded_range,
    charge,
    check_binop,
    check_call,
    check_filter,
    check_format,
    current_budget,
    format_args,
    size_of,
    tick,
    too_large,
)

# --- filters and tests -----------------------------------------------------------------------


def _bounded_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    skip = 1 if getattr(func, "jinja_pass_arg", None) is not None else 0

    @functools.wraps(func)  # keeps ``jinja_pass_arg``: jinja passes the same first argument
    def bounded(*args: Any, **kwargs: Any) -> Any:
        tick()
        if len(args) > skip:
            value = check_filter(name, args[skip], args[skip + 1 :], kwargs)
            args = (*args[:skip], value, *args[skip + 1 :])
        return charge(func(*args, **kwargs), *args)

    return bounded


def _bounded_test(func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        tick()
        return func(*args, **kwargs)

    return bounded


@pass_context
def _bounded_sum(
    context: Context, iterable: Iterable[Any], attribute: str | int | None = None, start: Any = 0
) -> Any:
    """``sum`` one addition at a time: the builtin adds lists in quadratic time, unseen."""
    if attribute is not None:
        iterable = map(make_attrgetter(context.environment, attribute), iterable)
    total = start
    for item in iterable:
        total = context.environment.call_binop(context, "+", total, item)  # type: ignore[attr-defined]
    return total


@pass_eval_context
def _bounded_tojson(eval_ctx: EvalContext, value: Any, indent: int | str | None = None) -> Markup:
    """jinja's ``tojson``, encoded piece by piece and stopped past the bound: with an indent,
    the text can be many times the value's size."""
    options = dict(eval_ctx.environment.policies["json.dumps_kwargs"])
    if indent is not None:
        options["indent"] = indent
    text, size = [], 0
    for piece in json.JSONEncoder(**options).iterencode(value):
        size += len(piece)
        if size > MAX_TEMPLATE_VALUE:
            raise too_large()
        text.append(piece)
    return htmlsafe_json_dumps(None, dumps=lambda _: "".join(text))


#: Filters that make markup or placeholder text; of no use in a pipeline, and hard to bound.
REMOVED_FILTERS = ("urlize",)
REMOVED_GLOBALS = ("lipsum",)


def bounded_filters(filters: Mapping[str, Any]) -> dict[str, Any]:
    out = {
        name: _bounded_filter(name, func)
        for name, func in filters.items()
        if name not in REMOVED_FILTERS
    }
    out["sum"] = _bounded_filter("sum", _bounded_sum)
    out["tojson"] = _bounded_filter("tojson", _bounded_tojson)
    out.update(INTERNAL_FILTERS)
    return out


def bounded_tests(tests: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _bounded_test(func) for name, func in tests.items()}


# --- the template tree: loops tick, literals and output are measured ------------------------


@pass_context
def _each(context: Context, iterable: Any) -> Iterator[Any]:
    for item in iterable:
        tick()
        yield item


@pass_context
def _made(context: Context, value: Any) -> Any:
    tick()
    return charge(value)


@pass_context
def _output(context: Context, value: Any) -> Any:
    tick()
    current = current_budget()
    if current is not None:
        current.output += len(value) if isinstance(value, str) else size_of(value)
        if current.output > MAX_TEMPLATE_VALUE:
            raise too_large("output")
    return value


INTERNAL_FILTERS: dict[str, Callable[..., Any]] = {
    "_orch_each": _each,
    "_orch_made": _made,
    "_orch_output": _output,
}

#: Constructs that repeat without a step to count (recursion), or that need a loader.
_REFUSED: dict[type[nodes.Node], str] = {
    nodes.Macro: "macros",
    nodes.CallBlock: "call blocks",
    nodes.Include: "include",
    nodes.Import: "import",
    nodes.FromImport: "import",
    nodes.Extends: "extends",
}


def refused_construct(tree: nodes.Node) -> str | None:
    """Why ``tree`` cannot be evaluated within bounds, or None."""
    for kind, what in _REFUSED.items():
        if any(True for _ in tree.find_all(kind)):
            return f"{what} are not available in pipeline templates"
    if any(loop.recursive for loop in tree.find_all(nodes.For)):
        return "recursive loops are not available in pipeline templates"
    return None


def _wrap(node: Any, name: str) -> nodes.Filter:
    return nodes.Filter(node, name, [], [], None, None, lineno=node.lineno)


class BoundingTransformer(NodeTransformer):
    """Loops tick on each item; literals and ``~`` are measured; every output is counted."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = _wrap(node.iter, "_orch_each")
        return node

    def visit_Output(self, node: nodes.Output) -> nodes.Node:
        self.generic_visit(node)
        node.nodes = [_wrap(child, "_orch_output") for child in node.nodes]
        return node

    def _measured(self, node: nodes.Expr) -> nodes.Node:
        self.generic_visit(node)
        return _wrap(node, "_orch_made")

    def visit_List(self, node: nodes.List) -> nodes.Node:
        return self._measured(node)

    def visit_Dict(self, node: nodes.Dict) -> nodes.Node:
        return self._measured(node)

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        return self._measured(node)

    def visit_Tuple(self, node: nodes.Tuple) -> nodes.Node:
        if node.ctx != "load":  # a loop's or a set's targets
            self.generic_visit(node)
            return node
        return self._measured(node)


# --- the environment -------------------------------------------------------------------------


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """jinja2's immutable sandbox whose operators, calls, filters and tests are bounded.
    Compile templates with ``bounded_tree`` so loops, literals and output are bounded too."""

    intercepted_binops = frozenset(["+", "-", "*", "/", "//", "%", "**"])

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.filters = bounded_filters(self.filters)
        self.tests = bounded_tests(self.tests)
        for name in REMOVED_GLOBALS:
            self.globals.pop(name, None)
        self.globals["range"] = bounded_range

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        tick()
        check_binop(operator, left, right)
        return charge(super().call_binop(context, operator, left, right), left, right)

    def call(
        __self,  # jinja's spelling: a template may pass ``self=`` as a keyword
        __context: Context,
        __obj: Any,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        tick()
        args = check_call(__obj, args, kwargs)
        result = super().call(__context, __obj, *args, **kwargs)
        return charge(result, __obj, getattr(__obj, "__self__", None), *args)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """``str.format`` comes here when its attribute is read, not through ``call``."""
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        template = value.__self__
        by_name = value.__name__ == "format_map"

        def bounded(*args: Any, **kwargs: Any) -> str:
            given = format_args(args[0]) if by_name and args else [*args, *kwargs.values()]
            check_format(template, given)
            return wrapped(*args, **kwargs)

        return bounded

    def bounded_tree(self, tree: nodes.Template) -> nodes.Template:
        """``tree`` ready to compile: refused constructs raise ``LimitExceeded``."""
        reason = refused_construct(tree)
        if reason is not None:
            raise LimitExceeded(reason)
        bounded = BoundingTransformer().visit(tree)
        bounded.set_environment(self)
        return bounded
