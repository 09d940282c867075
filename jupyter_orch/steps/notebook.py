"""Notebook steps: a notebook executed by papermill on a (warm) kernel."""

from __future__ import annotations

import asyncio
from pathlib import Path

from jupyter_orch.executors.base import NotebookTask
from jupyter_orch.expressions import render_value
from jupyter_orch.pipelines.notebooks import check_notebook
from jupyter_orch.spec import StepSpec

from .base import AttemptContext, PreparedStep, StepKind, working_folder


class NotebookStep(StepKind):
    """``notebook: path.ipynb``: papermill injects the parameters and runs every cell."""

    name = "notebook"
    invalid_source = "InvalidNotebook"

    async def build_task(self, prepared: PreparedStep) -> NotebookTask:
        step, policy, attempt, output = (
            prepared.step,
            prepared.policy,
            prepared.attempt,
            prepared.output,
        )
        assert step.notebook is not None
        # Checked again as the step starts: inside the root still (a symlink changed since
        # registration fails here, its target never read), a regular file, a valid notebook.
        # The run's recorded copy runs, in the notebook's own folder
        named, source = await asyncio.to_thread(prepared.source, step.notebook, "notebook")
        kernel = await asyncio.to_thread(
            check_notebook, source, policy.kernel, shown=attempt.named_paths.shown(named)
        )
        return NotebookTask(
            key=f"{attempt.run_id}/{step.name}/{output.name}",
            notebook=str(source),
            output_notebook=str(output),
            cwd=str(working_folder(named, attempt.named_paths.base)),
            kernel_name=kernel,
            pipeline_parameters=dict(attempt.run_parameters),
            step_parameters=prepared.parameters,
            env=prepared.environment(),
            reuse_key=attempt.reuse_key,
            hidden_env=attempt.hidden_env,
            masked=attempt.access.masked,
            report_mode=policy.report_mode,
            start_timeout=policy.start_timeout,
            max_memory=policy.max_memory,
        )

    def lineage_folder(self, step: StepSpec, attempt: AttemptContext) -> Path:
        assert step.notebook is not None
        named = attempt.named_paths.resolve(render_value(step.notebook, attempt.expressions))
        return working_folder(named, attempt.named_paths.base)
