"""``retention:`` of a pipeline (part of the pipeline file contract): how long its runs, with
their output notebooks and artifacts, are kept. ``c.OrchApp.retention`` gives a default for
every pipeline that says nothing; none by default. Applied by ``retention.py``."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field, model_validator

from .durations import parse_duration
from .spec_base import SpecModel


class RetentionSpec(SpecModel):
    """A run is deleted when either rule says so: it is not among the last ``keep_last`` runs,
    or it was created more than ``max_age`` ago. Queued, running and pinned runs stay."""

    keep_last: int | None = Field(None, ge=1, le=10**9)
    max_age: Annotated[float, BeforeValidator(parse_duration)] | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _something(self) -> RetentionSpec:
        if self.keep_last is None and self.max_age is None:
            raise ValueError("give `keep_last` (a number of runs), `max_age` (e.g. 90d) or both")
        return self

    @classmethod
    def read(cls, value: Any) -> RetentionSpec | None:
        """A stored ``retention`` mapping, or None when there is none (or it is unreadable)."""
        if not isinstance(value, dict) or not value:
            return None
        try:
            return cls.model_validate(value)
        except ValueError:
            return None
