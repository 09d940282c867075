"""The step kind interface: what every kind shares, and the hooks where kinds differ.

As papermill's ``Engine.execute_notebook`` wraps ``execute_managed_notebook``, the public
methods here do what every kind does (render the step's parameters, name the attempt's output
notebook, classify the executor's result, make the attempt's record, say what it did in the run
log) and call the abstract hook for what a kind does its own way (check its source and build the
executor's task). Step kinds return tasks and records; only the run coordinator writes records.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from jupyter_orch.datasets.names import declared_dataset, file_dataset
from jupyter_orch.durations import format_duration
from jupyter_orch.errors import TemplateError
from jupyter_orch.executors.base import Task, TaskResult
from jupyter_orch.expressions import render_value
from jupyter_orch.inputs.files import NamedPaths
from jupyter_orch.masking import mask_json, masked_logger
from jupyter_orch.outputs import MAX_DATASETS
from jupyter_orch.records import AttemptRecord, AttemptStatus, error_record
from jupyter_orch.run_folders import RemoteFolder
from jupyter_orch.spec import EffectivePolicy, StepSpec
from jupyter_orch.versions.materialise import RunSources

from .access import StepAccess

log = masked_logger("jupyter_orch.steps")


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
    #: The run's connections and secrets, and the values to mask.
    access: StepAccess = field(default_factory=StepAccess)
    #: The files the run's version recorded, to read instead of the files on disk.
    sources: RunSources = field(default_factory=RunSources)
    #: The run's folder at a remote ``runs_dir`` (``run_dir`` stages it); None: a local one.
    remote: RemoteFolder | None = None


@dataclass(frozen=True)
class PreparedStep:
    """One attempt of a step, its parameters rendered: what a kind needs to build the
    executor's task."""

    step: StepSpec
    policy: EffectivePolicy
    attempt: AttemptContext
    parameters: dict[str, Any]
    output: Path

    def render(self, text: str) -> str:
        """A template of the step (a path, a connection URL) rendered for this attempt."""
        return str(render_value(text, self.attempt.expressions))

    def resolve(self, named: str, what: str) -> Path:
        """A path the step names, inside the pipeline's root; ``PathError`` otherwise."""
        return self.attempt.named_paths.resolve(self.render(named), what)

    def source(self, named: str, what: str) -> tuple[Path, Path]:
        """A file the step runs: the path it names (inside the root, ``PathError`` otherwise)
        and the file to read, the run's recorded copy when its version has one."""
        path, recorded = self.attempt.sources.source(
            self.attempt.named_paths, self.render(named), what
        )
        return path, recorded or path

    def environment(self, **own: str) -> dict[str, str]:
        """The task's variables: the run's, the step's connections and secrets, ``own``."""
        attempt = self.attempt
        return {
            "JUPYTER_ORCH_RUN_ID": attempt.run_id,
            "JUPYTER_ORCH_RUN_DIR": str(attempt.artifacts_dir),
            "JUPYTER_ORCH_STEP": self.step.name,
            **attempt.access.environment(),
            **own,
        }


def working_folder(named: Path, fallback: Path) -> Path:
    """Where a step whose file is ``named`` runs: that file's folder, so relative paths to data
    work, even when a recorded copy runs; ``fallback`` once that folder is gone."""
    return named.parent if named.parent.is_dir() else fallback


