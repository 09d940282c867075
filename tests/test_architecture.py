"""The package keeps the shape DESIGN.md draws: layers, no import circle, modules a reader can hold.

Imports are read from the source (inside functions too; only ``if TYPE_CHECKING:`` blocks are
left out, since they never run), so a circle hidden in a function body still fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "jupyter_orch"
MAX_LINES = 400

# From the bottom up. A module may import its own layer and the layers below it, never above.
# Longest prefix wins: "scheduling.schedules" is pure cron arithmetic that spec needs, while the
# rest of scheduling/ drives runs.
LAYERS: list[tuple[str, ...]] = [
    (
        "_version",
        "errors",
        "records",
        "durations",
        "sizes",
        "stats",
        "masking",
        "outputs",
        "connections",
        "channels",
        "signing",
        "dag",
        "spec_base",
        "spec_kinds",
        "spec_events",
        "spec_notify",
        "spec_retention",
        "spec_foreach",
        "expressions",
        "spec",
        "inputs",
        "pipelines",
        "scheduling.schedules",
        "run_folders",
        "run_staging",
    ),
    (
        "store",
        "executors",
        "steps",
        "calls",
        "notify",
        "artifacts",
        "versions",
        "datasets",
        "activity",
    ),
    (
        "runner",
        "runlog",
        "run_policy",
        "run_writer",
        "run_waits",
        "run_sync",
        "run_steps",
        "run_items",
    ),
    (
        "service",
        "catalog",
        "health",
        "notebook_schedules",
        "scheduling",
        "config",
        "config_values",
        "config_notify",
        "config_retention",
        "retention",
        "artifact_views",
        "run_notebooks",
        "version_views",
        "run_compare",
        "lineage_views",
        "develop",
        "backfills",
    ),
    (
        "server",
        "cli",
        "access",
        "notebook_client",
        "widgets",
        "notebook_steps",
        "pytest_plugin",
        "jupyter_orch",
    ),
]


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE.parent)
        if {"migrations", "labextension"} & set(relative.parts):
            continue
        name = ".".join(relative.with_suffix("").parts).removesuffix(".__init__")
        found[name] = path
    return found


MODULES = _modules()


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    hidden: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            hidden.update(id(child) for stmt in node.body for child in ast.walk(stmt))
    return hidden


def _imports(name: str) -> set[str]:
    path = MODULES[name]
    return _imports_in(path.read_text(encoding="utf-8"), name, path.name == "__init__.py")


def _imports_in(source: str, name: str, is_package: bool) -> set[str]:
    """The modules of ours that ``source`` (the module ``name``) imports when it runs."""
    tree = ast.parse(source)
    package = name if is_package else name.rpartition(".")[0]
    hidden = _type_checking_nodes(tree)
    targets: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in hidden:
            continue
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            # `from package import module` imports that module (and the package's __init__,
            # which holds no code of ours); `from module import name` imports the module
            candidates = [
                f"{module}.{alias.name}" if f"{module}.{alias.name}" in MODULES else module
                for alias in node.names
            ]
        else:
            continue
        for candidate in candidates:
            while candidate and candidate not in MODULES:
                candidate = candidate.rpartition(".")[0]
            if candidate and candidate != name and candidate != "jupyter_orch":
                targets.add(candidate)
    return targets


GRAPH = {name: _imports(name) for name in MODULES}


def _layer(name: str) -> int:
    short = name.removeprefix("jupyter_orch.") if name != "jupyter_orch" else name
    best, best_length = None, -1
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (short == prefix or short.startswith(prefix + ".")) and len(prefix) > best_length:
                best, best_length = index, len(prefix)
    assert best is not None, f"{name} belongs to no layer: add it to LAYERS in {__file__}"
    return best


def _cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(GRAPH[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for name in sorted(GRAPH):
        if name not in index:
            visit(name)
    return found


def test_the_import_reader_sees_imports_inside_functions_but_not_type_checking_ones() -> None:
    source = """
from typing import TYPE_CHECKING
from . import dag
from .store.types import utcnow
if TYPE_CHECKING:
    from .service import Orchestrator
def later():
    from .scheduling import leader
    import jupyter_orch.records
"""
    assert _imports_in(source, "jupyter_orch.runner", is_package=False) == {
        "jupyter_orch.dag",
        "jupyter_orch.store.types",
        "jupyter_orch.scheduling.leader",
        "jupyter_orch.records",
    }
    assert GRAPH["jupyter_orch.errors"] == set()


def test_no_import_circle() -> None:
    assert _cycles() == []


def test_every_module_has_a_layer_and_no_arrow_points_up() -> None:
    upward = [
        f"{name} (layer {_layer(name)}) imports {target} (layer {_layer(target)})"
        for name, targets in sorted(GRAPH.items())
        for target in sorted(targets)
        if _layer(target) > _layer(name)
    ]
    assert upward == []


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_past_the_size_a_reader_holds(name: str) -> None:
    lines = len(MODULES[name].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{MODULES[name]} has {lines} lines (at most {MAX_LINES})"
