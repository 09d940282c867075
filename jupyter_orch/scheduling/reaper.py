"""Crash recovery: find runs whose executing process is gone, kill what they left running,
and fail or resume them.

A `running` run belongs to an instance (scheduler, server or CLI process) that heartbeats in
the store. The run is orphaned when that instance stopped, stopped beating, or (on this
host) its process no longer exists. Its running attempts fail as "orphaned: ...", their
recorded process groups are killed, and then:

- a run whose cancellation was requested ends `cancelled`;
- a run of a CLI process ends `failed` (nobody is watching it to resume);
- otherwise the run goes back to `queued` so that a scheduler resumes it: a step caught
  running gets a further attempt when its retries allow, else it fails and the run settles
  the rest as usual (dependants upstream_failed, `any_failed` steps run).
"""

from __future__ import annotations

import socket
from datetime import datetime, timedelta

import psutil

from jupyter_orch.executors.processes import kill_recorded_processes
from jupyter_orch.masking import masked_logger
from jupyter_orch.records import RunStatus, StepStatus
from jupyter_orch.spec import PipelineSpec
from jupyter_orch.store.base import ReaperStore
from jupyter_orch.store.types import RunningRun

log = masked_logger("jupyter_orch.scheduling.scheduler")


def orphan_reason(run: RunningRun, now: datetime, stale_after: float) -> str | None:
    """Why ``run`` has no live coordinator, or None when it has one."""
    instance = run.instance
    if instance is None:
        beat = run.heartbeat_at
        if beat is None or (now - beat).total_seconds() > stale_after:
            return "no process is executing it"
        return None
    who = f"the {instance.kind} process (pid {instance.pid} on {instance.host})"
    if instance.stopped_at is not None:
        return f"{who} stopped without finishing it"
    if instance.host == socket.gethostname() and not _same_process_alive(
        instance.pid, instance.started_at
    ):
        return f"{who} is gone"
    silence = (now - instance.heartbeat_at).total_seconds()
    if silence > stale_after:
        return f"{who} has not sent a heartbeat for {silence:.0f} s"
    return None


def _same_process_alive(pid: int, started_at: datetime) -> bool:
    try:
        process = psutil.Process(pid)
        created = process.create_time()
        alive = process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False
    # A pid reused by a newer process is not the instance.
    return alive and created <= started_at.timestamp() + 1


#: Instances stopped or silent for this long are forgotten (unless a running run names them).
FORGET_AFTER = timedelta(days=1)


def reap(
    store: ReaperStore, now: datetime, *, stale_after: float, me: str | None = None
) -> list[str]:
    """Recover every orphaned run; returns their ids."""
    store.prune_instances(now - FORGET_AFTER)
    reaped: list[str] = []
    for run in store.running_runs():
        if me is not None and run.claimed_by == me:
            continue
        reason = orphan_reason(run, now, stale_after)
        if reason is None:
            continue
        for processes in run.processes:
            host = str(processes.get("host", ""))
            pids = {k: int(v) for k, v in processes.items() if k != "host" and v}
            kill_recorded_processes(pids, host)
        if _recover(store, run, f"orphaned: {reason}", now):
            reaped.append(run.run_id)
    return reaped


def _recover(store: ReaperStore, run: RunningRun, reason: str, now: datetime) -> bool:
    if run.cancel_requested:
        log.info("run %s of %s: %s; cancelled as requested", run.run_id, run.pipeline, reason)
        return store.end_orphan(run.run_id, run.claimed_by, RunStatus.CANCELLED, reason, now)
    if run.instance is not None and run.instance.kind == "cli":
        error = f"{reason}; `jupyter orch rerun --from-failed {run.run_id}` runs the rest"
        log.info("run %s of %s failed: %s", run.run_id, run.pipeline, error)
        return store.end_orphan(run.run_id, run.claimed_by, RunStatus.FAILED, error, now)
    record = store.get_run(run.run_id)
    spec = PipelineSpec.from_stored(store.get_version(run.pipeline, run.version).definition)
    retry_at: dict[str, datetime | None] = {}
    for step in record.steps:
        if step.status is not StepStatus.RUNNING:
            continue
        own = spec.step(step.parent or step.name)  # an item of a for-each step: that step's
        if step.parent is None and own.for_each is not None:
            retry_at[step.name] = now  # it goes on with its items as the run resumes
            continue
        policy = spec.policy(own)
        number = len(step.attempts)
        retries_left = number <= policy.retries
        delay = policy.delay_before(number + 1)
        retry_at[step.name] = now + timedelta(seconds=delay) if retries_left else None
    log.info("run %s of %s: %s; queued to resume", run.run_id, run.pipeline, reason)
    return store.requeue_orphan(
        run.run_id, run.claimed_by, error=reason, retry_at=retry_at, now=now
    )
