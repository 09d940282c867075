"""The executor interface: the runner hands it a task and awaits a result.

Executors know nothing of runs or the store; they return results and the runner records
them (only the run coordinator writes records).
"""

from __future__ import annotations

import os
import sys
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from ..run_folders import RemoteFolder

#: Bytes of stdout/stderr one attempt may send to the run log before it is cut.
LOG_CAP_BYTES = 1024 * 1024
#: Bytes one output may keep in an output notebook (a cell's stdout, or its stderr; a display;
#: a result): past it, output is dropped as it arrives and a marker says how much
#: (``c.OrchApp.output_cap``).
OUTPUT_CAP_BYTES = 1_000_000
#: Bytes all the outputs of one output notebook may keep (``c.OrchApp.notebook_output_cap``).
NOTEBOOK_CAP_BYTES = 50_000_000


@dataclass(frozen=True)
class OutputCaps:
    """What an executor lets one output, and one output notebook, keep."""

    output_bytes: int = OUTPUT_CAP_BYTES
    notebook_bytes: int = NOTEBOOK_CAP_BYTES


#: Variables of ours: no kernel or process of a step sees them but those its task sets.
ENV_PREFIX = "JUPYTER_ORCH_"


def step_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` without our own variables (the store's URL...), for a step's processes."""
    return {k: v for k, v in environ.items() if not k.startswith(ENV_PREFIX)}


def skip_slow_optional_imports() -> None:
    """Keep jsonschema from compiling rfc3987_syntax's grammars (about a second per process).

    jsonschema imports it only to check the "iri" formats, which notebook validation never
    uses; a ``None`` entry in ``sys.modules`` makes that optional import fail fast.
    """
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


LogSink = Callable[[str, str], None]
"""Called with (stream, text) for output a step prints; stream is stdout or stderr."""


@dataclass(frozen=True, kw_only=True)
class Task:
    """What every task says: its key, where its output notebook goes, its folder and
    environment, and the caps on what it prints."""

    key: str
    output_notebook: str
    cwd: str
    log_cap_bytes: int = LOG_CAP_BYTES
    output_cap_bytes: int = OUTPUT_CAP_BYTES
    notebook_cap_bytes: int = NOTEBOOK_CAP_BYTES
    env: dict[str, str] = field(default_factory=dict)
    #: Tasks with the same key share one kernel (``kernel_reuse``); None: a fresh kernel.
    reuse_key: str | None = None
    #: Environment variables the step must not see (secrets of the server: webhook secret
    #: variables...); removed from its kernel before its code runs. ``JUPYTER_ORCH_*`` ones
    #: are removed too, but for those in ``env``.
    hidden_env: frozenset[str] = frozenset()
    #: Values replaced by ``***`` in everything the task leaves: its log lines, its output
    #: notebook's outputs, its result (secrets and connection passwords the step was given).
    masked: tuple[str, ...] = ()
    #: Bytes of resident memory the task's process tree may use (``max_memory``); None: no limit.
    max_memory: int | None = None
    #: The run's folder at a remote ``runs_dir``: a worker on another machine pulls it before
    #: the attempt and pushes what the attempt wrote after it. None: a local folder.
    remote: RemoteFolder | None = None


@dataclass(frozen=True, kw_only=True)
class NotebookTask(Task):
    """Everything a worker needs to execute one attempt of one notebook step."""

    notebook: str
    kernel_name: str
    pipeline_parameters: dict[str, Any] = field(default_factory=dict)
    step_parameters: dict[str, Any] = field(default_factory=dict)
    #: Input cells hidden in the output notebook (papermill's report mode).
    report_mode: bool = False
    #: Seconds the step's kernel may take to start (a warm one is ready already).
    start_timeout: float = 60.0


@dataclass(frozen=True, kw_only=True)
class CallTask(Task):
    """One attempt of a query, function or export step: run in a process of its own
    (``python -m jupyter_orch.calls.child``), which writes its output notebook without a
    kernel."""

    #: ``query``, ``function`` or ``export``.
    kind: str
    #: What the kind needs, as JSON (see ``jupyter_orch.calls``).
    spec: dict[str, Any] = field(default_factory=dict)
    #: The step's timeout in seconds, if any: a query's server-side limit follows it.
    timeout: float | None = None


@dataclass(frozen=True)
class TaskResult:
    """What an attempt produced; ``status`` is the executor's view (it knows no timeouts)."""

    status: Literal["succeeded", "failed"]
    outputs: dict[str, Any] = field(default_factory=dict)
    error: dict[str, Any] | None = None
    output_notebook: str | None = None
    #: ``{"peak_memory_bytes", "cpu_seconds"}`` of the task's processes, when measured.
    resources: dict[str, Any] | None = None
    #: The datasets the step declared (``jupyter_orch.lineage``) and, for a query, the tables
    #: its SQL reads and writes: ``{"inputs", "outputs", "sql": {"inputs", "outputs"}}``.
    lineage: dict[str, Any] | None = None


class Execution(ABC):
    """One task in flight."""

    @abstractmethod
    async def wait(self) -> TaskResult:
        """The result, once the task has ended."""

    @abstractmethod
    async def stop(self, reason: str) -> TaskResult:
        """End the task now (interrupt, then kill its kernel and every process it started).

        Returns what the task produced up to then (the partial output notebook is kept).
        """

    def processes(self) -> dict[str, int]:
        """The processes to kill if the coordinator dies with the task in flight.

        Names map to ids on this host (for the local executor ``worker``, a pid, and
        ``kernel_group``, a process group id); only what is known so far, possibly nothing.
        """
        return {}

    async def started(self) -> dict[str, int]:
        """``processes()`` once they are all known, or once the task has ended."""
        return self.processes()


class Executor(ABC):
    """Runs tasks; ``submit`` returns at once with an ``Execution`` to await or stop.

    ``c.OrchApp.executor_class`` names a subclass; the server and the CLI make it with
    ``max_workers`` (None: one per CPU) and ``idle_ttl`` (seconds a warm kernel may idle).
    """

    #: Tasks that run at once.
    max_workers: int
    #: What its tasks' output notebooks keep (the configuration's caps, set by its maker).
    output_caps: OutputCaps = OutputCaps()

    def __init__(self, max_workers: int | None = None, *, idle_ttl: float = 600.0) -> None:
        self.max_workers = max_workers or os.cpu_count() or 1
        self.idle_ttl = idle_ttl

    async def prestart(self, count: int) -> None:
        """Get up to ``count`` workers ready ahead of the first task; by default, nothing."""
        return None

    async def warm(self, workers: int, depth: int) -> None:
        """Keep ``workers`` workers with ``depth`` fresh kernels each; by default, nothing."""
        return None

    @abstractmethod
    async def submit(self, task: Task, on_log: LogSink) -> Execution: ...

    def capped(self, task: Task) -> Task:
        """``task`` with this executor's output caps."""
        caps = self.output_caps
        return replace(
            task, output_cap_bytes=caps.output_bytes, notebook_cap_bytes=caps.notebook_bytes
        )

    @abstractmethod
    async def release(self, reuse_key: str) -> None:
        """Shut down the kernels kept for ``reuse_key`` (the run that shared them ended)."""

    @abstractmethod
    async def close(self) -> None:
        """Stop every worker and kernel; the executor cannot be used afterwards."""
