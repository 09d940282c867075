"""Cron schedules in an IANA time zone, and the UTC instants ("slots") at which they fire.

A cron is evaluated on local wall-clock time in its zone. Each matching wall time maps to one
UTC instant: a wall time that occurs twice (clocks go back) maps to its first occurrence, and a
wall time that does not exist (clocks go forward) maps to the first real instant after it, the
transition itself. Wall times that land on one instant make one slot.

Pure computation: no store, no clock, no I/O beyond reading the time-zone database.
"""

from __future__ import annotations

import copy
import functools
import itertools
import math
import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:  # croniter where a cron is read: a pipeline without a schedule needs none
    from croniter import croniter

PRESETS: dict[str, str] = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}

_UTC = timezone.utc
_SECOND = timedelta(seconds=1)
_FIVE_FIELDS = ("minute", "hour", "day", "month", "weekday")
_SIX_FIELDS = ("second", *_FIVE_FIELDS)
_RANGES = {
    "second": (0, 59),
    "minute": (0, 59),
    "hour": (0, 23),
    "day": (1, 31),
    "month": (1, 12),
    "weekday": (0, 7),
}
_FIELD_HINT = "write 5 (minute hour day month weekday) or 6 (second first)"
# A fixed start for the "does it ever fire?" check keeps validation independent of the clock;
# croniter searches 50 years ahead, more than the longest gap of any cron without a year field.
_REFERENCE = datetime(2001, 1, 1)
# R (random) changes the schedule on every parse and H (hashed) needs an id we do not have.
_RANDOM_OR_HASHED = re.compile(r"(?<![a-z])[rh](?![a-z])", re.IGNORECASE)
_DAILY_TIMES = re.compile(r"At \d\d:\d\d(:\d\d)?((,| and|, and) \d\d:\d\d(:\d\d)?)*")


