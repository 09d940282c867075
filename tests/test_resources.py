"""Memory limits and usage, with real kernels and processes: a notebook cell, a function step
and a subprocess a cell started, each allocating 1 GB under a 256 MB limit, fail with their
peak (the worker kills the step's tree; the process coordinating the run, here the test's own,
lives on); a step under its limit succeeds and records a plausible peak and its CPU time."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from jupyter_orch.records import RunRecord, RunStatus
from jupyter_orch.service import Orchestrator
from jupyter_orch.sizes import parse_size
from jupyter_orch.spec import PipelineSpec
from jupyter_orch.store.repository import Store

from .conftest import run_pipeline, write_notebook, write_steps
from .orch_server import call

GB = 10**9
#: Written, not only reserved (a zero-filled bytearray would not be resident), then held.
HOG = "import time\nheld = b'1' * {size}\ntime.sleep(3)\n"
SUBPROCESS_HOG = (
    "import subprocess, sys\nsubprocess.run([sys.executable, '-c', {code!r}], check=True)\n"
)
FUNCTION_HOG = (
    "import time\n\ndef hog(size):\n    held = b'1' * size\n    time.sleep(3)\n    return {}\n"
)


def test_sizes_read_as_the_contract_says() -> None:
    assert parse_size("4GB") == 4 * GB
    assert parse_size("512MB") == 512 * 10**6
    assert parse_size("2GiB") == 2 * 2**30
    assert parse_size("1.5 GiB") == int(1.5 * 2**30)
    assert parse_size(1024) == 1024
    for bad in ("4 parsecs", "-1GB", "0", "nan", True, "9999999TB"):
        with pytest.raises(ValueError, match="size"):
            parse_size(bad)


def test_a_steps_own_limit_wins_then_defaults_then_limits() -> None:
    spec = PipelineSpec.model_validate(
        {
            "name": "p",
            "limits": {"max_memory": "4GB"},
            "defaults": {"max_memory": "2GB"},
            "steps": [
                {"name": "a", "notebook": "a.ipynb", "max_memory": "1GiB"},
                {"name": "b", "notebook": "a.ipynb"},
            ],
        }
    )
    assert spec.policy(spec.step("a")).max_memory == 2**30
    assert spec.policy(spec.step("b")).max_memory == 2 * GB
    bare = spec.model_copy(
        update={"defaults": spec.defaults.model_copy(update={"max_memory": None})}
    )
    assert bare.policy(spec.step("b")).max_memory == 4 * GB


def attempt_of(run: RunRecord, step: str) -> dict[str, Any]:
    return run.step(step).attempts[-1].to_dict()


@pytest.mark.slow
@pytest.mark.parametrize("where", ["cell", "subprocess", "function"])
def test_a_step_past_its_limit_fails_with_its_peak(
    tmp_path: Path, store: Store, where: str
) -> None:
    if where == "cell":
        write_notebook(tmp_path / "hog.ipynb", None, HOG.format(size=GB))
        step = "{name: hog, notebook: hog.ipynb, max_memory: 256MB}"
    elif where == "subprocess":
        code = HOG.format(size=GB).replace("\n", ";")
        write_notebook(tmp_path / "hog.ipynb", None, SUBPROCESS_HOG.format(code=code))
        step = "{name: hog, notebook: hog.ipynb, max_memory: 256MB}"
    else:
        (tmp_path / "hogs.py").write_text(FUNCTION_HOG)
        step = f"{{name: hog, python: hogs.py:hog, parameters: {{size: {GB}}}, max_memory: 256MB}}"
    path = write_steps(tmp_path, "hungry", f"- {step}")

    run = run_pipeline(Orchestrator(store, tmp_path / "runs"), path)

    assert run.status is RunStatus.FAILED
    attempt = attempt_of(run, "hog")
    assert attempt["error"]["ename"] == "MemoryLimitExceeded"
    assert attempt["error"]["evalue"].startswith("memory limit exceeded: peak ")
    assert attempt["error"]["evalue"].endswith(" > 256 MB")
    peak = attempt["resources"]["peak_memory_bytes"]
    assert 256 * 10**6 < peak < 1.5 * GB, peak
    assert attempt["resources"]["cpu_seconds"] > 0


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["notebook", "function"])
def test_a_step_under_its_limit_records_its_peak_and_cpu(
    tmp_path: Path, store: Store, kind: str
) -> None:
    size = 200 * 10**6
    if kind == "notebook":
        write_notebook(tmp_path / "hog.ipynb", None, HOG.format(size=size).replace("3)", "0.5)"))
        step = "{name: hog, notebook: hog.ipynb}"
    else:
        (tmp_path / "hogs.py").write_text(FUNCTION_HOG.replace("3)", "0.5)"))
        step = f"{{name: hog, python: hogs.py:hog, parameters: {{size: {size}}}}}"
    path = write_steps(tmp_path, "fed", f"- {step}", head="limits: {max_memory: 1GB}")

    run = run_pipeline(Orchestrator(store, tmp_path / "runs"), path)

    assert run.status is RunStatus.SUCCEEDED, attempt_of(run, "hog")["error"]
    resources = attempt_of(run, "hog")["resources"]
    assert size < resources["peak_memory_bytes"] < 600 * 10**6, resources
    assert 0 < resources["cpu_seconds"] < 30, resources


@pytest.mark.slow
async def test_the_server_answers_while_a_step_is_killed_for_its_memory(
    jp_fetch: Any, jp_root_dir: Path, started: Any
) -> None:
    """RELIABILITY case 11: the step's tree is killed, never the server, which answers
    throughout."""
    write_notebook(jp_root_dir / "hog.ipynb", None, HOG.format(size=GB))
    pipeline = "name: hungry\nsteps: [{name: hog, notebook: hog.ipynb, max_memory: 256MB}]\n"
    code, _ = await call(jp_fetch, "POST", "pipelines", body={"yaml": pipeline, "path": "h.yaml"})
    assert code == 201
    code, queued = await call(jp_fetch, "POST", "pipelines", "hungry", "runs", body={})
    assert code == 202
    answers = []
    while True:
        started_at = time.monotonic()
        code, _ = await call(jp_fetch, "GET", "pipelines")
        answers.append((code, time.monotonic() - started_at))
        code, run = await call(jp_fetch, "GET", "runs", queued["id"])
        if run["status"] not in ("queued", "running"):
            break
        await asyncio.sleep(0.2)
    assert {code for code, _ in answers} == {200} and len(answers) > 3
    assert max(seconds for _, seconds in answers) < 5
    error = run["steps"][0]["attempts"][-1]["error"]
    assert run["status"] == "failed" and error["ename"] == "MemoryLimitExceeded"
