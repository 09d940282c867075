"""Notebook steps: a notebook executed by papermill on a (warm) kernel."""

from __future__ import annotations

import asyncio
from pathlib import Path

from jupyter_orch.executors.base import NotebookTask
from jupyter_orch.inputs.files import NamedPaths
from jupyter_orch.pipelines.notebooks import check_named_notebook
from jupyter_orch.spec import EffectivePolicy, StepSpec

from .base import PreparedStep, StepKind


class NotebookStep(StepKind):
    """``notebook: path.ipynb``: papermill injects the parameters and runs every cell."""

    name = "notebook"
    invalid_source = "InvalidNotebook"

    async def source(
        self, step: StepSpec, policy: EffectivePolicy, paths: NamedPaths
    ) -> tuple[Path, str]:
        # Checked again as the step starts: inside the root still (a symlink changed since
        # registration fails here, its target never read), a regular file, a valid notebook
        return await asyncio.to_thread(check_named_notebook, paths, step.notebook, policy.kernel)

    def build_task(self, prepared: PreparedStep) -> NotebookTask:
        step, policy, attempt = prepared.step, prepared.policy, prepared.attempt
        source, output = prepared.source, prepared.output
        return NotebookTask(
            key=f"{attempt.run_id}/{step.name}/{output.name}",
            notebook=str(source),
            output_notebook=str(output),
            cwd=str(source.parent),
            kernel_name=prepared.kernel,
            pipeline_parameters=dict(attempt.run_parameters),
            step_parameters=prepared.parameters,
            env={
                "JUPYTER_ORCH_RUN_ID": attempt.run_id,
                "JUPYTER_ORCH_RUN_DIR": str(attempt.artifacts_dir),
                "JUPYTER_ORCH_STEP": step.name,
            },
            reuse_key=attempt.reuse_key,
            hidden_env=attempt.hidden_env,
            report_mode=policy.report_mode,
            start_timeout=policy.start_timeout,
        )
