"""A step's kernel, warm or not, never sees the server's own variables nor hidden ones."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest

from jupyter_orch.executors.base import NotebookTask, TaskResult, step_environment
from jupyter_orch.executors.local import LocalExecutor

from .helpers import task

pytestmark = pytest.mark.slow

#: Records the step's variable names, and those a process it starts inherits.
PROBE = """
import os, subprocess, sys, jupyter_orch
jupyter_orch.record('kernel', sorted(os.environ))
child = subprocess.run(
    [sys.executable, '-c', 'import os; print(" ".join(os.environ))'],
    capture_output=True, text=True, check=True,
)
jupyter_orch.record('child', sorted(child.stdout.split()))
"""


def test_server_variables_and_hidden_ones_never_reach_a_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JUPYTER_ORCH_DB_URL", "postgresql://u:secret@db/orch")
    monkeypatch.setenv("MY_HOOK_SECRET", "hook-secret")
    monkeypatch.setenv("INNOCENT_VARIABLE", "fine")

    def probe(name: str, reuse_key: str | None = None) -> NotebookTask:
        return replace(
            task(tmp_path, name, PROBE),
            env={"JUPYTER_ORCH_RUN_ID": "run-1", "JUPYTER_ORCH_STEP": name},
            hidden_env=frozenset({"MY_HOOK_SECRET"}),
            reuse_key=reuse_key,
        )

    async def scenario() -> list[TaskResult]:
        executor = LocalExecutor(max_workers=1)
        try:
            await executor.prestart(1)  # kernels warm before any task is known
            results = []
            for step in [probe("warm"), probe("shared", "run-1"), probe("again", "run-1")]:
                execution = await executor.submit(step, lambda s, t: None)
                results.append(await asyncio.wait_for(execution.wait(), 120))
            await executor.release("run-1")
            return results
        finally:
            await executor.close()

    for result in asyncio.run(scenario()):
        assert result.status == "succeeded", result.error
        for seen in (result.outputs["kernel"], result.outputs["child"]):
            assert "JUPYTER_ORCH_DB_URL" not in seen
            assert "MY_HOOK_SECRET" not in seen
            assert {"JUPYTER_ORCH_RUN_ID", "JUPYTER_ORCH_STEP"} <= set(seen)
            assert {"INNOCENT_VARIABLE", "PATH", "HOME"} <= set(seen)


def test_step_environment_drops_only_our_own_variables() -> None:
    environ = {"JUPYTER_ORCH_DB_URL": "x", "JUPYTER_ORCHESTRA": "y", "PATH": "/bin", "A": "b"}
    assert step_environment(environ) == {"JUPYTER_ORCHESTRA": "y", "PATH": "/bin", "A": "b"}


def test_no_step_sees_the_secrets_of_any_registered_pipeline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run coordinator hides every registered pipeline's webhook secret variable and listed
    secrets from its steps, not only its own pipeline's."""
    from jupyter_orch.pipelines.loader import load_pipeline
    from jupyter_orch.service import Orchestrator
    from jupyter_orch.store.repository import Store

    from .conftest import run_pipeline, write_notebook, write_pipeline

    monkeypatch.setenv("OTHER_HOOK_SECRET", "hook-secret")
    monkeypatch.setenv("OTHER_LISTED_SECRET", "listed-secret")
    monkeypatch.setenv("INNOCENT_VARIABLE", "fine")
    write_notebook(tmp_path / "probe.ipynb", None, PROBE)
    hooked = write_pipeline(
        tmp_path,
        "name: hooked\non: {webhook: {secret_env: OTHER_HOOK_SECRET}}\n"
        "secrets: [OTHER_LISTED_SECRET]\n"
        "steps: [{name: a, notebook: probe.ipynb}]\n",
        "hooked.yaml",
    )
    plain = write_pipeline(tmp_path, "name: plain\nsteps: [{name: a, notebook: probe.ipynb}]\n")
    store = Store.open(f"sqlite:///{tmp_path / 'orch.sqlite'}")
    try:
        orch = Orchestrator(store, tmp_path / "runs")
        orch.apply(load_pipeline(hooked))
        run = run_pipeline(orch, plain, workers=1)
    finally:
        store.close()
    outputs = run.steps[0].attempts[-1].outputs
    assert run.status.value == "succeeded"
    for seen in (outputs["kernel"], outputs["child"]):
        assert "OTHER_HOOK_SECRET" not in seen and "OTHER_LISTED_SECRET" not in seen
        assert not any(name.startswith("JUPYTER_ORCH_SECRET_") for name in seen)
        assert "INNOCENT_VARIABLE" in seen and "JUPYTER_ORCH_RUN_ID" in seen
