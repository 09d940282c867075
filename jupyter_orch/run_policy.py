"""What the run coordinator decides without I/O: which steps start and which never will
(``run_if``), what their templates see, the run's final status from its steps, how a step's
error reads in the log; and how a wait is bounded with the coordinator's own sleep."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from .expressions import build_context
from .records import (
    FAILED_STEP_STATUSES,
    FINISHED_STEP_STATUSES,
    SUCCESSFUL_STEP_STATUSES,
    RunRecord,
    RunStatus,
    StepStatus,
    cell_label,
    describe_exception,
)
from .spec import PipelineSpec, RunIf

_FAILED_OR_UPSTREAM = FAILED_STEP_STATUSES | {StepStatus.UPSTREAM_FAILED}


class StepFault(Exception):
    """A fault of ours while driving one step (not the notebook failing): the step fails with
    it and the run ends `failed`."""

    def __init__(self, step: str, cause: BaseException) -> None:
        super().__init__(f"step {step}: {describe_exception(cause)}")
        self.step = step
        self.cause = cause


def decide(run_if: RunIf, needs: list[StepStatus]) -> StepStatus | None:
    """The final status of a step that must not run, or None when it runs."""
    failed = any(s in _FAILED_OR_UPSTREAM for s in needs)
    if run_if is RunIf.ALL_DONE:
        return None
    if run_if is RunIf.ANY_FAILED:
        return None if failed else StepStatus.SKIPPED
    if failed:
        return StepStatus.UPSTREAM_FAILED
    if StepStatus.CANCELLED in needs:
        return StepStatus.CANCELLED
    if run_if is RunIf.ALL_SUCCEEDED and StepStatus.SKIPPED in needs:
        return StepStatus.SKIPPED
    return None


def describe_error(error: dict[str, Any] | None) -> str:
    if not error:
        return ""
    text = f"{error.get('ename')}: {error.get('evalue')}"
    cell = cell_label(error)
    return f"{text} (at {cell})" if cell else text


def ready_steps(
    spec: PipelineSpec, order: list[str], state: dict[str, StepStatus]
) -> tuple[list[str], list[tuple[str, StepStatus, str]]]:
    """Steps that can start, and steps that will never run (settling one may free others).

    Marks them in ``state``: `running`, or the status they settle with.
    """
    launch: list[str] = []
    settled: list[tuple[str, StepStatus, str]] = []
    changed = True
    while changed:
        changed = False
        for name in order:
            if state[name] is not StepStatus.PENDING:
                continue
            step = spec.step(name)
            needs = [state[n] for n in step.needs]
            if not all(s in FINISHED_STEP_STATUSES for s in needs):
                continue
            verdict = decide(step.run_if, needs)
            if verdict is None:
                launch.append(name)
                state[name] = StepStatus.RUNNING
            else:
                state[name] = verdict
                settled.append((name, verdict, f"run_if {step.run_if.value}"))
                changed = True
    return launch, settled


def run_verdict(
    order: list[str], state: dict[str, StepStatus], outcome: RunStatus | None, error: str | None
) -> tuple[RunStatus, str | None, str]:
    """The run's final status from its steps (unless already decided), its error, and its
    log line.

    `succeeded` only when every step succeeded or was skipped.
    """
    failed = [n for n in order if state[n] in FAILED_STEP_STATUSES]
    if outcome is None:
        unsettled = [n for n in order if state[n] not in SUCCESSFUL_STEP_STATUSES]
        if failed:
            outcome = RunStatus.FAILED
        elif unsettled:
            outcome = RunStatus.FAILED
            error = f"internal error: steps {', '.join(unsettled)} never finished"
        else:
            outcome = RunStatus.SUCCEEDED
    if outcome is RunStatus.FAILED and (error or not failed):
        line = f"Pipeline failed: {error}"
    elif outcome is RunStatus.FAILED:
        error = "; ".join(f"step {name} {state[name].value}" for name in failed[:10])
        more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
        line = f"Pipeline failed at step {failed[0]}{more}"
    elif outcome is RunStatus.SUCCEEDED:
        line = "Pipeline completed successfully"
    else:
        line = f"Pipeline {outcome.value}: {error}"
    return outcome, error, line


def template_context(
    run: RunRecord,
    artifacts_dir: Path,
    started_at: datetime,
    state: dict[str, StepStatus],
    outputs: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    """What ``if:`` and ``parameters`` templates see: the run, its parameters, finished steps."""
    finished = {
        n: (s.value, outputs.get(n, {})) for n, s in state.items() if s in FINISHED_STEP_STATUSES
    }
    facts = {
        "id": run.id,
        "dir": str(artifacts_dir),
        "started_at": started_at.isoformat(),
        "scheduled_for": run.scheduled_for.isoformat() if run.scheduled_for else None,
        "event": run.event,
    }
    return build_context(run.parameters, finished, facts)