class StepKind(ABC):
    """Turns a step into the executor's task for one attempt, and its result into a record."""

    #: The kind's name in the registry.
    name: ClassVar[str]
    #: The ``ename`` of an attempt whose source cannot be used.
    invalid_source: ClassVar[str]

    async def task(self, step: StepSpec, policy: EffectivePolicy, attempt: AttemptContext) -> Task:
        """The task for this attempt; ``StepRefused`` when the step cannot be run as it is."""
        output = self.output_notebook(attempt.run_dir, step.name, attempt.number)
        try:
            parameters = render_value(dict(step.parameters), attempt.expressions)
            task = await self.build_task(PreparedStep(step, policy, attempt, parameters, output))
            return dataclasses.replace(task, remote=attempt.remote) if attempt.remote else task
        except (TemplateError, ValueError) as exc:
            kind = "TemplateError" if isinstance(exc, TemplateError) else self.invalid_source
            raise StepRefused(
                mask_json(error_record(kind, str(exc)), attempt.access.masked)
            ) from exc

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

    def lineage(
        self, step: StepSpec, result: TaskResult | None, attempt: AttemptContext
    ) -> dict[str, list[str]] | None:
        """The datasets an attempt read and wrote, named stably (``lineage/names.py``): what it
        declared with ``jupyter_orch.lineage``, then what its kind knows (a query's tables, an
        export's source and target). Never raises: lineage never fails a step."""
        found: dict[str, dict[str, None]] = {"inputs": {}, "outputs": {}}
        declared = (result.lineage if result is not None else None) or {}
        try:
            folder = self.lineage_folder(step, attempt)
            for side, names in found.items():
                for name in declared.get(side) or []:
                    if isinstance(name, str):
                        names[declared_dataset(name, folder, attempt.named_paths.root)] = None
            for side, name in self.known_datasets(step, declared, attempt):
                found[side][name] = None
        except Exception as exc:
            log.warning("step %s: its lineage could not be read: %s", step.name, exc)
        # A run's own folder is new each run: what is in it is no dataset (an upstream step's
        # Parquet file an export loads is the step's, and the DAG already says so)
        own = file_dataset(attempt.run_dir, attempt.named_paths.root) + "/"
        kept = {side: [n for n in names if not n.startswith(own)] for side, names in found.items()}
        if not kept["inputs"] and not kept["outputs"]:
            return None
        return {side: names[:MAX_DATASETS] for side, names in kept.items()}

    def lineage_folder(self, step: StepSpec, attempt: AttemptContext) -> Path:
        """Where the files a step declares are relative to: its working folder."""
        return attempt.named_paths.base

    def known_datasets(
        self, step: StepSpec, declared: dict[str, Any], attempt: AttemptContext
    ) -> Iterator[tuple[str, str]]:
        """``("inputs" | "outputs", dataset)`` the kind knows of its own."""
        return iter(())

    @staticmethod
    def record(
        attempt: AttemptRecord,
        outcome: Outcome,
        result: TaskResult | None,
        ended_at: datetime,
        masked: tuple[str, ...] = (),
        artifacts: list[dict[str, Any]] | None = None,
        lineage: dict[str, list[str]] | None = None,
    ) -> AttemptRecord:
        """The finished attempt's record, its error, outputs and datasets masked;
        ``artifacts``: the files it wrote."""
        return AttemptRecord(
            number=attempt.number,
            status=outcome.status,
            started_at=attempt.started_at,
            ended_at=ended_at,
            outputs=mask_json(outcome.outputs, masked),
            error=mask_json(outcome.error, masked),  # a traceback may quote a URL's password
            output_notebook=result.output_notebook if result else None,
            resources=result.resources if result else None,
            artifacts=artifacts or [],
            lineage=mask_json(lineage, masked),
        )

    def summary(self, outputs: dict[str, Any], upstream: list[dict[str, Any]]) -> str:
        """What the run log adds to "Step 1: name succeeded": ``" (127 records)"``..."""
        count = outputs.get("records_count")
        if not isinstance(count, int) or isinstance(count, bool):
            return ""
        before = [o["records_count"] for o in upstream if isinstance(o.get("records_count"), int)]
        if before:
            return f" ({sum(before)} -> {count} records)"
        return f" ({count} records)"

    @abstractmethod
    async def build_task(self, prepared: PreparedStep) -> Task:
        """The executor's task for one attempt; ``ValueError`` when the step's source cannot
        be used (a missing file, one outside the root, an undefined connection)."""
