"""Pipeline definitions: immutable, validated models (the pipeline file contract).

Loading a file and reporting every problem with its line lives in ``loader.py``; this
module holds only the data and the rules of a single value.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from enum import Enum
from functools import cached_property
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from jupyter_orch import dag
from jupyter_orch.inputs.parameters import check_finite, size_problem
from jupyter_orch.scheduling.schedules import CronSchedule

from .connections import CONNECTION_NAME
from .durations import parse_duration
from .sizes import parse_size
from .spec_base import STORED, SpecModel, check_profiles, stored
from .spec_events import ENV_NAME, OnSpec, SqlTrigger, WebhookTrigger
from .spec_foreach import ForEachFields
from .spec_kinds import (
    KIND_KEYS,
    ExportSpec,
    NameList,
    SqlSource,
    check_python_ref,
    connection_field,
)
from .spec_notify import LongRunning, NotifySpec, StepNotify
from .spec_retention import RetentionSpec

PIPELINE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
#: Longest pipeline or step name: they name folders and files of every run (and a column).
MAX_NAME = 100
#: Words the REST routes use after ``/orch/pipelines/``: a pipeline so named could not be
#: read or deleted there (``GET /orch/pipelines/validate`` is the validate route).
RESERVED_PIPELINE_NAMES = frozenset({"validate"})
# ``STORED``: context for definitions read back from the store: rules added since they were
# registered (name lengths, reserved names, parameter values, URL passwords) never reject them.

Duration = Annotated[float, BeforeValidator(parse_duration)]
Size = Annotated[int, BeforeValidator(parse_size)]
_stored = stored


def _finite_parameter(value: Any, info: ValidationInfo) -> Any:
    return value if _stored(info) else check_finite(value)


def _small_parameters(value: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
    if _stored(info):
        return value
    try:
        problem = size_problem(value)
    except TypeError as exc:  # not from YAML, which gives JSON values only
        raise ValueError(f"give JSON values ({exc})") from None
    if problem:
        raise ValueError(problem)
    return value


#: ``parameters:`` of a pipeline or a step: finite JSON values, 64 KiB in all.
Parameters = Annotated[
    dict[str, Annotated[Any, AfterValidator(_finite_parameter)]],
    AfterValidator(_small_parameters),
]


class RunIf(str, Enum):
    """When a step runs, decided from its needs' final statuses."""

    ALL_SUCCEEDED = "all_succeeded"
    ALL_DONE = "all_done"
    ANY_FAILED = "any_failed"
    NONE_FAILED = "none_failed"


def check_length(name: str, what: str) -> str:
    if len(name) > MAX_NAME:
        raise ValueError(
            f"{what} {name[:20]!r}... is {len(name)} characters long; use at most {MAX_NAME}"
        )
    return name


def check_pipeline_name(name: str) -> str:
    """``name`` if it can name a pipeline, else ``ValueError`` saying what to change."""
    if not PIPELINE_NAME.match(name):
        raise ValueError(
            f"pipeline name {name!r} must be lower case letters, digits, '-' and '_', "
            "starting with a letter or digit"
        )
    check_length(name, "pipeline name")
    if name in RESERVED_PIPELINE_NAMES:
        raise ValueError(
            f"pipeline name {name!r} is a word the REST routes use (/orch/pipelines/{name}); "
            "choose another name"
        )
    return name


def check_identifier(name: str, what: str) -> str:
    if not name.isidentifier():
        raise ValueError(
            f"{what} {name!r} is not an identifier (letters, digits, _; not first a digit)"
        )
    if keyword.iskeyword(name):
        raise ValueError(f"{what} {name!r} is a Python keyword; choose another name")
    return name


_Model = SpecModel


class StepPolicy(_Model):
    """Policy keys a step may set and ``defaults`` may set for every step."""

    retries: int | None = Field(None, ge=0, le=100)
    retry_delay: Duration | None = None
    retry_backoff: float | None = Field(None, ge=1.0, le=10.0)
    retry_max_delay: Duration | None = None
    retry_on_timeout: bool | None = None
    timeout: Duration | None = Field(None, gt=0)
    kernel: str | None = None
    #: papermill's --report-mode: the output notebook's input cells are hidden.
    report_mode: bool | None = None
    #: papermill's --start-timeout: how long the step's kernel may take to start.
    start_timeout: Duration | None = Field(None, gt=0)
    #: Resident memory of the step's whole process tree (``4GB``): past it, the tree is killed.
    max_memory: Size | None = None


POLICY_KEYS = tuple(StepPolicy.model_fields)