class CronSchedule:
    """A cron expression (or preset such as ``@daily``) read in an IANA time zone.

    Parameters
    ----------
    cron
        Five fields (minute hour day month weekday), six with the seconds first, or a preset.
    timezone
        IANA zone name in which the cron's wall-clock times are read, e.g. ``Europe/Berlin``.

    Raises
    ------
    ValueError
        If the cron or the zone is invalid; the message says what to fix.
    """

    __slots__ = ("_cron", "_steps", "_timezone", "_zone")

    def __init__(self, cron: str, timezone: str) -> None:
        self._cron = CronSchedule.check_cron(cron)
        self._timezone = CronSchedule.check_timezone(timezone)
        self._zone = ZoneInfo(timezone)
        # Each iteration walks its own copy of this template: a copy is cheap, an expansion is
        # not, and threads can share one schedule.
        from croniter import croniter

        self._steps = croniter(
            _expression(cron), _REFERENCE, ret_type=datetime, second_at_beginning=True
        )

    @classmethod
    def parse(cls, cron: str, timezone: str) -> CronSchedule:
        """Validate ``cron`` and ``timezone`` and build the schedule.

        Parameters
        ----------
        cron
            Cron expression or preset, kept as written.
        timezone
            IANA zone name.

        Returns
        -------
        CronSchedule

        Raises
        ------
        ValueError
            With a message naming what to fix.
        """
        if cls is CronSchedule and isinstance(cron, str) and isinstance(timezone, str):
            return _schedule(cron, timezone)
        return cls(cron, timezone)

    @staticmethod
    def check_cron(cron: str) -> str:
        """Return ``cron`` unchanged if it is a valid cron that fires; else raise ``ValueError``.

        Suitable as a pydantic field validator.
        """
        if not isinstance(cron, str):
            raise ValueError(f"cron must be a string, not {type(cron).__name__}")
        return _checked_cron(cron)

    @staticmethod
    def check_timezone(name: str) -> str:
        """Return ``name`` unchanged if it is a known IANA zone; else raise ``ValueError``.

        Suitable as a pydantic field validator.
        """
        hint = f"unknown time zone {name!r}; use an IANA name such as Europe/Berlin or UTC"
        # "localtime" resolves to whatever zone the host is set to, so it would move with it.
        if not isinstance(name, str) or not name or name == "localtime":
            raise ValueError(hint)
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
            raise ValueError(hint) from exc
        return name

    @property
    def cron(self) -> str:
        """The cron as the user wrote it (preset or expression)."""
        return self._cron

    @property
    def timezone(self) -> str:
        """The IANA zone name."""
        return self._timezone

    @property
    def key(self) -> str:
        """``cron|timezone``: equal keys mean the same schedule (to see whether it changed)."""
        return f"{self._cron}|{self._timezone}"

    def next_after(self, instant: datetime) -> datetime | None:
        """The first slot strictly after ``instant``.

        Parameters
        ----------
        instant
            Timezone-aware datetime, in any zone.

        Returns
        -------
        datetime or None
            Aware UTC datetime, or None if the schedule never fires again.
        """
        return next(self._slots_after(instant), None)

    def upcoming(self, after: datetime, count: int) -> list[datetime]:
        """The next ``count`` slots strictly after ``after``, oldest first, in UTC."""
        if count < 0:
            raise ValueError(f"count must be 0 or more, not {count}")
        return list(itertools.islice(self._slots_after(after), count))

    def slots_between(self, start: datetime, end: datetime, limit: int) -> list[datetime]:
        """Slots ``s`` with ``start < s <= end``, oldest first: the oldest ``limit`` of them."""
        if limit < 0:
            raise ValueError(f"limit must be 0 or more, not {limit}")
        stop = _as_utc(end)
        slots = itertools.takewhile(lambda slot: slot <= stop, self._slots_after(start))
        return list(itertools.islice(slots, limit))

    def describe(self) -> str:
        """The schedule in words, e.g. ``every day at 09:00 (Europe/Berlin)``."""
        return f"{_describe_expression(_expression(self._cron))} ({self._timezone})"

    def _slots_after(self, instant: datetime) -> Iterator[datetime]:
        last = _as_utc(instant)
        steps = copy.copy(self._steps)
        steps.set_current(self._search_start(last))
        while (local := _next_local(steps)) is not None:
            slot = self._to_utc(local)
            if slot > last:
                yield slot
                last = slot
            wall = _naive(slot.astimezone(self._zone))
            if wall > local:
                # ``local`` lies in a gap; every later wall time up to ``wall`` maps to this slot.
                # Only ever forward, so the walk always ends.
                steps.set_current(wall - _SECOND)

    def _search_start(self, after: datetime) -> datetime:
        """A wall time such that every earlier (or equal) one maps to an instant <= ``after``."""
        local = _naive(after.astimezone(self._zone))
        first = local.replace(tzinfo=self._zone).astimezone(_UTC)
        if first == after:
            return local
        # ``after`` is the second reading of a repeated wall time: the wall times still to come in
        # the repeated stretch already fired at their first reading, so search from its end.
        change = _transition(self._zone, first, after)
        offset_before = first.astimezone(self._zone).utcoffset() or timedelta(0)
        return _naive(change + offset_before) - _SECOND

    def _to_utc(self, local: datetime) -> datetime:
        """The slot of wall time ``local``: its first reading, or the end of the gap it is in."""
        earlier = local.replace(tzinfo=self._zone).astimezone(_UTC)
        if _naive(earlier.astimezone(self._zone)) == local:
            return earlier
        # A wall time in a gap: fold=1 reads it with the new offset, an instant before the change.
        before = local.replace(tzinfo=self._zone, fold=1).astimezone(_UTC)
        return _transition(self._zone, before, earlier)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CronSchedule) and other.key == self.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __repr__(self) -> str:
        return f"CronSchedule({self._cron!r}, {self._timezone!r})"


# A schedule is immutable and threads share it: one per distinct cron and zone. Expanding the
# same cron for each of 10,000 pipelines took the scheduler's leader about 20 s of CPU.
@functools.lru_cache(maxsize=16384)
def _schedule(cron: str, timezone: str) -> CronSchedule:
    return CronSchedule(cron, timezone)


@functools.lru_cache(maxsize=16384)
def _checked_cron(cron: str) -> str:
    fields = _split_fields(cron, _expression(cron))
    names = _FIVE_FIELDS if len(fields) == 5 else _SIX_FIELDS
    for name, text in zip(names, fields, strict=True):
        _check_field(cron, name, text)
    _check_syntax(cron, names, fields)
    _check_fires(cron)
    return cron


