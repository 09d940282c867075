"""Test runs: a pipeline, or one step with its upstream steps' outputs, run into a scratch folder
(``_test`` under the runs folder) and recorded with the trigger ``test``.

A test run is hidden from the default run listings (``jupyter orch runs --trigger test`` shows
them), sends no notifications, fires no ``on: pipeline_succeeded`` event and counts for no
statistics, health or retention rule; it does take a concurrency slot like any run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jupyter_orch import dag
from jupyter_orch.activity import note
from jupyter_orch.errors import NotFoundError, UserError
from jupyter_orch.pipelines.loader import LoadedPipeline
from jupyter_orch.records import AttemptRecord, AttemptStatus, RunRecord, StepStatus, Trigger
from jupyter_orch.service import Orchestrator, resolve_parameters, with_profile
from jupyter_orch.store.base import RunQueries
from jupyter_orch.store.types import utcnow

#: The folder of the runs folder test runs write into.
SCRATCH = "_test"
#: How many recent runs are searched for one whose upstream steps all succeeded.
SEARCHED_RUNS = 50
#: What a test step's upstream steps record as where their outputs came from, when the caller
#: gave them (the ``orch_step`` fixture's ``inputs``).
GIVEN = "given"


def step_names(loaded: LoadedPipeline) -> str:
    return ", ".join(s.name for s in loaded.spec.steps)


def upstream_of(loaded: LoadedPipeline, step: str) -> set[str]:
    """The steps ``step`` depends on; ``NotFoundError`` naming the steps when there is none."""
    needs = loaded.spec.needs
    if step not in needs:
        raise NotFoundError(
            f"step: pipeline {loaded.spec.name!r} has no step {step!r} (steps: "
            f"{step_names(loaded)})"
        )
    return dag.ancestors(needs, step)


def last_run_with(store: RunQueries, pipeline: str, steps: set[str]) -> RunRecord:
    """The newest run (not a test) in which every one of ``steps`` succeeded."""
    for run in store.list_runs(pipeline=pipeline, limit=SEARCHED_RUNS):
        by_name = {s.name: s for s in run.steps}
        parents = {s.parent for s in run.steps}  # for-each steps: their items hold the outputs
        if all(
            name in by_name
            and by_name[name].status is StepStatus.SUCCEEDED
            and (by_name[name].last_attempt is not None or name in parents)
            for name in steps
        ):
            return run
    raise UserError(
        f"no run of {pipeline!r} has outputs of {', '.join(sorted(steps))} to test with: run the "
        "pipeline once (jupyter orch run FILE), or test it whole (jupyter orch test FILE)"
    )


def create_test_run(
    orch: Orchestrator,
    loaded: LoadedPipeline,
    version: int,
    *,
    step: str | None = None,
    parameters: Mapping[str, Any] | None = None,
    profile: str | None = None,
    inputs: Mapping[str, Mapping[str, Any]] | None = None,
) -> RunRecord:
    """Queue a test run of ``version``: every step, or ``step`` with its upstream steps' outputs
    taken from ``inputs`` (by step name) or, without them, from the last run in which they all
    succeeded. The run records only the steps it runs or reuses."""
    spec = loaded.spec
    values = resolve_parameters(spec, with_profile(spec, profile, parameters or {}))
    keep = {s.name for s in spec.steps}
    reused: list[tuple[str, str, AttemptRecord]] = []
    items: list[tuple[str, int, Any]] = []  # a for-each step's items among them
    if step is not None:
        upstream = upstream_of(loaded, step)
        keep = upstream | {step}
        if inputs is not None:
            unknown = sorted(set(inputs) - upstream)
            if unknown:
                raise UserError(
                    f"inputs: {', '.join(unknown)} not upstream of step {step!r} (upstream: "
                    f"{', '.join(sorted(upstream)) or 'none'})"
                )
            missing = sorted(upstream - set(inputs))
            if missing:
                raise UserError(f"inputs: give the outputs of {', '.join(missing)} too")
            now = utcnow()
            for name in sorted(upstream):
                given = AttemptRecord(1, AttemptStatus.SUCCEEDED, now, now, dict(inputs[name]))
                reused.append((name, GIVEN, given))
        elif upstream:
            from ..run_items import reusable

            source = last_run_with(orch.store, spec.name, upstream)
            reused, items = reusable(source, upstream)
    run = orch.store.create_run(
        pipeline=spec.name,
        version=version,
        trigger=Trigger.TEST,
        parameters=values,
        steps=[(s.name, s.needs) for s in spec.steps if s.name in keep],
        runs_dir=str(orch.runs_dir / SCRATCH),
        reused=reused,
        items=items,
    )
    note(orch.store, "test", pipeline=spec.name, run_id=run.id, step=step)
    return run
