"""Event triggers of a pipeline (``on:``), part of the pipeline file contract; the leader
watches them (``scheduling.events``)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, field_validator

from jupyter_orch.inputs.files import check_file_pattern

from .durations import parse_duration
from .spec_base import SpecModel as _Model
from .spec_kinds import connection_field

ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
Duration = Annotated[float, BeforeValidator(parse_duration)]


def _as_list(value: Any) -> Any:
    """One value or a list of them (``file: "a/*.csv"`` or ``file: [a/*.csv, b/*.csv]``)."""
    return [value] if isinstance(value, (str, dict)) else value


class SqlTrigger(_Model):
    """Fires when a query's value changes (a "database change" trigger)."""

    connection: str
    query: str = Field(min_length=1)
    every: Duration = Field(60.0, ge=1)

    _connection = field_validator("connection")(connection_field)


class WebhookTrigger(_Model):
    """Runs pushed by a signed ``POST /orch/hooks/{name}``; the server reads the secret from
    the environment variable ``secret_env`` at each request (never from the file)."""

    secret_env: str

    @field_validator("secret_env")
    @classmethod
    def _secret_env(cls, value: str) -> str:
        # The message never repeats the value: it may be a secret pasted in by mistake.
        if not ENV_NAME.match(value):
            raise ValueError(
                "give the name of an environment variable (letters, digits and _, not first a "
                "digit) that holds the secret, not the secret itself"
            )
        return value


class OnSpec(_Model):
    """Event triggers; each fires one run per change."""

    pipeline_succeeded: Annotated[tuple[str, ...], BeforeValidator(_as_list)] = ()
    pipeline_failed: Annotated[tuple[str, ...], BeforeValidator(_as_list)] = ()
    file: Annotated[tuple[str, ...], BeforeValidator(_as_list)] = ()
    sql: Annotated[tuple[SqlTrigger, ...], BeforeValidator(_as_list)] = ()
    webhook: WebhookTrigger | None = None

    @field_validator("file")
    @classmethod
    def _file(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(check_file_pattern(pattern) for pattern in value)

    @property
    def polled(self) -> bool:
        """Whether the leader has something to watch (a webhook is pushed, not polled)."""
        return bool(self.pipeline_succeeded or self.pipeline_failed or self.file or self.sql)

    @property
    def empty(self) -> bool:
        return not self.polled and self.webhook is None