def _expression(cron: str) -> str:
    """The cron expression itself: a preset expanded, anything else as written."""
    text = cron.strip()
    if not text.startswith("@"):
        return text
    expression = PRESETS.get(text.lower())
    if expression is None:
        known = ", ".join(PRESETS)
        raise ValueError(f"unknown preset {text!r}; use one of {known}, or write a cron expression")
    return expression


def _split_fields(cron: str, expression: str) -> list[str]:
    fields = expression.split()
    if len(fields) in (5, 6):
        return fields
    count = f"{len(fields)} field{'s' if len(fields) != 1 else ''}"
    if len(fields) == 7:
        raise ValueError(f"cron {cron!r} has {count}; a year field is not supported; {_FIELD_HINT}")
    raise ValueError(f"cron {cron!r} has {count}; {_FIELD_HINT}")


def _check_field(cron: str, name: str, text: str) -> None:
    """Ranges and steps, checked here because croniter's messages do not name the field."""
    if _RANDOM_OR_HASHED.search(text):
        raise ValueError(
            f"cron {cron!r}: {name} {text!r} uses R or H (random or hashed values), which are not supported; write the values"
        )
    low, high = _RANGES[name]
    for part in text.split(","):
        base, _, step = part.partition("/")
        for number in re.findall(r"\d+", base.split("#")[0]):
            if not low <= int(number) <= high:
                raise ValueError(
                    f"cron {cron!r}: {name} {int(number)} is out of range {low}-{high}"
                )
        if step.isdigit() and not 1 <= int(step) <= high - low:
            raise ValueError(
                f"cron {cron!r}: {name} step {int(step)} must be between 1 and {high - low}"
            )


def _check_syntax(cron: str, names: tuple[str, ...], fields: list[str]) -> None:
    """Let croniter judge the syntax, naming the first field it rejects on its own."""
    error = _croniter_error(" ".join(fields))
    if error is None:
        return
    for index, (name, text) in enumerate(zip(names, fields, strict=True)):
        alone = ["*"] * len(fields)
        alone[index] = text
        if _croniter_error(" ".join(alone)) is not None:
            raise ValueError(f"cron {cron!r}: {name} {text!r} is not valid ({error})")
    raise ValueError(f"cron {cron!r} is not valid ({error})")


def _croniter_error(expression: str) -> str | None:
    from croniter import CroniterBadTypeRangeError, CroniterError, croniter

    try:
        croniter.expand(expression, second_at_beginning=True)
    except (CroniterError, CroniterBadTypeRangeError) as exc:
        return str(exc)
    return None


def _check_fires(cron: str) -> None:
    from croniter import croniter

    steps = croniter(_expression(cron), _REFERENCE, ret_type=datetime, second_at_beginning=True)
    if _next_local(steps) is None:
        raise ValueError(f"cron {cron!r} never fires (no date matches it)")


def _next_local(steps: croniter) -> datetime | None:
    """croniter's next naive wall time, or None when there is none (within its 50-year search)."""
    from croniter import CroniterBadDateError

    try:
        local: datetime = steps.get_next(datetime)
    except (CroniterBadDateError, OverflowError):
        return None
    return local


def _transition(zone: ZoneInfo, before: datetime, after: datetime) -> datetime:
    """The first whole second in (``before``, ``after``] having ``after``'s UTC offset."""
    target = after.astimezone(zone).utcoffset()
    low, high = math.floor(before.timestamp()), math.ceil(after.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).utcoffset() == target:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, _UTC)


def _as_utc(instant: datetime) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{instant!r} has no time zone; pass an aware datetime")
    return instant.astimezone(_UTC)


def _naive(moment: datetime) -> datetime:
    # fold=0 too: a wall time read from a repeated hour carries fold=1 and would keep it.
    return moment.replace(tzinfo=None, fold=0)


def _describe_expression(expression: str) -> str:
    from cron_descriptor import ExpressionDescriptor, FormatError, MissingFieldError, Options

    options = Options(locale_code="en_US", use_24hour_time_format=True)
    try:
        text = ExpressionDescriptor(expression, options).get_description()
    except (FormatError, MissingFieldError, ValueError, IndexError, KeyError):
        # The schedule is valid (croniter accepted it); only the wording is unavailable.
        return f"cron {expression}"
    if _DAILY_TIMES.fullmatch(text):
        return f"every day at {text[3:]}"
    return text[:1].lower() + text[1:]
