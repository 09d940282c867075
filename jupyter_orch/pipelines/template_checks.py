"""The names a step's templates read, checked when a pipeline is validated: parameters that
are declared, steps that are upstream, run fields that exist, and in a for-each step ``item``
and ``item_index`` (``steps.NAME.items`` for a for-each step upstream)."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Collection, Iterator, Mapping
from typing import Any

from jupyter_orch import dag
from jupyter_orch.errors import TemplateError
from jupyter_orch.expressions import (
    RUN_FIELDS,
    STEP_FIELDS,
    Reference,
    parse_references,
    template_strings,
)
from jupyter_orch.spec_foreach import ITEM_NAMES

Add = Callable[[tuple[Any, ...], str], None]


def suggest(word: str, options: list[str]) -> str:
    close = difflib.get_close_matches(str(word), options, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def check_templates(
    step: Mapping[str, Any],
    index: int,
    params: set[str],
    steps: set[str],
    upstream: dag.Upstream,
    add: Add,
    for_each: Collection[str] = (),
) -> None:
    """``add`` a problem for each name a template of ``step`` reads that it cannot.
    ``for_each``: the pipeline's for-each steps."""
    sources: list[tuple[tuple[Any, ...], str, bool, bool]] = []  # loc, text, expression, item
    if isinstance(step.get("if"), str):  # decided before the items exist
        sources.append((("steps", index, "if"), step["if"], True, False))
    if isinstance(step.get("for_each"), str):
        sources.append((("steps", index, "for_each"), step["for_each"], False, False))
    export = _mapping(step.get("export"))
    for loc, text in (
        (("connection",), step.get("connection")),
        (("export", "from"), export.get("from")),
        (("export", "to", "file"), _mapping(export.get("to")).get("file")),
        (("export", "to", "connection"), _mapping(export.get("to")).get("connection")),
    ):
        if isinstance(text, str) and ("{{" in text or "{%" in text):
            sources.append((("steps", index, *loc), text, False, True))
    if isinstance(step.get("parameters"), Mapping):
        for sub, text in template_strings(dict(step["parameters"])):
            where = ("steps", index, "parameters", *sub.split(".", 1)[:1])
            sources.append((where, text, False, True))
    name = step.get("name")
    for loc, text, is_expression, per_item in sources:
        try:
            refs = parse_references(text, expression=is_expression)
        except TemplateError as exc:
            add(loc, str(exc))
            continue
        items = per_item and step.get("for_each") is not None
        scope = _Scope(params, steps, upstream, name, set(for_each), items)
        for problem in scope.problems(refs):
            add(loc, f"{problem} in {text!r}")


class _Scope:
    """What one template of one step may read."""

    def __init__(
        self,
        params: set[str],
        steps: set[str],
        upstream: dag.Upstream,
        me: Any,
        for_each: set[str],
        items: bool,
    ) -> None:
        self.params, self.steps, self.upstream, self.me = params, steps, upstream, me
        self.for_each, self.items = for_each, items
        self.roots = ("params", "steps", "run", *(ITEM_NAMES if items else ()))
        self.seen: set[str] = set()

    def problems(self, refs: list[Reference]) -> Iterator[str]:
        for ref in refs:
            problem = self._problem(ref)
            if problem is not None and problem not in self.seen:
                self.seen.add(problem)
                yield problem

    def _problem(self, ref: Reference) -> str | None:
        if ref.root in ITEM_NAMES and not self.items:
            return (
                f"{ref.root!r} is defined only in the parameters of a step with for_each "
                "(not in its for_each or if:)"
            )
        if ref.root not in self.roots:
            return f"unknown name {ref.root!r} (use {', '.join(self.roots)})"
        if ref.key is None or ref.root in ITEM_NAMES:
            return None
        if ref.root == "params" and ref.key not in self.params:
            declared = ", ".join(sorted(self.params)) or "none"
            hint = suggest(ref.key, sorted(self.params))
            return f"unknown parameter {ref.key!r} (declared: {declared}){hint}"
        if ref.root == "run" and ref.key not in RUN_FIELDS:
            return f"unknown run field {ref.key!r} (use {', '.join(RUN_FIELDS)})"
        if ref.root != "steps":
            return None
        if ref.key not in self.steps:
            return f"unknown step {ref.key!r}{suggest(ref.key, sorted(self.steps))}"
        if ref.key == self.me:
            return f"step {self.me!r} cannot read its own outputs or status"
        if ref.key not in self.upstream:
            return f"step {ref.key!r} is not upstream of {self.me!r}; add it to needs"
        if ref.field == "items" and ref.key not in self.for_each:
            return f"steps.{ref.key} has no 'items': it has no for_each"
        if ref.field is not None and ref.field not in (*STEP_FIELDS, "items"):
            return f"steps.{ref.key} has no {ref.field!r} (use outputs, status or items)"
        return None
