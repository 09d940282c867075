"""The default retention of ``OrchConfig``: ``c.OrchApp.retention = {"keep_last": 100,
"max_age": "90d"}``, or ``JUPYTER_ORCH_RETENTION_KEEP_LAST`` / ``JUPYTER_ORCH_RETENTION_MAX_AGE``
(each wins over the config's key); for pipelines whose file says nothing. None by default."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from traitlets import Dict, Unicode
from traitlets.config import Configurable

from .errors import SettingError

if TYPE_CHECKING:  # pydantic is imported when a retention is given: most commands need none
    from .spec_retention import RetentionSpec

KEEP_LAST_VARIABLE = "JUPYTER_ORCH_RETENTION_KEEP_LAST"
MAX_AGE_VARIABLE = "JUPYTER_ORCH_RETENTION_MAX_AGE"


class RetentionSettings(Configurable):
    retention = Dict(
        config=True,
        help="How long runs are kept when a pipeline's file has no `retention:`: "
        '{"keep_last": 100, "max_age": "90d"} (either or both). The variables '
        f"{KEEP_LAST_VARIABLE} and {MAX_AGE_VARIABLE} win over it. Default: for ever",
    )

    activity_max_age = Unicode(
        "365d",
        config=True,
        help="How long the activity log keeps an entry (30d, 52w, 365d or seconds); the "
        "scheduler removes older ones as it applies retention. Default: a year",
    )

    def activity_max_age_seconds(self) -> float:
        """``activity_max_age`` in seconds; ``SettingError`` naming it when it is not one."""
        from .durations import parse_duration

        given = self.configured("activity_max_age") or self.activity_max_age
        try:
            seconds = parse_duration(given)
        except ValueError as exc:
            raise SettingError(f"c.OrchApp.activity_max_age: {exc}") from None
        if seconds <= 0:
            raise SettingError("c.OrchApp.activity_max_age: give a duration above zero")
        return seconds

    def configured(self, name: str) -> Any:
        """A value the CLI reads from the config files (the server's traitlets load them)."""
        return None

    def default_retention(self) -> RetentionSpec | None:
        """The default rule; ``SettingError`` naming where a bad value was given."""
        given = dict(self.retention or self.configured("retention") or {})
        where = {key: f"c.OrchApp.retention[{key!r}]" for key in given}
        for key, variable in (("keep_last", KEEP_LAST_VARIABLE), ("max_age", MAX_AGE_VARIABLE)):
            value = os.environ.get(variable, "").strip()
            if value:
                given[key], where[key] = value, variable
        if not given:
            return None
        from pydantic import ValidationError

        from .spec_retention import RetentionSpec

        try:
            return RetentionSpec.model_validate(given)
        except ValidationError as exc:
            error = exc.errors()[0]
            key = str(error["loc"][0]) if error["loc"] else ""
            problem = error["msg"].removeprefix("Value error, ")
            raise SettingError(f"{where.get(key, 'c.OrchApp.retention')}: {problem}") from None
