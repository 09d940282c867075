"""Reading pipeline files: YAML 1.2 with line numbers, then every problem at once.

Split from ``spec.py`` because the models are pure data, while this module does I/O
(the YAML file, the notebooks it names) and maps errors back to lines.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from jupyter_orch import dag
from jupyter_orch.connections import Connections
from jupyter_orch.errors import Problem, SpecError
from jupyter_orch.inputs.files import FileProblem, NamedPaths, read_text
from jupyter_orch.inputs.limits import MAX_YAML_FILE_BYTES
from jupyter_orch.inputs.yaml_load import load_yaml
from jupyter_orch.pipelines.fast_yaml import fast_load
from jupyter_orch.pipelines.kind_checks import check_kinds
from jupyter_orch.pipelines.notebooks import check_named_notebook
from jupyter_orch.pipelines.template_checks import check_templates, suggest
from jupyter_orch.spec import MODEL_AT, PipelineSpec, allowed_keys, check_identifier


@dataclass(frozen=True)
class LoadedPipeline:
    """A valid pipeline with the file it came from (the paths it names are relative to it).

    ``root``, when set, is the folder every path the pipeline names must resolve in: the
    server's root dir, for what the server validates and executes. None: anywhere (the CLI,
    whose files are its user's own).
    """

    spec: PipelineSpec
    path: Path
    source: str
    root: Path | None = None

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    @property
    def named_paths(self) -> NamedPaths:
        return NamedPaths(self.base_dir, self.root)

    def resolve(self, named: str, what: str = "file") -> Path:
        """A path the pipeline names, absolute; ``PathError`` when it leaves the root."""
        return self.named_paths.resolve(named, what)

    def only(self, names: Collection[str]) -> LoadedPipeline:
        """The pipeline with only the steps ``names`` (a test run of one step and its upstream
        steps records no others): itself when that is every step."""
        steps = tuple(s for s in self.spec.steps if s.name in names)
        if len(steps) == len(self.spec.steps):
            return self
        return dataclasses.replace(self, spec=self.spec.model_copy(update={"steps": steps}))


def load_pipeline(
    path: str | Path,
    *,
    thorough: bool = False,
    root: Path | None = None,
    connections: Connections | None = None,
) -> LoadedPipeline:
    """Load and validate a pipeline file; raises ``SpecError`` listing every problem.

    ``thorough`` validates notebooks against the full nbformat schema too; with ``root``, every
    path the pipeline names must resolve inside it; every connection name it uses must be
    defined in ``connections`` (by default, the ``JUPYTER_ORCH_CONN_*`` variables).
    """
    file = Path(path).absolute()
    try:
        source = read_text(file, MAX_YAML_FILE_BYTES)
    except FileProblem as exc:
        message = "file not found" if exc.missing else f"the pipeline file {exc.reason}"
        raise SpecError([Problem("", message, file=str(file))], str(file)) from None
    return load_pipeline_text(source, file, thorough=thorough, root=root, connections=connections)


def load_pipeline_text(
    source: str,
    path: str | Path,
    *,
    thorough: bool = False,
    root: Path | None = None,
    connections: Connections | None = None,
) -> LoadedPipeline:
    """Validate YAML text as if it were the file at ``path`` (notebooks resolve from there)."""
    file = Path(path).absolute()
    paths = NamedPaths(file.parent, root)
    spec, problems = _validate(source, file, thorough, paths, connections or Connections())
    if problems or spec is None:
        raise SpecError(problems, str(file))
    return LoadedPipeline(spec=spec, path=file, source=source, root=root)


def validate_pipeline_file(path: str | Path, *, thorough: bool = True) -> list[Problem]:
    try:
        load_pipeline(path, thorough=thorough)
    except SpecError as exc:
        return exc.problems
    return []


# --- YAML ------------------------------------------------------------------------------------


def plain(node: Any) -> Any:
    """ruamel's round-trip types to plain Python (its booleans are ints otherwise)."""
    if isinstance(node, Mapping):
        return {str(k) if not isinstance(k, (str, int)) else k: plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    if isinstance(node, bool) or type(node).__name__ == "ScalarBoolean":
        return bool(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    if isinstance(node, (date, datetime)):
        # Unquoted dates stay the text the user wrote; parameters must be JSON values.
        return node.isoformat()
    return node


def _line_of(root: Any, loc: tuple[Any, ...]) -> int | None:
    """1-based line of the deepest part of ``loc`` that exists in the YAML tree."""
    line: int | None = None
    node = root
    for part in loc:
        if isinstance(node, CommentedMap) and part in node:
            line = node.lc.key(part)[0] + 1
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            line = node.lc.item(part)[0] + 1
            node = node[part]
        else:
            break
    if line is None and isinstance(root, (CommentedMap, CommentedSeq)):
        line = root.lc.line + 1
    return line


def _field_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


# --- validation ------------------------------------------------------------------------------


class _Collector:
    def __init__(self, root: Any, file: Path) -> None:
        self.root = root
        self.file = str(file)
        self.problems: list[Problem] = []

    def add(self, loc: tuple[Any, ...], message: str) -> None:
        self.problems.append(
            Problem(_field_path(loc), message, _line_of(self.root, loc), self.file)
        )


def _validate(
    source: str, file: Path, thorough: bool, paths: NamedPaths, connections: Connections
) -> tuple[PipelineSpec | None, list[Problem]]:
    try:
        root = fast_load(source) or load_yaml(source)  # the same tree, sooner
    except (MarkedYAMLError, YAMLError) as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        return None, [Problem("", f"invalid YAML: {reason}", line, str(file))]
    out = _Collector(root, file)
    if not isinstance(root, Mapping):
        out.add((), "a pipeline file is a YAML mapping with at least `name` and `steps`")
        return None, out.problems
    data = plain(root)
    spec: PipelineSpec | None = None
    try:
        spec = PipelineSpec.model_validate(data)
    except ValidationError as exc:
        _report_model_errors(exc, out)
    _check_semantics(data, paths, out, thorough)
    for loc, message in check_kinds(data, list(_steps(data)), paths, connections):
        out.add(loc, message)
    out.problems.sort(key=lambda p: (p.line or 0, p.path))
    return (spec if not out.problems else None), out.problems


def _report_model_errors(exc: ValidationError, out: _Collector) -> None:
    errors = exc.errors()
    step_errors = any(len(e["loc"]) > 1 and e["loc"][0] == "steps" for e in errors)
    for err in errors:
        loc = tuple(err["loc"])
        kind = err["type"]
        if kind == "too_short" and loc == ("steps",):
            # pydantic also reports the length when an item failed; only a real empty list counts
            if not step_errors:
                out.add(loc, "a pipeline needs at least one step")
        elif kind == "extra_forbidden":
            where = (
                "steps[]"
                if len(loc) == 3 and loc[0] == "steps"
                else ".".join(str(part) for part in loc[:-1] if not isinstance(part, int))
            )
            options = allowed_keys(MODEL_AT.get(where, PipelineSpec))
            out.add(loc, f"unknown key {loc[-1]!r}{suggest(str(loc[-1]), options)}")
        elif kind == "missing":
            out.add(loc[:-1], f"missing required key {loc[-1]!r}")
        elif kind in ("literal_error", "enum"):
            expected = err.get("ctx", {}).get("expected", "")
            options = [o.strip(" '") for o in expected.replace(" or ", ",").split(",") if o.strip()]
            out.add(
                loc,
                f"{err['input']!r} is not one of {expected}{suggest(str(err['input']), options)}",
            )
        else:
            message = err["msg"].removeprefix("Value error, ")
            out.add(loc, message)


def _steps(data: Mapping[str, Any]) -> Iterator[tuple[int, Mapping[str, Any]]]:
    steps = data.get("steps")
    if isinstance(steps, list):
        for index, step in enumerate(steps):
            if isinstance(step, Mapping):
                yield index, step


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _check_semantics(
    data: Mapping[str, Any], paths: NamedPaths, out: _Collector, thorough: bool
) -> None:
    params = _mapping(data.get("parameters"))
    _check_parameter_names(params, ("parameters",), out)
    names: dict[str, int] = {}
    needs: dict[str, list[str]] = {}
    for index, step in _steps(data):
        name = step.get("name")
        if not isinstance(name, str):
            continue
        if name in names:
            out.add(
                ("steps", index, "name"),
                f"duplicate step name {name!r} (also steps[{names[name]}])",
            )
            continue
        names[name] = index
        raw = step.get("needs", [])
        needs[name] = [n for n in raw if isinstance(n, str)] if isinstance(raw, list) else []
    for name, deps in needs.items():
        index = names[name]
        for j, dep in enumerate(deps):
            if dep == name:
                out.add(("steps", index, "needs", j), f"step {name!r} needs itself")
            elif dep not in names:
                out.add(
                    ("steps", index, "needs", j),
                    f"unknown step {dep!r}{suggest(dep, list(names))}",
                )
    cycle = dag.find_cycle({n: [d for d in deps if d != n] for n, deps in needs.items()})
    if cycle:
        out.add(("steps", names[cycle[0]], "needs"), f"cycle: {' -> '.join(cycle)}")
    defaults = _mapping(data.get("defaults"))
    notebook_errors: dict[tuple[str, str | None], str | None] = {}
    declared, step_names = set(params), set(names)
    for_each = {str(s.get("name")) for _, s in _steps(data) if s.get("for_each") is not None}
    for index, step in _steps(data):
        name = step.get("name")
        if isinstance(step.get("parameters"), Mapping):
            _check_parameter_names(step["parameters"], ("steps", index, "parameters"), out)
        notebook = step.get("notebook")
        if isinstance(notebook, str):
            kernel = step.get("kernel") or defaults.get("kernel")
            key = (notebook, kernel if isinstance(kernel, str) else None)
            if key not in notebook_errors:
                notebook_errors[key] = _notebook_problem(paths, *key, thorough=thorough)
            if notebook_errors[key]:
                out.add(("steps", index, "notebook"), str(notebook_errors[key]))
        if isinstance(name, str) and names.get(name) == index and not cycle:
            upstream = dag.Upstream(needs, name)
            check_templates(step, index, declared, step_names, upstream, out.add, for_each)


def _notebook_problem(
    paths: NamedPaths, notebook: str, kernel: str | None, *, thorough: bool
) -> str | None:
    try:
        check_named_notebook(paths, notebook, kernel, thorough=thorough)
    except ValueError as exc:
        return str(exc)
    return None


def _check_parameter_names(
    params: Mapping[str, Any], loc: tuple[Any, ...], out: _Collector
) -> None:
    for key in params:
        try:
            check_identifier(str(key), "parameter name")
        except ValueError as exc:
            out.add((*loc, key), str(exc))