@dataclass(frozen=True)
class EffectivePolicy:
    """A step's policy after ``defaults`` and built-in defaults fill what it leaves out."""

    retries: int = 0
    retry_delay: float = 60.0
    retry_backoff: float = 2.0
    retry_max_delay: float = 3600.0
    retry_on_timeout: bool = True
    timeout: float | None = None
    kernel: str | None = None
    report_mode: bool = False
    start_timeout: float = 60.0
    max_memory: int | None = None

    def delay_before(self, attempt: int) -> float:
        """Seconds to wait before attempt number ``attempt`` (2 is the first retry)."""
        exponent = max(attempt - 2, 0)
        return min(self.retry_delay * self.retry_backoff**exponent, self.retry_max_delay)


class StepSpec(StepPolicy, ForEachFields):
    """One step: exactly one of ``notebook``, ``sql``, ``python``, ``export`` says what it runs
    (its kind, see ``spec_kinds``); the policy keys work alike for every kind."""

    name: str
    notebook: str | None = None
    sql: SqlSource | None = None
    #: The query's connection: a name, ``${ENV}`` or a URL without a password.
    connection: str | None = None
    python: str | None = None
    export: ExportSpec | None = None
    parameters: Parameters = Field(default_factory=dict)
    needs: tuple[str, ...] = ()
    if_: str | None = Field(None, alias="if")
    run_if: RunIf = RunIf.ALL_SUCCEEDED
    #: Channels told of this step's final outcome (after every retry).
    notify: StepNotify | None = None

    _connection = field_validator("connection")(connection_field)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str, info: ValidationInfo) -> str:
        check_identifier(value, "step name")
        return value if _stored(info) else check_length(value, "step name")

    @field_validator("python")
    @classmethod
    def _python(cls, value: str | None) -> str | None:
        return None if value is None else check_python_ref(value)

    @model_validator(mode="after")
    def _one_kind(self) -> StepSpec:
        given = [key for key in KIND_KEYS if getattr(self, key) is not None]
        if len(given) != 1:
            which = " and ".join(f"`{key}`" for key in given) if given else "none"
            raise ValueError(
                "a step runs exactly one of `notebook`, `sql`, `python`, `export` "
                f"(this one has {which})"
            )
        if self.sql is not None and not self.connection:
            raise ValueError("a `sql` step needs `connection` (a connection name or a URL)")
        if self.sql is None and self.connection is not None:
            raise ValueError("`connection` goes with `sql` (an export names it under `to:`)")
        if self.kernel is not None and self.notebook is None:
            raise ValueError("`kernel` goes with `notebook` steps only")
        return self

    @property
    def kind(self) -> str:
        """``notebook``, ``query``, ``function`` or ``export``."""
        return next(KIND_KEYS[key] for key in KIND_KEYS if getattr(self, key) is not None)


class Overlap(str, Enum):
    """What a trigger does when the pipeline already has ``max_concurrent_runs`` runs."""

    QUEUE = "queue"  # the new run waits, first in first out
    SKIP = "skip"  # the new run is not created (a schedule slot is recorded as missed)


class Limits(_Model):
    max_parallel_steps: int | None = Field(None, ge=1)
    #: The product page's "Max memory": every step's, unless the step or ``defaults`` says.
    max_memory: Size | None = None
    max_duration: Duration | None = Field(None, gt=0)
    max_concurrent_runs: int | None = Field(None, ge=1)
    overlap: Overlap = Overlap.QUEUE


class Misfire(str, Enum):
    """What happens to slots that passed while no scheduler was running."""

    SKIP = "skip"  # none of them run
    COALESCE = "coalesce"  # one run for all of them
    ALL = "all"  # each runs, oldest first, at most max_catchup


class ScheduleSpec(_Model):
    cron: str
    #: An IANA zone; None means the server's default (UTC unless configured).
    timezone: str | None = None
    misfire: Misfire = Misfire.COALESCE
    max_catchup: int = Field(10, ge=1, le=1000)
    #: Slots older than this never run (they are recorded as missed).
    misfire_grace: Duration | None = Field(None, gt=0)

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        return CronSchedule.check_cron(value)

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str | None) -> str | None:
        return CronSchedule.check_timezone(value) if value is not None else None

    def cron_schedule(self, default_timezone: str = "UTC") -> CronSchedule:
        return CronSchedule.parse(self.cron, self.timezone or default_timezone)


def _as_schedule(value: Any) -> Any:
    """``schedule: "@daily"`` is short for ``schedule: {cron: "@daily"}``."""
    return {"cron": value} if isinstance(value, str) else value


