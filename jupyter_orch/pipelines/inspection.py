"""A notebook's parameters cell as papermill reads it: names, defaults and their types.

papermill's translator does the parsing (the same code as ``papermill.inspect_notebook``, which
the worker uses to pick the parameters a notebook declares); this module only adds what a form
needs: the default as a JSON value when it is a literal, and a type inferred from it.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass
from typing import Any

from jupyter_orch.pipelines.notebooks import kernel_name_of

PARAMETERS_TAG = "parameters"

#: Type names a form can offer an input for; anything else is reported as unknown (None).
KNOWN_TYPES = ("int", "float", "str", "bool", "list", "dict", "None")
_ANNOTATION_TYPES = {name.lower(): name for name in KNOWN_TYPES} | {"nonetype": "None"}


@dataclass(frozen=True)
class NotebookParameter:
    """One assignment of a parameters cell."""

    name: str
    #: The default as a JSON value when it is a literal; None otherwise (see ``default_source``).
    default: Any
    default_source: str
    inferred_type: str | None
    help: str

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "default": self.default,
            "default_source": self.default_source,
            "inferred_type": self.inferred_type,
            "help": self.help,
        }


@dataclass(frozen=True)
class ParametersCell:
    """What a notebook declares as parameters."""

    kernel: str | None
    language: str | None
    has_parameters_cell: bool
    parameters: tuple[NotebookParameter, ...]
    #: Why the cell could not be read (a language papermill cannot inspect), else None.
    problem: str | None = None

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.parameters]


def inspect_parameters(notebook: dict[str, Any]) -> ParametersCell:
    """The parameters cell of a notebook given as its JSON (see ``read_notebook_json``)."""
    kernel = kernel_name_of(notebook)
    language = _language_of(notebook)
    cell = _parameters_cell(notebook)
    if cell is None:
        return ParametersCell(kernel, language, False, ())
    # papermill looks the translator up by kernel, then language; a notebook naming neither
    # cannot run here anyway, and Python is what such a file almost always holds.
    lookup_language = language or "python"
    try:
        found = _papermill_inspect(kernel or "", lookup_language, _source_text(cell))
    except (LookupError, NotImplementedError):
        problem = f"papermill cannot read the parameters cell of {lookup_language} notebooks"
        return ParametersCell(kernel, language, True, (), problem)
    return ParametersCell(kernel, language, True, tuple(_parameter(p) for p in found))


def _papermill_inspect(kernel: str, language: str, source: str) -> list[Any]:
    import nbformat
    from papermill.exceptions import PapermillException
    from papermill.translators import papermill_translators

    try:
        translator = papermill_translators.find_translator(kernel, language)
    except PapermillException as exc:
        raise LookupError(str(exc)) from None
    found: list[Any] = translator.inspect(nbformat.from_dict({"source": source}))
    return found


def _language_of(notebook: dict[str, Any]) -> str | None:
    metadata = notebook.get("metadata") or {}
    for holder, key in (("language_info", "name"), ("kernelspec", "language")):
        value = (metadata.get(holder) or {}).get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _parameters_cell(notebook: dict[str, Any]) -> dict[str, Any] | None:
    for cell in notebook.get("cells", []):
        tags = (cell.get("metadata") or {}).get("tags") or []
        if cell.get("cell_type") == "code" and PARAMETERS_TAG in tags:
            return dict(cell)
    return None


def _source_text(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _parameter(found: Any) -> NotebookParameter:
    """papermill's ``Parameter(name, inferred_type_name, default, help)`` for a form."""
    source = str(found.default)
    is_literal, value = literal_value(source)
    # papermill's "type" is the annotation or `# type:` comment, and the text "None" when absent
    annotation = str(found.inferred_type_name).split("[")[0].strip().lower()
    inferred = _ANNOTATION_TYPES.get(annotation) if annotation != "none" else None
    if inferred is None and is_literal:
        inferred = "None" if value is None else type(value).__name__
    return NotebookParameter(found.name, value, source, inferred, str(found.help))


def literal_value(source: str) -> tuple[bool, Any]:
    """``(True, value)`` when ``source`` is a Python literal that is also a JSON value."""
    try:
        value = ast.literal_eval(source)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False, None
    return (True, value) if _is_json(value) else (False, None)


def _is_json(value: Any) -> bool:
    # Tuples and sets would come back as lists, changing the notebook's type; NaN is no JSON.
    if value is None or isinstance(value, (bool, int, str)):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(_is_json(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_json(v) for k, v in value.items())
    return False
