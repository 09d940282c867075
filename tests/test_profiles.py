"""Parameter profiles ("test with small datasets first"): ``profiles: {small: {days: 1}}`` in
the pipeline file, ``--profile small`` on the command line, ``{"profile": "small"}`` in REST."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from jupyter_orch.errors import ParameterError, SpecError
from jupyter_orch.pipelines.loader import load_pipeline
from jupyter_orch.service import Orchestrator
from jupyter_orch.store.repository import Store

from .conftest import write_notebook, write_steps
from .helpers import command
from .orch_server import call


def project(folder: Path, profiles: str = "{small: {days: 1, sample: 0.01}}") -> Path:
    write_notebook(folder / "n.ipynb", "days = 30\nsample = 1.0", "print(days, sample)")
    return write_steps(
        folder,
        "sales",
        "- {name: a, notebook: n.ipynb}",
        head=f"parameters: {{days: 30, sample: 1.0, region: EU}}\nprofiles: {profiles}",
    )


def test_a_profile_sets_its_values_under_the_given_ones(store: Store, tmp_path: Path) -> None:
    orch = Orchestrator(store, tmp_path / "runs")
    orch.apply(load_pipeline(project(tmp_path)))
    run = orch.trigger("sales", parameters={"region": "US"}, profile="small")
    assert run.parameters == {"days": 1, "sample": 0.01, "region": "US"}
    run = orch.trigger("sales", parameters={"days": 2}, profile="small")
    assert run.parameters["days"] == 2  # what is given wins over the profile
    with pytest.raises(ParameterError, match=r"has no profile 'big' \(profiles: small\)"):
        orch.trigger("sales", profile="big")


def test_a_profile_setting_an_undeclared_parameter_is_refused_by_line(tmp_path: Path) -> None:
    path = project(tmp_path, "{small: {dayz: 1}}")
    with pytest.raises(SpecError) as caught:
        load_pipeline(path)
    [problem] = caught.value.problems
    assert problem.path == "profiles" and problem.line == 3
    assert "profile 'small' sets 'dayz', which is not a parameter" in problem.message


@pytest.mark.slow
def test_jupyter_orch_run_with_a_profile(tmp_path: Path) -> None:
    path = project(tmp_path)
    done = subprocess.run(
        command(tmp_path, "run", str(path), "--profile", "small", "--json"),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["parameters"] == {"days": 1, "sample": 0.01, "region": "EU"}
    wrong = subprocess.run(
        command(tmp_path, "run", str(path), "--profile", "huge"), capture_output=True, text=True
    )
    assert wrong.returncode == 2 and "has no profile 'huge'" in wrong.stderr


async def test_a_rest_trigger_with_a_profile(
    jp_fetch: Any, jp_root_dir: Path, started: Any
) -> None:
    project(jp_root_dir / "p")
    code, _ = await call(jp_fetch, "POST", "pipelines", body={"path": "p/pipeline.yaml"})
    assert code == 201
    code, run = await call(
        jp_fetch, "POST", "pipelines", "sales", "runs", body={"profile": "small"}
    )
    assert code == 202 and run["parameters"]["days"] == 1
    code, answer = await call(jp_fetch, "POST", "pipelines", "sales", "runs", body={"profile": 3})
    assert code == 400 and answer["error"].startswith("profile:")
