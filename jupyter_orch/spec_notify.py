"""``notify:`` of a pipeline and of a step (part of the pipeline file contract)::

    notify:
      on_failure: [oncall, {channel: team-mail, to: [ana@example.com]}]
      on_success: [team-mail]
      on_recovery: [oncall]
      on_long_running: {after: 45m, to: [team-slack]}
      on_missed: [team-slack]

Channels are named here and defined in configuration (``channels.py``): their URLs hold
secrets. Which notifications a status change makes is decided by the store, in the transaction
of the change (``store.outbox``), from the stored definition: ``targets_of`` reads it.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, ValidationError, field_validator

from .durations import parse_duration
from .spec_base import SpecModel

#: ``team-mail``: lower case letters, digits, ``-`` and ``_``.
CHANNEL_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
#: An email address, loosely: what a ``to:`` list holds.
EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+$")
#: Run events, by the key that names their channels.
RUN_EVENTS = {
    "on_failure": "failure",
    "on_success": "success",
    "on_recovery": "recovery",
    "on_long_running": "long_running",
    "on_missed": "missed",
}
STEP_EVENTS = {"on_failure": "failure", "on_success": "success"}
#: Most channels one event may name.
MAX_TARGETS = 20


def check_channel_name(value: str) -> str:
    if not CHANNEL_NAME.match(value) or value.endswith(("_secret", "-secret")):
        raise ValueError(
            f"{value[:40]!r} is not a channel name: lower case letters, digits, '-' and '_' "
            "(channels are defined in configuration, never by their URL in a pipeline file)"
        )
    return value


def _as_target(value: Any) -> Any:
    return {"channel": value} if isinstance(value, str) else value


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, (str, dict)) else value


class Target(SpecModel):
    """One channel of an event, with the recipients of an email channel."""

    channel: str
    to: Annotated[tuple[str, ...], BeforeValidator(_as_list)] = Field((), max_length=50)

    _channel = field_validator("channel")(check_channel_name)

    @field_validator("to")
    @classmethod
    def _to(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for address in value:
            if not EMAIL.match(address):
                raise ValueError(f"{address[:60]!r} is not an email address")
        return value


Targets = Annotated[
    tuple[Annotated[Target, BeforeValidator(_as_target)], ...],
    BeforeValidator(_as_list),
    Field(max_length=MAX_TARGETS),
]


class LongRunning(SpecModel):
    """Once per run, when it is still running ``after`` its start."""

    after: Annotated[float, BeforeValidator(parse_duration)] = Field(gt=0)
    to: Targets


class StepNotify(SpecModel):
    """A step's own: its final outcome (after every retry)."""

    on_failure: Targets = ()
    on_success: Targets = ()


class NotifySpec(StepNotify):
    on_recovery: Targets = ()
    on_long_running: LongRunning | None = None
    on_missed: Targets = ()


def _targets(spec: StepNotify, key: str) -> tuple[Target, ...]:
    value = getattr(spec, key, ())
    if isinstance(value, LongRunning):
        return value.to
    return value or ()


def targets_of(notify: Any, event: str, *, step: bool = False) -> list[dict[str, Any]]:
    """``[{"channel", "to"}]`` for ``event`` (``failure``...) from a stored ``notify`` mapping;
    empty when there is none or it is not readable (a definition of an older day)."""
    if not isinstance(notify, dict) or not notify:
        return []
    model = StepNotify if step else NotifySpec
    try:
        spec = model.model_validate(notify)
    except ValidationError:
        return []
    key = next((k for k, e in RUN_EVENTS.items() if e == event), None)
    if key is None or (step and key not in STEP_EVENTS):
        return []
    return [{"channel": t.channel, "to": list(t.to)} for t in _targets(spec, key)]
