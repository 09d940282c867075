"""Templates (``{{ ... }}``) and ``if:`` expressions, evaluated in jinja2's sandbox.

Semantics (DESIGN.md): strict undefined, names resolve to the user's values and never to
Python attributes of containers, and a value that is exactly one ``{{ }}`` keeps its type.
Evaluation is bounded in size, steps and time (``template_bounds``): it runs in the server's
process, so a template must not be able to exhaust it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import StrictUndefined, Template, Undefined, nodes
from jinja2.environment import TemplateExpression
from jinja2.exceptions import TemplateSyntaxError, UndefinedError
from jinja2.parser import Parser
from jinja2.sandbox import SecurityError

from jupyter_orch.inputs.template_bounds import BoundedSandbox, refused_construct
from jupyter_orch.inputs.template_budget import LimitExceeded, budget, charge

from .errors import TemplateError

ROOT_NAMES = ("params", "steps", "run")
STEP_FIELDS = ("outputs", "status")
RUN_FIELDS = ("id", "dir", "started_at", "scheduled_for", "event")

_WHOLE = re.compile(r"^\s*\{\{(?P<expr>.*?)\}\}\s*$", re.DOTALL)


class Scope(Mapping[str, Any]):
    """A mapping that knows its dotted path, so an unknown name is reported in full."""

    def __init__(self, path: str, data: Mapping[str, Any]) -> None:
        self.path = path
        self._data = data

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"Scope({self.path!r}, {dict(self._data)!r})"


class _Environment(BoundedSandbox):
    """Item lookup only for mappings: ``outputs.items`` is the output named ``items``."""

    def _lookup(self, obj: Any, key: Any) -> Any:
        try:
            return obj[key]
        except (KeyError, TypeError):
            where = obj.path if isinstance(obj, Scope) else "the value"
            known = ", ".join(sorted(map(str, obj))) or "none"
            return self.undefined(hint=f"{where} has no {key!r} (available: {known})")

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, Mapping):
            return self._lookup(obj, attribute)
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if isinstance(obj, Mapping):
            return self._lookup(obj, argument)
        return super().getitem(obj, argument)


def _finalize(value: Any) -> Any:
    # In mixed text, strings render as they are and other values as JSON.
    if isinstance(value, str):
        return value
    return json.dumps(value, default=str)


_ENV = _Environment(undefined=StrictUndefined, finalize=_finalize, autoescape=False)


def is_template(value: str) -> bool:
    return "{{" in value or "{%" in value


def _whole_expression(value: str) -> str | None:
    match = _WHOLE.match(value)
    if match and "{{" not in match.group("expr") and "}}" not in match.group("expr"):
        return match.group("expr")
    return None


def _strip_braces(expression: str) -> str:
    inner = _whole_expression(expression)
    return inner if inner is not None else expression


#: Errors whose message reads well alone; others are prefixed with their type.
_SELF_EXPLAINED = (
    UndefinedError,
    TemplateSyntaxError,
    SecurityError,
    LimitExceeded,
    TypeError,
    ValueError,
)


def _fail(kind: str, source: str, exc: Exception) -> TemplateError:
    if isinstance(exc, RecursionError):
        message = "nested too deep"
    elif isinstance(exc, _SELF_EXPLAINED):
        message = str(exc)
    else:
        message = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, UndefinedError) and "is undefined" in message:
        message += f" (names available: {', '.join(ROOT_NAMES)})"
    if len(source) > 200:
        source = source[:200] + "..."
    return TemplateError(f"{kind} {source!r}: {message}")


def _bounded(tree: nodes.Template) -> Template:
    return _ENV.from_string(_ENV.bounded_tree(tree))


def _compile_expression(source: str) -> TemplateExpression:
    """``Environment.compile_expression``, with the tree bounded before it is compiled."""
    parser = Parser(_ENV, source, state="variable")
    expr = parser.parse_expression()
    if not parser.stream.eos:
        raise TemplateSyntaxError("chunk after expression", parser.stream.current.lineno)
    body = [nodes.Assign(nodes.Name("result", "store"), expr, lineno=1)]
    return TemplateExpression(_bounded(nodes.Template(body, lineno=1)), False)


def _expression_value(source: str, context: Mapping[str, Any]) -> Any:
    return _defined(charge(_compile_expression(source)(**context)))


def _rendered(source: str, context: Mapping[str, Any]) -> str:
    return _bounded(_ENV.parse(source)).render(**context)


def _defined(value: Any) -> Any:
    """Raise for an undefined result; an expression's value is not rendered, so check it."""
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()
    elif isinstance(value, (list, tuple)):
        for item in value:
            _defined(item)
    elif isinstance(value, dict):
        for item in value.values():
            _defined(item)
    return value


