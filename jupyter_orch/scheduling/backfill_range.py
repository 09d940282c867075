"""The slots a backfill runs: every slot of a pipeline's schedule between two bounds its user
gives as dates or times in the schedule's zone (``--from 2024-03-01 --to 2024-03-31``), both
included. A date as ``--from`` is the start of that day, as ``--to`` its end, in the zone, so a
daily schedule gives one run per day whatever the day's length (DST). The slots are the
scheduler's own (``CronSchedule``): a wall time that occurs twice makes one slot, one that does
not exist makes the slot of the transition.

Pure computation: no store, no clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from jupyter_orch.errors import UserError
from jupyter_orch.scheduling.schedules import CronSchedule

#: The most runs one backfill makes (a minutely schedule over a week is 10,080).
MAX_BACKFILL_RUNS = 10_000
#: ``2024-03-01``: a whole day.
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
#: ``2024-03-01T02:00`` (or with a space), with seconds and an offset if wanted.
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}.*")
_TICK = timedelta(microseconds=1)


@dataclass(frozen=True)
class BackfillRange:
    """The instants a backfill covers, both included, in UTC."""

    start: datetime
    end: datetime


def parse_bound(text: str, zone: str, *, option: str, end: bool) -> datetime:
    """The instant (UTC) a ``--from`` (``end=False``) or ``--to`` bound names: a date (its day's
    first instant, or its last for ``--to``), or a time, read in ``zone`` unless it gives its
    own offset. ``UserError`` naming ``option`` otherwise."""
    value = text.strip()
    zone_info = ZoneInfo(zone)
    try:
        if _DATE.fullmatch(value):
            day = date.fromisoformat(value)
            if end:  # the next day's first instant, less one tick: the whole day, however long
                after = datetime.combine(day + timedelta(days=1), time(), tzinfo=zone_info)
                return after.astimezone(timezone.utc) - _TICK
            return datetime.combine(day, time(), tzinfo=zone_info).astimezone(timezone.utc)
        if not _TIME.fullmatch(value):
            raise ValueError(value)
        moment = datetime.fromisoformat(value)
    except (ValueError, OverflowError):
        raise UserError(
            f"{option}: give a date (2024-03-01) or a time (2024-03-01T02:00) in {zone}, "
            f"not {text!r}"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone_info)
    return moment.astimezone(timezone.utc)


def backfill_range(start: str, end: str, zone: str) -> BackfillRange:
    """The range ``--from start --to end`` names in ``zone``; ``UserError`` when it is empty."""
    first = parse_bound(start, zone, option="--from", end=False)
    last = parse_bound(end, zone, option="--to", end=True)
    if last < first:
        raise UserError(f"--to: {end} is before --from {start}; give the earlier bound first")
    return BackfillRange(first, last)


def backfill_slots(
    schedule: CronSchedule, covered: BackfillRange, *, limit: int = MAX_BACKFILL_RUNS
) -> list[datetime]:
    """The schedule's slots in ``covered``, oldest first; ``UserError`` past ``limit``."""
    slots = schedule.slots_between(covered.start - _TICK, covered.end, limit + 1)
    if len(slots) > limit:
        raise UserError(
            f"--from/--to: the range holds more than {limit:,} runs of {schedule.describe()}; "
            "backfill it in shorter ranges"
        )
    return slots
