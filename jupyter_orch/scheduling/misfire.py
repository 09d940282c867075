"""Which slots of a schedule run now: pure arithmetic on the stored next slot and the clock.

A slot that is due at most ``on_time`` seconds ago is on time and always runs. Older slots
are misfires, handled by the schedule's policy:

- ``skip``: none runs;
- ``coalesce``: one run, for the newest of them (unless an on-time slot runs anyway);
- ``all``: the newest ``max_catchup`` run, oldest first.

Slots older than ``misfire_grace`` never run. Every slot that does not run is returned as
missed, with the reason, so that it is stored and shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from jupyter_orch.durations import format_duration
from jupyter_orch.scheduling.schedules import CronSchedule
from jupyter_orch.spec import Misfire, ScheduleSpec

#: A slot this late (seconds) is still on time: the scheduler polls every second or so, and a
#: new leader takes over within the lease's lifetime.
ON_TIME_S = 60.0
#: At most this many past slots are looked at in one evaluation (a seconds cron after a long
#: stop would otherwise mean millions of rows).
SCAN_LIMIT = 1000


@dataclass(frozen=True)
class Plan:
    run: list[datetime] = field(default_factory=list)
    missed: list[tuple[datetime, str]] = field(default_factory=list)
    next_run_at: datetime | None = None


def plan_slots(
    cron: CronSchedule,
    schedule: ScheduleSpec,
    next_run_at: datetime | None,
    now: datetime,
    *,
    on_time: float = ON_TIME_S,
) -> Plan:
    """Slots to run and slots missed, given the stored next slot; and the new next slot."""
    if next_run_at is None:
        return Plan(next_run_at=cron.next_after(now))
    if next_run_at > now:
        return Plan(next_run_at=next_run_at)
    due = [next_run_at, *cron.slots_between(next_run_at, now, SCAN_LIMIT - 1)]
    upcoming = cron.next_after(now)
    missed: list[tuple[datetime, str]] = []
    if schedule.misfire_grace is not None:
        horizon = now - timedelta(seconds=schedule.misfire_grace)
        grace = format_duration(schedule.misfire_grace)
        missed += [(s, f"older than misfire_grace ({grace})") for s in due if s < horizon]
        due = [s for s in due if s >= horizon]
    punctual = [s for s in due if (now - s).total_seconds() <= on_time]
    late = [s for s in due if s not in punctual]
    run = list(punctual)
    if schedule.misfire is Misfire.SKIP:
        missed += [(s, "missed while no scheduler ran (misfire: skip)") for s in late]
    elif schedule.misfire is Misfire.COALESCE:
        if late and not run:
            run = [late.pop()]
        into = run[-1].isoformat() if run else ""
        missed += [(s, f"coalesced into the run for {into}") for s in late]
    else:
        catch_up = late[-schedule.max_catchup :] if late else []
        missed += [
            (s, f"beyond max_catchup ({schedule.max_catchup})") for s in late if s not in catch_up
        ]
        run = catch_up + run
    missed.sort()
    return Plan(run=run, missed=missed, next_run_at=upcoming)
