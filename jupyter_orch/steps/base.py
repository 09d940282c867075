"""The step kind interface: what every kind shares, and the hooks where kinds differ.

As papermill's ``Engine.execute_notebook`` wraps ``execute_managed_notebook``, the public
methods here do what every kind does (render the step's parameters, name the attempt's output
notebook, classify the executor's result, make the attempt's record) and call the abstract
hooks for what a kind does its own way (find its source and kernel, build the task).
Step kinds return tasks and records; only the run coordinator writes records.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from jupyter_orch.durations import format_duration
from jupyter_orch.errors import TemplateError
from jupyter_orch.executors.base import NotebookTask, TaskResult
from jupyter_orch.expressions import render_value
from jupyter_orch.inputs.files import NamedPaths
from jupyter_orch.masking import mask_json
from jupyter_orch.records import AttemptRecord, AttemptStatus, error_record
from jupyter_orch.spec import EffectivePolicy, StepSpec


@dataclass
class Outcome:
    """How one attempt ended, and whether another attempt could end otherwise."""

    status: AttemptStatus
    outputs: dict[str, Any]
    error: dict[str, Any] | None
    retryable: bool


class StepRefused(Exception):
    """A mistake in the pipeline or the step's source: retrying would fail the same way."""

    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(error.get("evalue"))
        self.error = error


@dataclass(frozen=True)
class AttemptContext:
    """What a step kind sees of the run one attempt belongs to."""

    run_id: str
    run_dir: Path
    artifacts_dir: Path
    run_parameters: dict[str, Any]
    #: The names ``parameters`` templates may use (``run``, ``params``, ``steps``).
    expressions: dict[str, Any]
    named_paths: NamedPaths
    #: Tasks with this key share one kernel (``kernel_reuse``); None: a fresh kernel.
    reuse_key: str | None
    hidden_env: frozenset[str]
    number: int


@dataclass(frozen=True)
class PreparedStep:
    """One attempt of a step, its parameters rendered and its source checked: what a kind
    needs to build the executor's task."""

    step: StepSpec
    policy: EffectivePolicy
    attempt: AttemptContext
    source: Path
    kernel: str
    parameters: dict[str, Any]
    output: Path


class StepKind(ABC):
    """Turns a step into the executor's task for one attempt, and its result into a record."""

    #: The kind's name in the registry.
    name: ClassVar[str]
    #: The ``ename`` of an attempt whose source cannot be used.
    invalid_source: ClassVar[str]

    async def task(
        self, step: StepSpec, policy: EffectivePolicy, attempt: AttemptContext
    ) -> NotebookTask:
        """The task for this attempt; ``StepRefused`` when the step cannot be run as it is."""
        output = self.output_notebook(attempt.run_dir, step.name, attempt.number)
        try:
            parameters = render_value(dict(step.parameters), attempt.expressions)
            source, kernel = await self.source(step, policy, attempt.named_paths)
        except (TemplateError, ValueError) as exc:
            kind = "TemplateError" if isinstance(exc, TemplateError) else self.invalid_source
            raise StepRefused(error_record(kind, str(exc))) from exc
        return self.build_task(
            PreparedStep(step, policy, attempt, source, kernel, parameters, output)
        )

    @staticmethod
    def output_notebook(run_dir: Path, step: str, number: int) -> Path:
        """Where an attempt leaves its notebook: ``<step>.ipynb``, then ``.attempt-N``."""
        suffix = "" if number == 1 else f".attempt-{number}"
        return run_dir / f"{step}{suffix}.ipynb"

    @staticmethod
    def outcome(result: TaskResult, timed_out: bool, policy: EffectivePolicy) -> Outcome:
        if timed_out:
            error = error_record(
                "TimeoutError", f"step exceeded its timeout of {format_duration(policy.timeout)}"
            )
            return Outcome(AttemptStatus.TIMED_OUT, result.outputs, error, policy.retry_on_timeout)
        if result.status == "succeeded":
            return Outcome(AttemptStatus.SUCCEEDED, result.outputs, None, retryable=False)
        return Outcome(AttemptStatus.FAILED, result.outputs, result.error, retryable=True)

    @staticmethod
    def record(
        attempt: AttemptRecord, outcome: Outcome, result: TaskResult | None, ended_at: datetime
    ) -> AttemptRecord:
        """The finished attempt's record, its error masked."""
        return AttemptRecord(
            number=attempt.number,
            status=outcome.status,
            started_at=attempt.started_at,
            ended_at=ended_at,
            outputs=outcome.outputs,
            error=mask_json(outcome.error),  # tracebacks may quote a URL with its password
            output_notebook=result.output_notebook if result else None,
        )

    @abstractmethod
    async def source(
        self, step: StepSpec, policy: EffectivePolicy, paths: NamedPaths
    ) -> tuple[Path, str]:
        """The file the step runs and the kernel that runs it; ``ValueError`` if unusable."""

    @abstractmethod
    def build_task(self, prepared: PreparedStep) -> NotebookTask:
        """The executor's task for one attempt."""
