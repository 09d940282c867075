"""The slots a backfill covers: dates and times read in the schedule's zone, both bounds
included, one run per day across DST changes, and bad bounds refused naming the option."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from jupyter_orch.errors import UserError
from jupyter_orch.scheduling.backfill_range import backfill_range, backfill_slots
from jupyter_orch.scheduling.schedules import CronSchedule

BERLIN = "Europe/Berlin"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


def slots(cron: str, start: str, end: str, zone: str = BERLIN, **kw: int) -> list[datetime]:
    return backfill_slots(CronSchedule(cron, zone), backfill_range(start, end, zone), **kw)


def test_dates_cover_whole_days_in_the_zone_both_included_oldest_first() -> None:
    assert slots("0 2 * * *", "2024-03-01", "2024-03-05") == [
        utc(2024, 3, day, 1)
        for day in range(1, 6)  # 02:00 in Berlin is 01:00 UTC in March
    ]
    # A slot at the very start of the first day, and at the very end of the last, are in it
    assert slots("0 0 * * *", "2024-03-01", "2024-03-02") == [
        utc(2024, 2, 29, 23),
        utc(2024, 3, 1, 23),
    ]
    assert slots("59 23 * * *", "2024-03-01", "2024-03-01") == [utc(2024, 3, 1, 22, 59)]


def test_times_bound_the_range_exactly_and_an_offset_is_kept() -> None:
    hourly = "0 * * * *"
    assert slots(hourly, "2024-03-01T02:00", "2024-03-01 04:00") == [
        utc(2024, 3, 1, 1),
        utc(2024, 3, 1, 2),
        utc(2024, 3, 1, 3),
    ]
    assert slots(hourly, "2024-03-01T02:00+00:00", "2024-03-01T03:30+00:00") == [
        utc(2024, 3, 1, 2),
        utc(2024, 3, 1, 3),
    ]


@pytest.mark.parametrize(
    ("cron", "start", "end", "expected"),
    [
        # Clocks go forward on 31 March: 02:30 does not exist, its slot is the transition
        ("30 2 * * *", "2024-03-30", "2024-04-01", [
            utc(2024, 3, 30, 1, 30), utc(2024, 3, 31, 1), utc(2024, 4, 1, 0, 30),
        ]),
        # Clocks go back on 27 October: 02:30 happens twice, one run for it
        ("30 2 * * *", "2024-10-26", "2024-10-28", [
            utc(2024, 10, 26, 0, 30), utc(2024, 10, 27, 0, 30), utc(2024, 10, 28, 1, 30),
        ]),
        # A daily midnight run: one a day, though the days are 23 and 25 hours long
        ("0 0 * * *", "2024-03-30", "2024-04-01", [
            utc(2024, 3, 29, 23), utc(2024, 3, 30, 23), utc(2024, 3, 31, 22),
        ]),
    ],
)  # fmt: skip
def test_one_run_per_slot_across_dst_changes(
    cron: str, start: str, end: str, expected: list[datetime]
) -> None:
    assert slots(cron, start, end) == expected


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("yesterday", "2024-03-01", "--from: give a date (2024-03-01) or a time"),
        ("2024-03-01", "2024-02-30", "--to: give a date"),
        ("2024-03-01", "20240302", "--to: give a date"),
        ("2024-03-05", "2024-03-01", "--to: 2024-03-01 is before --from 2024-03-05"),
        ("2024-03-01", "9999-12-31", "--to: give a date"),
    ],
)
def test_bad_bounds_are_refused_naming_the_option(start: str, end: str, message: str) -> None:
    with pytest.raises(UserError, match=re.escape(message)):
        backfill_range(start, end, BERLIN)


def test_a_range_of_too_many_runs_is_refused_before_any_is_made() -> None:
    assert len(slots("* * * * *", "2024-03-01", "2024-03-01", limit=1440)) == 1440
    with pytest.raises(UserError, match=r"more than 1,439 runs of .*shorter ranges"):
        slots("* * * * *", "2024-03-01", "2024-03-01", limit=1439)