class PipelineSpec(_Model):
    name: str
    description: str = ""
    parameters: Parameters = Field(default_factory=dict)
    #: Named sets of parameter values, ``small: {days: 1}``: ``--profile small`` runs them.
    profiles: dict[str, Parameters] = Field(default_factory=dict)
    defaults: StepPolicy = Field(default_factory=StepPolicy)
    limits: Limits = Field(default_factory=Limits)
    schedule: Annotated[ScheduleSpec | None, BeforeValidator(_as_schedule)] = None
    on: OnSpec = Field(default_factory=OnSpec)
    #: Steps of one run share a kernel (reset between steps) instead of a fresh one each.
    kernel_reuse: bool = False
    #: Connections notebook steps may open (``jupyter_orch.connection``) besides those its
    #: steps name; secrets (environment variables) its steps may read (``jupyter_orch.secret``).
    connections: NameList = ()
    secrets: NameList = ()
    #: Channels told when a run fails, succeeds, recovers, runs long or a slot is missed.
    notify: NotifySpec = Field(default_factory=NotifySpec)
    #: How long runs are kept (default: ``c.OrchApp.retention``, else for ever).
    retention: RetentionSpec | None = None

    @field_validator("profiles")
    @classmethod
    def _profiles(
        cls, value: dict[str, dict[str, Any]], info: ValidationInfo
    ) -> dict[str, dict[str, Any]]:
        return value if _stored(info) else check_profiles(value, info.data.get("parameters"))

    @field_validator("connections")
    @classmethod
    def _connections(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for name in value:
            if not CONNECTION_NAME.fullmatch(name):
                raise ValueError(f"{name!r} is not a connection name (letters, digits and _)")
        return value

    @field_validator("secrets")
    @classmethod
    def _secrets(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for name in value:  # the message never repeats a value: it may be a pasted secret
            if not ENV_NAME.match(name) or name.startswith("JUPYTER_ORCH_"):
                raise ValueError(
                    "list the names of environment variables (letters, digits and _, not first "
                    "a digit, not JUPYTER_ORCH_*), not their values"
                )
        return value

    steps: tuple[StepSpec, ...] = Field(min_length=1)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str, info: ValidationInfo) -> str:
        return value if _stored(info) else check_pipeline_name(value)

    @classmethod
    def from_stored(cls, definition: Any) -> PipelineSpec:
        """A definition read back from the store (registered under the rules of its day)."""
        return cls.model_validate(definition, context={STORED: True})

    @cached_property
    def steps_by_name(self) -> tuple[tuple[StepSpec, ...], dict[str, StepSpec]]:
        """The steps and an index of them by name (the first of a name wins, as in a scan)."""
        return self.steps, {step.name: step for step in reversed(self.steps)}

    def step(self, name: str) -> StepSpec:
        # An index, not a scan: the coordinator looks a step up on every event, and a scan per
        # lookup made a run of 1,000 steps spend seconds here.
        steps, index = self.steps_by_name
        if steps is not self.steps:  # model_copy(update={"steps": ...}) copies the cache too
            del self.__dict__["steps_by_name"]
            steps, index = self.steps_by_name
        if name not in index:
            raise KeyError(name)
        return index[name]

    @property
    def needs(self) -> dict[str, tuple[str, ...]]:
        return {step.name: step.needs for step in self.steps}

    @property
    def width(self) -> int:
        """How many steps can run at once, at most (the DAG's widest level, within limits)."""
        widest = dag.width(self.needs)
        limit = self.limits.max_parallel_steps
        return min(widest, limit) if limit else widest

    def policy(self, step: StepSpec) -> EffectivePolicy:
        values: dict[str, Any] = {}
        if self.limits.max_memory is not None:
            values["max_memory"] = self.limits.max_memory
        for key in POLICY_KEYS:
            own = getattr(step, key)
            inherited = getattr(self.defaults, key)
            if own is not None:
                values[key] = own
            elif inherited is not None:
                values[key] = inherited
        return EffectivePolicy(**values)

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_defaults=True)


#: Which model describes the mapping found at a field path (for "unknown key" hints).
MODEL_AT: dict[str, type[BaseModel]] = {
    "": PipelineSpec,
    "defaults": StepPolicy,
    "limits": Limits,
    "schedule": ScheduleSpec,
    "on": OnSpec,
    "on.sql": SqlTrigger,
    "on.webhook": WebhookTrigger,
    "steps[]": StepSpec,
    "steps[].export": ExportSpec,
    "notify": NotifySpec,
    "steps[].notify": StepNotify,
    "notify.on_long_running": LongRunning,
    "retention": RetentionSpec,
}


def allowed_keys(model: type[BaseModel]) -> list[str]:
    return [field.alias or name for name, field in model.model_fields.items()]
