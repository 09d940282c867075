"""One step of a pipeline, run on given inputs for a test suite: what the ``orch_step`` pytest
fixture (``jupyter_orch.pytest_plugin``) calls. It is a real test run (``develop.scratch``),
executed by the local executor with real kernels and papermill, recorded in a store of its own
(SQLite in the given folder), so a step is tested exactly as a pipeline runs it."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jupyter_orch.errors import UserError
from jupyter_orch.pipelines.loader import LoadedPipeline, load_pipeline
from jupyter_orch.records import RunRecord, StepStatus
from jupyter_orch.service import Orchestrator

from .scratch import create_test_run, upstream_of


@dataclass(frozen=True)
class StepResult:
    """How the step ended: its status, the outputs it recorded, its output notebook."""

    status: str
    outputs: dict[str, Any]
    #: The executed output notebook (an ``nbformat`` node; None when none was written).
    notebook: Any
    notebook_path: Path | None
    #: ``{"ename", "evalue", "traceback", ...}`` when it failed.
    error: dict[str, Any] | None
    run: RunRecord

    @property
    def succeeded(self) -> bool:
        return self.status == StepStatus.SUCCEEDED.value


def run_step(
    pipeline: str | Path,
    step: str,
    *,
    folder: Path,
    inputs: Mapping[str, Mapping[str, Any]] | None = None,
    params: Mapping[str, Any] | None = None,
    profile: str | None = None,
    retries: int | None = 0,
) -> StepResult:
    """Run ``step`` of the pipeline file ``pipeline`` with ``inputs``, the outputs of each
    upstream step by name (required when it has upstream steps), and ``params`` over the
    pipeline's parameters (after ``profile``); its store and runs go in ``folder``.
    ``retries``: 0 by default, a test wants the first failure (None: the pipeline's own)."""
    from jupyter_orch.executors.local import LocalExecutor
    from jupyter_orch.store.repository import Store

    loaded = load_pipeline(pipeline)
    upstream = upstream_of(loaded, step)
    if upstream and inputs is None:
        raise UserError(
            f"step {step!r} needs {', '.join(sorted(upstream))}: give their outputs as "
            "inputs={name: {output: value}}"
        )
    folder.mkdir(parents=True, exist_ok=True)
    store = Store.open(f"sqlite:///{folder / 'orch.sqlite'}")
    try:
        orch = Orchestrator(store, folder / "runs")
        version = orch.register(loaded, replace=True)
        run = create_test_run(
            orch,
            loaded,
            version.version,
            step=step,
            parameters=params,
            profile=profile,
            inputs=inputs if inputs is not None else {},
        )

        async def execute() -> RunRecord:
            executor = LocalExecutor(max_workers=1)
            try:
                return await orch.execute(loaded, run, executor)
            finally:
                await executor.close()

        if retries is not None:
            loaded = _with_retries(loaded, step, retries)
        done = asyncio.run(execute())
    finally:
        store.close()
    return _result(done, step)


def _with_retries(loaded: LoadedPipeline, step: str, retries: int) -> LoadedPipeline:
    steps = tuple(
        s.model_copy(update={"retries": retries}) if s.name == step else s
        for s in loaded.spec.steps
    )
    return dataclasses.replace(loaded, spec=loaded.spec.model_copy(update={"steps": steps}))


def _result(run: RunRecord, step: str) -> StepResult:
    import nbformat

    [record] = [s for s in run.steps if s.name == step]
    last = record.last_attempt
    path = Path(last.output_notebook) if last and last.output_notebook else None
    notebook = nbformat.read(path, as_version=4) if path is not None and path.is_file() else None
    return StepResult(
        status=record.status.value,
        outputs=record.outputs,
        notebook=notebook,
        notebook_path=path,
        error=last.error if last else None,
        run=run,
    )
