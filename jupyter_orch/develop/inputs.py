"""The inputs a step had in a run, for ``jupyter_orch.use_step`` in a notebook: its parameters as
the pipeline passed them, upstream outputs resolved from the run's records.

For a notebook step these are the pipeline parameters its parameters cell declares (read from
the notebook the run's version recorded), then the step's own ``parameters:`` rendered against
the run; for other kinds, the step's own parameters. Nothing here is secret: secrets and
connections reach steps through their environment, never as parameters.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

from jupyter_orch.errors import NotFoundError, TemplateError, UserError
from jupyter_orch.expressions import render_value
from jupyter_orch.masking import mask_json
from jupyter_orch.pipelines.inspection import inspect_parameters
from jupyter_orch.records import RunRecord, RunStatus, StepStatus
from jupyter_orch.run_folders import local_folder
from jupyter_orch.run_policy import template_context
from jupyter_orch.service import loaded_from_version, resolve_parameters, with_profile
from jupyter_orch.spec import StepSpec
from jupyter_orch.store.base import StoreProtocol
from jupyter_orch.store.types import PipelineVersion

from .scratch import upstream_of

#: The runs ``run=`` may name besides a run id.
RUN_WORDS = ("last", "last_succeeded")


def pick_run(store: StoreProtocol, pipeline: str, which: str) -> RunRecord:
    """``last`` (the newest run, not a test), ``last_succeeded``, or a run id of ``pipeline``."""
    if which in RUN_WORDS:
        status = RunStatus.SUCCEEDED.value if which == "last_succeeded" else None
        found = store.list_runs(pipeline=pipeline, status=status, limit=1)
        if not found:
            store.get_version(pipeline)  # NotFoundError when there is no such pipeline
            what = "succeeded" if status else "run"
            raise NotFoundError(
                f"run: pipeline {pipeline!r} has not {what} yet: run it once (jupyter orch run, "
                "or the Run button), then develop its steps on that run's inputs"
            )
        return found[0]
    run = store.get_run(which)
    if run.pipeline != pipeline:
        raise UserError(f"run: run {which} is a run of {run.pipeline!r}, not of {pipeline!r}")
    return run


def _declared(store: StoreProtocol, version: PipelineVersion, step: StepSpec) -> set[str] | None:
    """The names the step's notebook declares in its parameters cell, as its version recorded
    it; None when that cannot be read (then every pipeline parameter is given)."""
    if not step.notebook:
        return None
    for recorded in version.files:
        if recorded.path == step.notebook:
            try:
                notebook = json.loads(store.read_blob(recorded.digest))
                return set(inspect_parameters(notebook).names)
            except (NotFoundError, ValueError, TypeError, AttributeError):
                return None
    return None


def step_inputs(
    store: StoreProtocol,
    pipeline: str,
    step: str,
    *,
    run: str = "last",
    params: Mapping[str, Any] | None = None,
    profile: str | None = None,
) -> dict[str, Any]:
    """The step's parameters as ``run`` passed them; JSON, masked. ``params`` (and ``profile``
    under them) go over the run's parameters before the step's templates are rendered, and
    ``params`` over the result."""
    record = pick_run(store, pipeline, run)
    version = store.get_version(pipeline, record.version)
    loaded = loaded_from_version(version)
    upstream = upstream_of(loaded, step)
    spec = loaded.spec.step(step)
    given = with_profile(loaded.spec, profile, params or {})
    pipeline_params = {k: v for k, v in given.items() if k in loaded.spec.parameters}
    run_parameters = resolve_parameters(loaded.spec, {**record.parameters, **pipeline_params})
    steps = {s.name: s for s in record.steps}
    state = {n: s.status for n, s in steps.items() if n in upstream}
    outputs = {n: s.outputs for n, s in steps.items() if s.status is StepStatus.SUCCEEDED}
    missing = sorted(n for n in upstream if state.get(n) is not StepStatus.SUCCEEDED)
    context = template_context(
        dataclasses.replace(record, parameters=run_parameters),
        local_folder(record.run_dir) / "artifacts",
        record.started_at or record.created_at,
        state,
        outputs,
    )
    try:
        rendered = render_value(dict(spec.parameters), context)
    except TemplateError as exc:
        hint = (
            f" ({', '.join(missing)} did not succeed in run #{record.number}: use "
            "run='last_succeeded' or another run)"
            if missing
            else ""
        )
        raise UserError(f"step {step!r}: {exc}{hint}") from None
    parameters: dict[str, Any] = {}
    if spec.kind == "notebook":
        declared = _declared(store, version, spec)
        parameters = {k: v for k, v in run_parameters.items() if declared is None or k in declared}
    parameters.update(rendered)
    parameters.update(params or {})  # what the caller gives wins over what was rendered
    return mask_json(
        {
            "pipeline": pipeline,
            "step": step,
            "kind": spec.kind,
            "run": {
                "id": record.id,
                "number": record.number,
                "status": record.status.value,
                "version": record.version,
            },
            "parameters": parameters,
            "upstream_missing": missing,
            "secrets": list(loaded.spec.secrets),
            "connections": list(loaded.spec.connections),
        }
    )
