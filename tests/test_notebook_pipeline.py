"""Names derived from a notebook's file name, and defaults read as JSON values (no server)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jupyter_orch.pipelines.inspection import inspect_parameters, literal_value
from jupyter_orch.pipelines.notebook_pipeline import (
    NotebookPipeline,
    pipeline_name_for,
    step_name_for,
)
from jupyter_orch.spec import PIPELINE_NAME, check_identifier


@pytest.mark.parametrize(
    ("file", "pipeline", "step"),
    [
        ("Daily Report (v2).ipynb", "daily-report-v2", "daily_report_v2"),
        ("__init__.ipynb", "init", "init"),
        ("2024 sales.ipynb", "2024-sales", "nb_2024_sales"),
        ("import.ipynb", "import", "import_"),
        ("Über Café.ipynb", "uber-cafe", "uber_cafe"),
        ("日本.ipynb", "notebook", "notebook"),
        ("a--b__c.ipynb", "a-b__c", "a_b_c"),
    ],
)
def test_names_from_the_file_name(file: str, pipeline: str, step: str) -> None:
    assert pipeline_name_for(Path(file)) == pipeline
    assert step_name_for(Path(file)) == step
    assert PIPELINE_NAME.match(pipeline)
    check_identifier(step, "step name")


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("3", (True, 3)),
        ("-1.5", (True, -1.5)),
        ("'a#b'", (True, "a#b")),
        ("{'k': [1, None]}", (True, {"k": [1, None]})),
        ("(1, 2)", (False, None)),  # a tuple would come back as a list
        ("{1: 'a'}", (False, None)),  # JSON keys are strings
        ("float('nan')", (False, None)),
        ("os.environ['X']", (False, None)),
    ],
)
def test_literal_defaults_as_json(source: str, expected: tuple[bool, Any]) -> None:
    assert literal_value(source) == expected


def test_an_annotation_names_the_type_and_other_languages_say_why_not() -> None:
    cell = {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": ["x: float = 1\n"]}
    python = {"metadata": {"kernelspec": {"name": "python3"}}, "cells": [cell]}
    (found,) = inspect_parameters(python).parameters
    assert (found.name, found.default, found.inferred_type) == ("x", 1, "float")
    r = {"metadata": {"kernelspec": {"name": "ir", "language": "R"}}, "cells": [cell]}
    answer = inspect_parameters(r)
    assert answer.has_parameters_cell and answer.parameters == ()
    assert answer.problem == "papermill cannot read the parameters cell of R notebooks"


def test_a_file_without_the_notebooks_step_is_not_its_own(tmp_path: Path) -> None:
    pipeline = NotebookPipeline("report", tmp_path / "report.ipynb", {"cron": "@daily"})
    assert pipeline.owns(pipeline.render())
    assert not pipeline.owns("name: report\nsteps: [{name: a, notebook: other.ipynb}]\n")
    assert not pipeline.owns("name: other\nsteps: [{name: a, notebook: report.ipynb}]\n")
    assert not pipeline.owns("name: [report")