def render_value(value: Any, context: Mapping[str, Any]) -> Any:
    """Render templates inside ``value`` (strings, lists and dicts, recursively)."""
    if isinstance(value, str):
        if not is_template(value):
            return value
        inner = _whole_expression(value)
        try:
            with budget():
                if inner is not None:
                    return _expression_value(inner, context)
                return _rendered(value, context)
        except Exception as exc:  # anything a template raises is the template's fault
            raise _fail("template", value, exc) from None
    if isinstance(value, list):
        return [render_value(item, context) for item in value]
    if isinstance(value, dict):
        return {key: render_value(item, context) for key, item in value.items()}
    return value


def evaluate_condition(expression: str, context: Mapping[str, Any]) -> bool:
    """Truth of an ``if:`` expression (with or without surrounding ``{{ }}``)."""
    source = _strip_braces(expression)
    try:
        with budget():
            result = _expression_value(source, context)
    except Exception as exc:  # anything a template raises is the template's fault
        raise _fail("if:", expression, exc) from None
    return bool(result)


def build_context(
    params: Mapping[str, Any],
    steps: Mapping[str, tuple[str, Mapping[str, Any]]],
    run: Mapping[str, Any],
) -> dict[str, Any]:
    """The names templates see; ``steps`` maps a step name to (status, outputs)."""
    return {
        "params": Scope("params", dict(params)),
        "steps": Scope(
            "steps",
            {
                name: Scope(
                    f"steps.{name}",
                    {"status": status, "outputs": Scope(f"steps.{name}.outputs", dict(outputs))},
                )
                for name, (status, outputs) in steps.items()
            },
        ),
        "run": Scope("run", dict(run)),
    }


# --- static analysis, for validation ---------------------------------------------------------


@dataclass(frozen=True)
class Reference:
    """A name an expression reads: ``root`` is params/steps/run, ``key`` the next name."""

    root: str
    key: str | None
    field: str | None = None


def _const_key(node: nodes.Node) -> str | None:
    if isinstance(node, nodes.Getattr):
        return node.attr
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        value = node.arg.value
        return value if isinstance(value, str) else None
    return None


def _references(tree: nodes.Node) -> list[Reference]:
    found: list[Reference] = []
    for name in tree.find_all(nodes.Name):
        if name.ctx == "load":
            found.append(Reference(name.name, None))
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        inner = node.node  # type: ignore[attr-defined]
        if isinstance(inner, nodes.Name):
            found.append(Reference(inner.name, _const_key(node)))
        elif isinstance(inner, (nodes.Getattr, nodes.Getitem)) and isinstance(
            inner.node, nodes.Name
        ):
            found.append(Reference(inner.node.name, _const_key(inner), _const_key(node)))
    return found


def parse_references(source: str, *, expression: bool) -> list[Reference]:
    """Names read by a template (or by an ``if:`` expression when ``expression``).

    Raises ``TemplateError`` on a syntax error.
    """
    text = "{{ " + _strip_braces(source) + " }}" if expression else source
    try:
        tree = _ENV.parse(text)
    except TemplateSyntaxError as exc:
        raise TemplateError(f"syntax error in {source!r}: {exc.message}") from None
    except RecursionError:
        raise _fail("template", source, RecursionError()) from None
    refused = refused_construct(tree)
    if refused is not None:
        raise _fail("template", source, LimitExceeded(refused))
    assigned = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
    return [ref for ref in _references(tree) if ref.root not in assigned]


def template_strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(field path, string) for every template string inside a parameter value."""
    if isinstance(value, str):
        if is_template(value):
            yield path, value
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from template_strings(item, f"{path}[{index}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from template_strings(item, f"{path}.{key}" if path else str(key))
