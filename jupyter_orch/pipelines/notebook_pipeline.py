"""The pipeline file "Schedule this notebook" writes: one step running one notebook.

Text only, no store: names derived from the notebook's file name, the YAML written for a new
file, and the same settings merged into a file written earlier (keeping the user's edits).
"""

from __future__ import annotations

import io
import keyword
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from jupyter_orch.inputs.yaml_load import bounded_yaml, load_yaml
from jupyter_orch.spec import MAX_NAME, RESERVED_PIPELINE_NAMES

#: The file beside ``report.ipynb`` is ``report.pipeline.yaml``.
SUFFIX = ".pipeline.yaml"
HEADER = (
    'Created by "Schedule this notebook" in JupyterLab. Edit it freely: scheduling the\n'
    "notebook again changes only its schedule, parameters, retries and timeout."
)


def pipeline_file_for(notebook: Path) -> Path:
    return notebook.with_name(notebook.stem + SUFFIX)


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()


def pipeline_name_for(notebook: Path) -> str:
    """A pipeline name from the file name: ``Daily Report (v2).ipynb`` -> ``daily-report-v2``."""
    name = re.sub(r"[^a-z0-9_-]+", "-", _ascii(notebook.stem))
    name = re.sub(r"-{2,}", "-", name)[:MAX_NAME].strip("-_") or "notebook"
    return f"{name}-notebook" if name in RESERVED_PIPELINE_NAMES else name


def step_name_for(notebook: Path) -> str:
    """A step name (an identifier): ``Daily Report (v2).ipynb`` -> ``daily_report_v2``."""
    name = re.sub(r"[^a-z0-9_]+", "_", _ascii(notebook.stem))
    # Room for the "nb_" that a leading digit gets
    name = re.sub(r"_{2,}", "_", name)[: MAX_NAME - 3].strip("_") or "notebook"
    if name[0].isdigit():
        name = f"nb_{name}"
    return f"{name}_" if keyword.iskeyword(name) else name


@dataclass(frozen=True)
class NotebookPipeline:
    """What the request asks for; ``notebook`` and ``path`` are absolute."""

    name: str
    notebook: Path
    #: None: no schedule ("once": the notebook runs when asked).
    schedule: dict[str, Any] | None
    parameters: dict[str, Any] = field(default_factory=dict)
    #: Every name the notebook's parameters cell declares (others in the file are left alone).
    declared: tuple[str, ...] = ()
    retries: int | None = None
    timeout: str | int | float | None = None

    @property
    def path(self) -> Path:
        return pipeline_file_for(self.notebook)

    def render(self, existing: str | None = None) -> str:
        """The file's text: new, or ``existing`` (this pipeline's file) with these settings."""
        data = _load(existing) if existing is not None else self._new()
        if not isinstance(data, CommentedMap):
            raise ValueError("not a pipeline file")
        self._merge(data)
        out = io.StringIO()
        _yaml().dump(data, out)
        return out.getvalue()

    def owns(self, existing: str) -> bool:
        """Whether ``existing`` is this pipeline's file: same name, a step running the notebook."""
        try:
            data = _load(existing)
        except YAMLError:
            return False
        return (
            isinstance(data, CommentedMap)
            and data.get("name") == self.name
            and self._step_of(data) is not None
        )

    def _new(self) -> CommentedMap:
        data = CommentedMap()
        data["name"] = self.name
        when = "on a schedule" if self.schedule is not None else "when asked"
        data["description"] = f"Runs {self.notebook.name} {when}"
        data["parameters"] = CommentedMap()
        data["schedule"] = CommentedMap()
        step = CommentedMap()
        step["name"] = step_name_for(self.notebook)
        step["notebook"] = self.notebook.name
        data["steps"] = CommentedSeq([step])
        data.yaml_set_start_comment(HEADER)
        return data

    def _merge(self, data: CommentedMap) -> None:
        parameters = data.get("parameters")
        if not isinstance(parameters, CommentedMap):
            parameters = CommentedMap()
        for name in self.declared:
            parameters.pop(name, None)
        parameters.update(self.parameters)
        _set(data, "parameters", parameters if parameters else None, before="schedule")
        schedule = CommentedMap(self.schedule) if self.schedule is not None else None
        _set(data, "schedule", schedule, before="steps")
        step = self._step_of(data)
        if step is None:
            raise ValueError(f"no step runs {self.notebook.name}")
        _set(step, "retries", self.retries)
        _set(step, "timeout", self.timeout)

    def _step_of(self, data: CommentedMap) -> CommentedMap | None:
        steps = data.get("steps")
        for step in steps if isinstance(steps, list) else ():
            notebook = step.get("notebook") if isinstance(step, dict) else None
            if isinstance(notebook, str) and self._is_notebook(notebook):
                return step if isinstance(step, CommentedMap) else None
        return None

    def _is_notebook(self, relative: str) -> bool:
        return (self.path.parent / relative).resolve() == self.notebook.resolve()


def _set(mapping: CommentedMap, key: str, value: Any, *, before: str | None = None) -> None:
    """Set ``key`` (None removes it); a new key goes before ``before`` when that is present."""
    if value is None:
        mapping.pop(key, None)
    elif key in mapping or before not in mapping:
        mapping[key] = value
    else:
        mapping.insert(list(mapping).index(before), key, value)


def _yaml() -> YAML:
    yaml = bounded_yaml()
    yaml.default_flow_style = False
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 100
    # `region: null` rather than a bare `region:` for a None value
    yaml.representer.add_representer(
        type(None),
        lambda representer, _: representer.represent_scalar("tag:yaml.org,2002:null", "null"),
    )
    return yaml


def _load(text: str) -> Any:
    return load_yaml(text, yaml=_yaml())
