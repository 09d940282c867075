"""What the run coordinator decides without I/O: which steps start and which never will
(``run_if``), what their templates see, the run's final status from its steps, how a step's
error reads in the log; and how a wait is bounded with the coordinator's own sleep."""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from .expressions import Scope, build_context
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


class Readiness:
    """Which steps can start, and which will never run (settling one may free others), as
    steps finish. Only the dependents of the steps said to have finished are looked at: a scan
    of every step after each one finished made a run of n steps cost n² checks.

    Marks them in ``state``: `running`, or the status they settle with.
    """

    def __init__(self, spec: PipelineSpec, order: list[str], state: dict[str, StepStatus]):
        self.spec = spec
        self.state = state
        self.position = {name: index for index, name in enumerate(order)}
        self.dependents: dict[str, list[str]] = {name: [] for name in order}
        for name in order:
            for need in spec.step(name).needs:
                self.dependents.get(need, []).append(name)
        self._candidates = list(range(len(order)))  # a heap of positions; at first, all
        self._order = order

    def finished(self, name: str) -> None:
        """``name`` ended (or will never run): its dependents may be ready now."""
        for dependent in self.dependents.get(name, ()):
            heapq.heappush(self._candidates, self.position[dependent])

    def next(self) -> tuple[list[str], list[tuple[str, StepStatus, str]]]:
        """Steps that can start, and steps that settle, in the pipeline's order."""
        launch: list[str] = []
        settled: list[tuple[str, StepStatus, str]] = []
        while self._candidates:
            name = self._order[heapq.heappop(self._candidates)]
            if self.state[name] is not StepStatus.PENDING:
                continue
            step = self.spec.step(name)
            needs = [self.state[n] for n in step.needs]
            if not all(s in FINISHED_STEP_STATUSES for s in needs):
                continue
            verdict = decide(step.run_if, needs)
            if verdict is None:
                launch.append(name)
                self.state[name] = StepStatus.RUNNING
            else:
                self.state[name] = verdict
                settled.append((name, verdict, f"run_if {step.run_if.value}"))
                self.finished(name)  # its dependents come later in the order: this pass
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
    items: dict[str, list[Any]] | None = None,
) -> dict[str, Any]:
    """What ``if:`` and ``parameters`` templates see: the run, its parameters, finished steps
    (a for-each step's ``items`` too)."""
    facts = {
        "id": run.id,
        "dir": str(artifacts_dir),
        "started_at": started_at.isoformat(),
        "scheduled_for": run.scheduled_for.isoformat() if run.scheduled_for else None,
        "event": run.event,
    }
    context = build_context(run.parameters, {}, facts)
    context["steps"] = Scope("steps", _FinishedSteps(dict(state), dict(outputs), dict(items or {})))
    return context


class _FinishedSteps(Mapping[str, Scope]):
    """``steps.<name>`` of the finished steps, each made when a template reads it: making
    every finished step's for every step started made a run's cost grow with its steps'
    square (the dicts are copies, so what a template sees is the state when it was made)."""

    def __init__(
        self,
        state: dict[str, StepStatus],
        outputs: dict[str, dict[str, Any]],
        items: dict[str, list[Any]],
    ):
        self._state = state
        self._outputs = outputs
        self._items = items

    def __getitem__(self, name: str) -> Scope:
        status = self._state.get(name)
        if status not in FINISHED_STEP_STATUSES:
            raise KeyError(name)
        outputs = Scope(f"steps.{name}.outputs", dict(self._outputs.get(name, {})))
        fields: dict[str, Any] = {"status": status.value, "outputs": outputs}
        if name in self._items:
            fields["items"] = list(self._items[name])
        return Scope(f"steps.{name}", fields)

    def __iter__(self) -> Iterator[str]:
        return (n for n, s in self._state.items() if s in FINISHED_STEP_STATUSES)

    def __len__(self) -> int:
        return sum(1 for _ in self)
