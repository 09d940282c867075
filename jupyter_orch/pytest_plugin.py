"""The ``orch_step`` pytest fixture, for teams' own test suites (next to nbval): it runs one
step of a pipeline on given inputs, as a pipeline runs it, and returns its outputs and output
notebook::

    def test_trends(orch_step):
        loaded = orch_step("daily_report/pipeline.yaml", "load_sales")
        trends = orch_step(
            "daily_report/pipeline.yaml", "trends", inputs={"load_sales": loaded.outputs}
        )
        assert trends.succeeded, trends.error
        assert trends.outputs["trend"] in {"up", "down", "flat"}

Installed with jupyter-orch as a pytest plugin (entry point ``pytest11``); it imports nothing
heavy until the fixture is used.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from jupyter_orch.develop.fixture import StepResult


@pytest.fixture
def orch_step(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., StepResult]:
    """``orch_step(pipeline_file, step, inputs=None, params=None, profile=None, retries=0)``:
    a ``StepResult`` with ``status``, ``succeeded``, ``outputs``, ``notebook`` (nbformat),
    ``notebook_path``, ``error`` and the test ``run``; each call records a run of its own.
    ``retries`` is 0 unless given (None: the pipeline's), so a failure shows at once."""
    from jupyter_orch.develop.fixture import run_step

    def run(
        pipeline: str | Path,
        step: str,
        inputs: Mapping[str, Mapping[str, Any]] | None = None,
        params: Mapping[str, Any] | None = None,
        profile: str | None = None,
        retries: int | None = 0,
    ) -> StepResult:
        folder = tmp_path_factory.mktemp("orch_step")
        return run_step(
            pipeline,
            step,
            folder=folder,
            inputs=inputs,
            params=params,
            profile=profile,
            retries=retries,
        )

    return run
