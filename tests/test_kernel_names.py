"""Kernel names resolve as jupyter_client resolves them, so a notebook papermill runs runs here
too (issue 21): ``python`` is the native Python kernel, spec names match whatever their case."""

from __future__ import annotations

from pathlib import Path

import pytest

from jupyter_orch.errors import SpecError
from jupyter_orch.pipelines.loader import load_pipeline
from jupyter_orch.pipelines.notebooks import resolve_kernel
from jupyter_orch.records import RunStatus
from jupyter_orch.service import Orchestrator

from .conftest import run_pipeline, write_notebook, write_pipeline


@pytest.mark.parametrize(
    ("name", "resolved"),
    [("python3", "python3"), ("python", "python3"), ("Python3", "python3"), ("nope", None)],
)
def test_kernel_names_resolve_as_jupyter_client_does(name: str, resolved: str | None) -> None:
    assert resolve_kernel(name) == resolved


def test_a_notebook_asking_for_python_validates(tmp_path: Path) -> None:
    write_notebook(tmp_path / "a.ipynb", None, "x = 1", kernel="python")
    path = write_pipeline(tmp_path, "name: alias\nsteps: [{name: a, notebook: a.ipynb}]\n")
    assert load_pipeline(path, thorough=True).spec.name == "alias"


def test_an_unknown_kernel_is_still_refused_naming_the_installed_ones(tmp_path: Path) -> None:
    write_notebook(tmp_path / "a.ipynb", None, "x = 1", kernel="nope")
    path = write_pipeline(tmp_path, "name: alias\nsteps: [{name: a, notebook: a.ipynb}]\n")
    with pytest.raises(SpecError) as caught:
        load_pipeline(path)
    (problem,) = caught.value.problems
    assert "kernel 'nope' for notebook" in problem.message and "python3" in problem.message


@pytest.mark.slow
def test_a_notebook_asking_for_python_runs_and_the_log_says_on_which_kernel(
    tmp_path: Path, orch: Orchestrator
) -> None:
    write_notebook(
        tmp_path / "a.ipynb",
        None,
        "import jupyter_orch, sys\njupyter_orch.record('python', sys.version_info[0])",
        kernel="python",
    )
    path = write_pipeline(tmp_path, "name: alias\nsteps: [{name: a, notebook: a.ipynb}]\n")
    run = run_pipeline(orch, path, workers=1)
    assert run.status is RunStatus.SUCCEEDED
    assert run.steps[0].attempts[-1].outputs == {"python": 3}
    messages = [line.message for line in orch.store.get_logs(run.id)]
    assert "Step 1: a on kernel python3" in messages
