"""Cron schedules: validation (case 9), description, and DST behaviour (case 6).

The DST tests compare ``CronSchedule`` with a brute-force oracle written independently of it: the
oracle walks UTC minute by minute (second by second for seconds crons), reads the local wall
clock, and decides with its own small cron matcher which instants are slots.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jupyter_orch.scheduling.schedules import PRESETS, CronSchedule

UTC = timezone.utc
MINUTE = timedelta(minutes=1)
SECOND = timedelta(seconds=1)
DAY = timedelta(days=1)
ZONES = ("America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Asia/Kolkata")
YEARS = (2024, 2025, 2026, 2027, 2028)
KINDS = ("spring", "fall")
CRONS = (
    "0 2 * * *",
    "30 2 * * *",
    "*/15 * * * *",
    "0 * * * *",
    "0 1 * * *",
    "45 1 * * 0",
    "0 9 * * *",
)
SECONDS_CRONS = ("*/20 * * * * *", "30 */15 * * * *", "0 30 2 * * *", "15 45 1 * * *")


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


# --- the oracle -----------------------------------------------------------------------------


def field_values(text: str, low: int, high: int) -> set[int]:
    """Values of one cron field in the small grammar the tests use: *, n, a-b, */n, a-b/n, lists."""
    values: set[int] = set()
    for part in text.split(","):
        base, _, step = part.partition("/")
        if base == "*":
            first, last = low, high
        elif "-" in base:
            first, last = (int(n) for n in base.split("-"))
        else:
            first = last = int(base)
        values.update(range(first, last + 1, int(step or 1)))
    return values


def matcher(cron: str) -> Callable[[datetime], bool]:
    """A predicate on naive wall times; weekday 0 is Sunday; day and weekday are never both set."""
    fields = cron.split()
    if len(fields) == 5:
        fields = ["0", *fields]
    second, minute, hour, day, month, weekday = fields
    sets = (
        field_values(second, 0, 59),
        field_values(minute, 0, 59),
        field_values(hour, 0, 23),
        field_values(day, 1, 31),
        field_values(month, 1, 12),
        {w % 7 for w in field_values(weekday, 0, 6)},
    )

    def matches(wall: datetime) -> bool:
        sunday_first = (wall.weekday() + 1) % 7
        parts = (wall.second, wall.minute, wall.hour, wall.day, wall.month, sunday_first)
        return all(p in s for p, s in zip(parts, sets, strict=True)) and wall.microsecond == 0

    return matches


@functools.cache
def walls(zone: str, start: datetime, end: datetime, step: timedelta) -> tuple[datetime, ...]:
    """Naive local wall time of every instant start, start+step, ..., end."""
    tz = ZoneInfo(zone)
    count = int((end - start) / step)
    return tuple((start + i * step).astimezone(tz).replace(tzinfo=None) for i in range(count + 1))


def oracle(cron: str, zone: str, start: datetime, end: datetime, step: timedelta) -> set[datetime]:
    """Slots in (start, end]: scan every instant; ``start`` must lie far from any transition.

    An instant is a slot if its wall time matches and no earlier instant showed that wall time,
    or if the wall clock jumped to it over a gap containing a matching wall time.
    """
    matches = matcher(cron)
    readings = walls(zone, start, end, step)
    slots: set[datetime] = set()
    seen = {readings[0]}
    for index in range(1, len(readings)):
        wall, previous = readings[index], readings[index - 1]
        jumped = wall - previous > step
        skipped = (previous + step * k for k in range(1, int((wall - previous) / step)))
        fresh = wall not in seen and matches(wall)
        if fresh or (jumped and any(matches(w) for w in skipped)):
            slots.add(start + index * step)
        seen.add(wall)
    return slots


def iterate(schedule: CronSchedule, start: datetime, end: datetime) -> list[datetime]:
    """Slots in (start, end] found by calling next_after on each slot in turn."""
    found: list[datetime] = []
    slot = schedule.next_after(start)
    while slot is not None and slot <= end:
        assert slot > (found[-1] if found else start)
        found.append(slot)
        slot = schedule.next_after(slot)
    return found


@functools.cache
def transition(zone: str, year: int, kind: str) -> datetime:
    """The UTC instant the zone's offset goes up (spring) or down (fall) in ``year``.

    Zones without DST get a fixed Sunday instead, so they run through the same checks.
    """
    tz = ZoneInfo(zone)
    day = utc(year, 1, 1)
    while day.year == year:
        before, after = offset(tz, day), offset(tz, day + DAY)
        if before != after and (after > before) == (kind == "spring"):
            minute = day
            while offset(tz, minute) == before:
                minute += MINUTE
            return minute
        day += DAY
    return utc(year, 3, 8) if kind == "spring" else utc(year, 11, 1)


def offset(tz: ZoneInfo, instant: datetime) -> timedelta:
    return instant.astimezone(tz).utcoffset() or timedelta(0)


def window(zone: str, year: int, kind: str, half: timedelta) -> tuple[datetime, datetime]:
    middle = transition(zone, year, kind)
    return middle - half, middle + half


# --- case 6: DST against the oracle ---------------------------------------------------------


def test_transitions_found() -> None:
    """The scan finds the transitions the explicit examples below rely on."""
    assert transition("America/New_York", 2026, "spring") == utc(2026, 3, 8, 7)
    assert transition("America/New_York", 2026, "fall") == utc(2026, 11, 1, 6)
    assert transition("Europe/Berlin", 2026, "spring") == utc(2026, 3, 29, 1)
    assert transition("Australia/Lord_Howe", 2026, "spring") == utc(2026, 10, 3, 15, 30)
    assert transition("Australia/Lord_Howe", 2026, "fall") == utc(2026, 4, 4, 15)


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("cron", CRONS)
def test_minute_crons_match_oracle(zone: str, cron: str) -> None:
    schedule = CronSchedule.parse(cron, zone)
    for year in YEARS:
        for kind in KINDS:
            start, end = window(zone, year, kind, DAY)
            expected = sorted(oracle(cron, zone, start, end, MINUTE))
            assert iterate(schedule, start, end) == expected, (year, kind)


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("cron", SECONDS_CRONS)
def test_seconds_crons_match_oracle(zone: str, cron: str) -> None:
    schedule = CronSchedule.parse(cron, zone)
    for kind in KINDS:
        start, end = window(zone, 2026, kind, timedelta(minutes=90))
        expected = sorted(oracle(cron, zone, start, end, SECOND))
        assert iterate(schedule, start, end) == expected, kind


MINUTE_FIELDS = ("0", "30", "45", "*/15", "*/20", "0,30", "5-10")
HOUR_FIELDS = ("*", "0", "1", "2", "3", "1-3", "*/2", "2,3")
WEEKDAY_FIELDS = ("*", "0", "1-5", "6")
crons = st.builds(
    "{} {} * * {}".format,
    st.sampled_from(MINUTE_FIELDS),
    st.sampled_from(HOUR_FIELDS),
    st.sampled_from(WEEKDAY_FIELDS),
)


@settings(max_examples=60, derandomize=True, deadline=None)
@given(
    cron=crons,
    zone=st.sampled_from(ZONES),
    year=st.sampled_from(YEARS),
    kind=st.sampled_from(KINDS),
    probes=st.lists(st.integers(0, 36 * 3600 * 1000), min_size=1, max_size=8),
)
def test_random_crons_match_oracle(
    cron: str, zone: str, year: int, kind: str, probes: list[int]
) -> None:
    """Iterating gives the oracle's slots, and next_after from any instant (in a repeated hour,
    on a slot, between seconds) gives the first oracle slot after it."""
    schedule = CronSchedule.parse(cron, zone)
    start, end = window(zone, year, kind, DAY)
    expected = sorted(oracle(cron, zone, start, end, MINUTE))
    assert iterate(schedule, start, end) == expected
    for millis in probes:
        probe = start + timedelta(milliseconds=millis)
        later = [slot for slot in expected if slot > probe]
        found = schedule.next_after(probe)
        if later:
            assert found == later[0]
        else:
            assert found is None or found > end


@settings(max_examples=30, derandomize=True, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    kind=st.sampled_from(KINDS),
    offset=st.integers(-3600 * 3, 3600 * 3),
)
def test_next_after_is_strictly_later(zone: str, kind: str, offset: int) -> None:
    start, _ = window(zone, 2027, kind, timedelta(0))
    for cron in ("* * * * * *", "*/15 * * * *", "0 * * * *"):
        probe = start + timedelta(seconds=offset, microseconds=500)
        found = CronSchedule.parse(cron, zone).next_after(probe)
        assert found is not None
        assert found > probe


# --- case 6: explicit examples, readable by a human -----------------------------------------


def test_new_york_spring_forward_skipped_time_fires_once_at_the_transition() -> None:
    # 02:30 does not exist on 2026-03-08: clocks jump from 02:00 EST to 03:00 EDT (07:00 UTC).
    schedule = CronSchedule.parse("30 2 * * *", "America/New_York")
    assert schedule.upcoming(utc(2026, 3, 7), 3) == [
        utc(2026, 3, 7, 7, 30),
        utc(2026, 3, 8, 7, 0),
        utc(2026, 3, 9, 6, 30),
    ]


@pytest.mark.parametrize(
    ("cron", "zone", "window", "expected"),
    [
        # 02:00, 02:15, 02:30, 02:45 (missing) and 03:00 (real) all land on 07:00 UTC.
        (
            "*/15 2-3 * * *",
            "America/New_York",
            (utc(2026, 3, 8, 5), utc(2026, 3, 8, 8), 100),
            [utc(2026, 3, 8, 7, minute) for minute in (0, 15, 30, 45)],
        ),
        # 2026-10-04 02:00 (+10:30) becomes 02:30 (+11:00) at 15:30 UTC the day before:
        # 02:00 and 02:15 (missing) and 02:30 (real) fire at 15:30, then 02:45.
        (
            "*/15 2 * * *",
            "Australia/Lord_Howe",
            (utc(2026, 10, 3, 12), utc(2026, 10, 3, 18), 10),
            [utc(2026, 10, 3, 15, minute) for minute in (30, 45)],
        ),
        # 2026-04-05 02:00 (+11:00) becomes 01:30 (+10:30): 01:30-01:59 happen twice.
        (
            "*/15 1 * * *",
            "Australia/Lord_Howe",
            (utc(2026, 4, 4, 12), utc(2026, 4, 4, 18), 10),
            [utc(2026, 4, 4, 14, minute) for minute in (0, 15, 30, 45)],
        ),
    ],
    ids=[
        "new-york-spring-forward-gap-times-and-first-real-time-fire-once",
        "lord-howe-half-hour-spring-forward",
        "lord-howe-half-hour-fall-back",
    ],
)
def test_slots_between_across_a_transition(
    cron: str, zone: str, window: tuple[datetime, datetime, int], expected: list[datetime]
) -> None:
    assert CronSchedule.parse(cron, zone).slots_between(*window) == expected


def test_new_york_fall_back_repeated_time_fires_once_at_first_occurrence() -> None:
    # 01:30 happens at 05:30 UTC (EDT) and again at 06:30 UTC (EST); only the first fires.
    schedule = CronSchedule.parse("30 1 * * *", "America/New_York")
    assert schedule.slots_between(utc(2026, 11, 1), utc(2026, 11, 2), 10) == [
        utc(2026, 11, 1, 5, 30)
    ]
    assert schedule.next_after(utc(2026, 11, 1, 5, 30)) == utc(2026, 11, 2, 6, 30)
    # Asked from inside the repeated hour, the answer is still the next day's slot.
    assert schedule.next_after(utc(2026, 11, 1, 6, 10)) == utc(2026, 11, 2, 6, 30)


def test_kolkata_has_a_half_hour_offset_and_no_dst() -> None:
    schedule = CronSchedule.parse("0 9 * * *", "Asia/Kolkata")
    assert schedule.upcoming(utc(2026, 3, 7, 12), 3) == [
        utc(2026, 3, 8, 3, 30),
        utc(2026, 3, 9, 3, 30),
        utc(2026, 3, 10, 3, 30),
    ]


@pytest.mark.parametrize(
    ("zone", "after", "expected_hours"),
    [
        # No duplicate and no gap when the clock jumps forward.
        ("America/New_York", utc(2026, 3, 8, 4, 30), [5, 6, 7, 8, 9, 10]),
        # 01:00 EST (06:00 UTC) repeats 01:00 EDT (05:00 UTC): the promised gap.
        ("America/New_York", utc(2026, 11, 1, 3, 30), [4, 5, 7, 8, 9, 10]),
        ("Europe/Berlin", utc(2026, 3, 28, 22, 30), [23, 24, 25, 26, 27, 28]),
        ("Europe/Berlin", utc(2026, 10, 24, 22, 30), [23, 24, 26, 27, 28, 29]),
        # Lord Howe: 02:00 is missing and fires at 02:30 (15:30 UTC), half an hour before 03:00.
        ("Australia/Lord_Howe", utc(2026, 10, 3, 12), [12.5, 13.5, 14.5, 15.5, 16, 17]),
        # Lord Howe: 02:00 comes 90 minutes after 01:00.
        ("Australia/Lord_Howe", utc(2026, 4, 4, 12), [13, 14, 15.5, 16.5, 17.5, 18.5]),
    ],
)
def test_hourly_upcoming_across_dst(
    zone: str, after: datetime, expected_hours: list[float]
) -> None:
    midnight = after.replace(hour=0, minute=0)
    expected = [midnight + timedelta(hours=h) for h in expected_hours]
    assert CronSchedule.parse("0 * * * *", zone).upcoming(after, 6) == expected


@pytest.mark.parametrize("zone", ZONES)
def test_upcoming_matches_repeated_next_after(zone: str) -> None:
    for cron in ("*/15 * * * *", "0 2 * * *", "30 1 * * *"):
        schedule = CronSchedule.parse(cron, zone)
        for kind in KINDS:
            start, _ = window(zone, 2026, kind, DAY)
            by_next_after = [schedule.next_after(start)]
            while len(by_next_after) < 20 and by_next_after[-1] is not None:
                by_next_after.append(schedule.next_after(by_next_after[-1]))
            assert schedule.upcoming(start, 20) == by_next_after


# --- case 9: bad input ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cron", "message"),
    [
        ("61 * * * *", r"cron '61 \* \* \* \*': minute 61 is out of range 0-59"),
        ("0 24 * * *", r"hour 24 is out of range 0-23"),
        ("0 0 0 * *", r"day 0 is out of range 1-31"),
        ("0 0 * * 8", r"weekday 8 is out of range 0-7"),
        ("60 * * * * *", r"second 60 is out of range 0-59"),
        ("*/70 * * * *", r"minute step 70 must be between 1 and 59"),
        (
            "* * *",
            r"cron '\* \* \*' has 3 fields; write 5 \(minute hour day month weekday\) or 6 \(second first\)",
        ),
        ("", r"has 0 fields; write 5"),
        ("0 0 1 1 * * 2030", r"has 7 fields; a year field is not supported"),
        ("@fortnightly", r"unknown preset '@fortnightly'; use one of @yearly, .*@hourly"),
        ("0 0 30 2 *", r"cron '0 0 30 2 \*' never fires \(no date matches it\)"),
        ("0 0 31 4 *", r"never fires"),
        ("R * * * *", r"minute 'R' uses R or H"),
        ("0 0 * * 1#6", r"weekday '1#6' is not valid"),
        ("0 0 * * xyz", r"weekday 'xyz' is not valid"),
    ],
)
def test_parse_rejects_bad_cron(cron: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        CronSchedule.parse(cron, "UTC")
    with pytest.raises(ValueError, match=message):
        CronSchedule.check_cron(cron)


@pytest.mark.parametrize("zone", ["Mars/Olympus", "", "localtime", "../etc/passwd", "/etc/x"])
def test_parse_rejects_bad_time_zone(zone: str) -> None:
    message = f"unknown time zone '{zone}'; use an IANA name such as Europe/Berlin or UTC"
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(".", r"\.")):
        CronSchedule.parse("0 9 * * *", zone)
    with pytest.raises(ValueError, match="unknown time zone"):
        CronSchedule.check_timezone(zone)


@pytest.mark.parametrize(
    "cron",
    ["@daily", "@hourly", "@yearly", "0 0 29 2 *", "*/5 * * * * *", "0 9 * * mon-fri", "0 0 L * *"],
)
def test_parse_accepts(cron: str) -> None:
    assert CronSchedule.check_cron(cron) == cron
    schedule = CronSchedule.parse(cron, "UTC")
    assert schedule.cron == cron
    assert schedule.timezone == "UTC"
    assert schedule.next_after(utc(2026, 1, 1)) is not None


def test_check_timezone_returns_name() -> None:
    assert CronSchedule.check_timezone("Europe/Berlin") == "Europe/Berlin"


def test_presets_expand_to_their_expressions() -> None:
    after = utc(2026, 5, 17, 13, 14)
    for preset, expression in PRESETS.items():
        by_preset = CronSchedule.parse(preset, "Europe/Berlin").upcoming(after, 3)
        assert by_preset == CronSchedule.parse(expression, "Europe/Berlin").upcoming(after, 3)


def test_leap_day_fires_every_four_years() -> None:
    schedule = CronSchedule.parse("0 0 29 2 *", "UTC")
    assert schedule.upcoming(utc(2025, 1, 1), 2) == [utc(2028, 2, 29), utc(2032, 2, 29)]


def test_seconds_field_comes_first() -> None:
    schedule = CronSchedule.parse("*/5 * * * * *", "UTC")
    start = utc(2026, 1, 1)
    assert schedule.upcoming(start, 3) == [start + i * 5 * SECOND for i in (1, 2, 3)]
    at = CronSchedule.parse("15 30 9 * * *", "UTC")
    assert at.next_after(start) == utc(2026, 1, 1, 9, 30, 15)
    assert at.describe() == "every day at 09:30:15 (UTC)"


# --- describe, key, API details -------------------------------------------------------------


@pytest.mark.parametrize(
    ("cron", "zone", "text"),
    [
        ("0 9 * * *", "Europe/Berlin", "every day at 09:00 (Europe/Berlin)"),
        ("*/15 * * * *", "UTC", "every 15 minutes (UTC)"),
        ("0 9 * * 1-5", "Europe/Berlin", "at 09:00, Monday through Friday (Europe/Berlin)"),
        ("0 9,17 * * *", "UTC", "every day at 09:00 and 17:00 (UTC)"),
        ("@daily", "Asia/Kolkata", "every day at 00:00 (Asia/Kolkata)"),
        ("@hourly", "UTC", "every hour (UTC)"),
        ("@weekly", "UTC", "at 00:00, only on Sunday (UTC)"),
        ("@monthly", "UTC", "at 00:00, on day 1 of the month (UTC)"),
        ("*/5 * * * * *", "UTC", "every 5 seconds (UTC)"),
        ("30 14 * * *", "America/New_York", "every day at 14:30 (America/New_York)"),
    ],
)
def test_describe(cron: str, zone: str, text: str) -> None:
    assert CronSchedule.parse(cron, zone).describe() == text


def test_key_and_equality() -> None:
    schedule = CronSchedule.parse("@daily", "Europe/Berlin")
    assert schedule.key == "@daily|Europe/Berlin"
    assert schedule == CronSchedule.parse("@daily", "Europe/Berlin")
    assert schedule != CronSchedule.parse("0 0 * * *", "Europe/Berlin")
    assert len({schedule, CronSchedule.parse("@daily", "Europe/Berlin")}) == 1
    assert repr(schedule) == "CronSchedule('@daily', 'Europe/Berlin')"


def test_next_after_accepts_any_zone_and_returns_utc() -> None:
    schedule = CronSchedule.parse("0 9 * * *", "Europe/Berlin")
    berlin = datetime(2026, 6, 1, 8, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    found = schedule.next_after(berlin)
    assert found == utc(2026, 6, 1, 7, 0)
    assert found is not None and found.tzinfo is UTC
    assert schedule.next_after(found) == utc(2026, 6, 2, 7, 0)


def test_naive_datetimes_are_rejected() -> None:
    schedule = CronSchedule.parse("0 9 * * *", "UTC")
    with pytest.raises(ValueError, match="no time zone"):
        schedule.next_after(datetime(2026, 1, 1))


def test_slots_between_keeps_the_oldest_within_limit() -> None:
    schedule = CronSchedule.parse("0 * * * *", "UTC")
    start, end = utc(2026, 1, 1, 0), utc(2026, 1, 1, 5)
    assert schedule.slots_between(start, end, 100) == [utc(2026, 1, 1, h) for h in range(1, 6)]
    assert schedule.slots_between(start, end, 2) == [utc(2026, 1, 1, 1), utc(2026, 1, 1, 2)]
    assert schedule.slots_between(start, end, 0) == []
    assert schedule.slots_between(end, start, 10) == []
    assert schedule.slots_between(start, start + MINUTE * 59, 10) == []
    with pytest.raises(ValueError, match="limit"):
        schedule.slots_between(start, end, -1)


def test_upcoming_basics() -> None:
    schedule = CronSchedule.parse("0 0 * * *", "UTC")
    assert schedule.upcoming(utc(2026, 1, 1), 0) == []
    assert schedule.upcoming(utc(2026, 1, 1), 2) == [utc(2026, 1, 2), utc(2026, 1, 3)]
    with pytest.raises(ValueError, match="count"):
        schedule.upcoming(utc(2026, 1, 1), -1)


def test_result_does_not_depend_on_the_host_time_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    schedule = CronSchedule.parse("*/30 * * * *", "America/New_York")
    start, end = utc(2026, 3, 8, 5), utc(2026, 3, 8, 9)
    expected = schedule.slots_between(start, end, 100)
    for host in ("America/New_York", "Australia/Lord_Howe"):
        monkeypatch.setenv("TZ", host)
        time.tzset()
        assert (
            CronSchedule.parse("*/30 * * * *", "America/New_York").slots_between(start, end, 100)
            == expected
        )
    monkeypatch.undo()
    time.tzset()


def test_next_after_is_fast() -> None:
    """The scheduler calls next_after often: well under a millisecond for ordinary crons."""
    probes = [utc(2026, 3, 8, 6, 59, 30), utc(2026, 11, 1, 5, 50), utc(2026, 6, 1)]
    schedules = [
        CronSchedule.parse(cron, "America/New_York")
        for cron in ("*/15 * * * *", "0 9 * * 1-5", "*/5 * * * * *", "@daily")
    ]
    started = time.perf_counter()
    for _ in range(20):
        for schedule in schedules:
            for probe in probes:
                schedule.next_after(probe)
    assert (time.perf_counter() - started) / (20 * 12) < 0.001


def test_next_after_from_a_repeated_hour_does_not_walk_it() -> None:
    """From the second 01:10 of a fall-back night, a seconds cron answers without stepping
    through the wall times that already fired (about 3,000 croniter steps, ~100 ms)."""
    schedule = CronSchedule.parse("* * * * * *", "America/New_York")
    probe = utc(2026, 11, 1, 6, 10)
    started = time.perf_counter()
    for _ in range(20):
        assert schedule.next_after(probe) == utc(2026, 11, 1, 7)
    assert time.perf_counter() - started < 0.5
