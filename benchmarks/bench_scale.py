"""Scenarios 9 and 10: past small numbers. A pipeline of 1,000 steps (a chain, and a fan-out of
998 between a root and a join): ``validate``'s time and the run coordinator's cost per step;
and 10,000 applied schedules: the headless scheduler's idle CPU and how late a due slot fires.

Steps are function steps (``python: work.py:noop``). Scenario 9 runs the coordinator in this
process with ``InstantExecutor``, whose tasks succeed at once: what is left of a run's wall
time is the coordinator's own (readiness, templates, records in the store), which is what
grows with the number of steps if anything does. A real function step runs in a process of
its own and costs about a second more (start-up), the same for every step.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import psutil
from bench_context import Context, Outcome, Row, bounded, maybe, median, millis, percent, seconds
from bench_procs import MARKER_VAR, tree_cpu

from jupyter_orch.executors.base import Execution, Executor, LogSink, Task, TaskResult
from jupyter_orch.pipelines.loader import load_pipeline
from jupyter_orch.runner import RunCoordinator
from jupyter_orch.service import Orchestrator
from jupyter_orch.store.repository import Store

STEPS = 1000
#: The same shapes at this size show whether the cost per step grows with the steps.
SMALL = 100
WORK = "def noop(i: int = 0) -> None:\n    return None\n"
SCHEDULES = 10_000
APPLY_BATCH = 500
IDLE_SECONDS = 60.0
#: Slots of the pipelines applied last, this many seconds after they are applied.
DUE_AFTER_S = (25, 30, 35)


class InstantExecution(Execution):
    def __init__(self, task: Task) -> None:
        self.task = task

    async def wait(self) -> TaskResult:
        return TaskResult("succeeded", {}, None, self.task.output_notebook)

    async def stop(self, reason: str) -> TaskResult:
        return await self.wait()


class InstantExecutor(Executor):
    """Every task succeeds at once, without a process: only the coordinator's work is left."""

    async def submit(self, task: Task, on_log: LogSink) -> Execution:
        return InstantExecution(task)

    async def release(self, reuse_key: str) -> None:
        return None

    async def close(self) -> None:
        return None


def chain_steps_yaml(name: str, count: int) -> str:
    lines = [f"name: {name}", "steps:"]
    for index in range(count):
        lines += [
            f"  - name: s{index}",
            "    python: work.py:noop",
            f"    parameters: {{i: {index}}}",
        ]
        if index:
            lines.append(f"    needs: [s{index - 1}]")
    return "\n".join(lines) + "\n"


def fan_steps_yaml(name: str, count: int) -> str:
    branches = [f"b{index}" for index in range(count - 2)]
    lines = [f"name: {name}", "steps:", "  - name: root", "    python: work.py:noop"]
    for index, branch in enumerate(branches):
        lines += [
            f"  - name: {branch}",
            "    python: work.py:noop",
            f"    parameters: {{i: {index}}}",
            "    needs: [root]",
        ]
    lines += ["  - name: join", "    python: work.py:noop", f"    needs: [{', '.join(branches)}]"]
    return "\n".join(lines) + "\n"


def _coordinated(ctx: Context, path: Path, store: Store) -> float:
    """Seconds of one run of ``path`` by the coordinator on the instant executor."""
    orch = Orchestrator(store, ctx.runs_dir)
    loaded = load_pipeline(path)
    run = orch.create_run(loaded, orch.register(loaded).version)
    coordinator = RunCoordinator(store, InstantExecutor(), loaded, run)
    began = time.perf_counter()
    final = asyncio.run(coordinator.execute())
    wall = time.perf_counter() - began
    if final.status.value != "succeeded":
        ctx.failures.append(f"{path.name}: the run ended {final.status.value}: {final.error}")
    return wall


def thousand_steps(ctx: Context) -> Outcome:
    """9. 1,000 steps: validate (CLI and in-process) and the coordinator's cost per step."""
    folder = ctx.root / "s9"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "work.py").write_text(WORK)
    shapes = {"chain": chain_steps_yaml, "fan-out": fan_steps_yaml}
    files = {
        (shape, size): ctx.pipeline(folder / f"{shape}-{size}.yaml", make(f"{shape}-{size}", size))
        for shape, make in shapes.items()
        for size in (SMALL, STEPS)
    }
    store = Store.open(f"sqlite:///{folder / 'coordinator.sqlite'}")
    cli: dict[str, list[float]] = {shape: [] for shape in shapes}
    inner: dict[str, list[float]] = {shape: [] for shape in shapes}
    per_step: dict[str, list[float]] = {f"{s}-{n}": [] for s in shapes for n in (SMALL, STEPS)}
    for _ in ctx.rounds("scenario 9"):
        for shape in shapes:
            path = files[(shape, STEPS)]
            cli[shape].append(ctx.run(ctx.orch("validate", str(path)), cwd=folder).wall_s)
            began = time.perf_counter()
            load_pipeline(path, thorough=True)
            inner[shape].append(time.perf_counter() - began)
            for size in (SMALL, STEPS):
                wall = _coordinated(ctx, files[(shape, size)], store)
                per_step[f"{shape}-{size}"].append(wall / size)
                ctx.log(f"  {shape} of {size}: {wall:.2f} s, {wall / size * 1000:.1f} ms/step")
    rows: list[Row] = []
    for shape in shapes:
        rows += [
            bounded(
                f"9. validate {STEPS} steps ({shape}), CLI",
                median(cli[shape]),
                seconds,
                at_most=1.0,
                context="whole `jupyter orch validate` process",
            ),
            bounded(
                f"9. validate {STEPS} steps ({shape}), in-process",
                median(inner[shape]),
                seconds,
                at_most=1.0,
                context="load_pipeline(thorough=True)",
            ),
        ]
        big, small = median(per_step[f"{shape}-{STEPS}"]), median(per_step[f"{shape}-{SMALL}"])
        rows.append(
            bounded(
                f"9. coordinator per step ({shape} of {STEPS})",
                big,
                millis,
                at_most=0.060,
                context=f"{shape} of {SMALL}: {maybe(small, millis)}",
            )
        )
        growth = big / small if big is not None and small else None
        rows.append(
            bounded(
                f"9. per step, {STEPS} vs {SMALL} steps ({shape})",
                growth,
                lambda v: f"{v:.2f} x",
                at_most=2.0,
                context="1.0: linear",
            )
        )
    details = [
        "steps are function steps; the coordinator runs in this process on an executor whose "
        "tasks succeed at once (records go to a SQLite store in the temporary folder)",
        *(f"validate {s} (CLI wall): {', '.join(seconds(v) for v in cli[s])}" for s in shapes),
        *(
            f"coordinator {k}: {', '.join(millis(v) for v in vs)} per step"
            for k, vs in per_step.items()
        ),
    ]
    data = {"validate_cli_s": cli, "validate_in_process_s": inner, "per_step_s": per_step}
    return Outcome(f"Pipelines of {STEPS} steps", rows, details, data)


# --- scenario 10 -----------------------------------------------------------------------------


def _quiet_cron(index: int, now: datetime) -> str:
    """Daily, at a minute spread over the hours at least two hours away from ``now``."""
    hours = [h for h in range(24) if (h - now.hour) % 24 not in (23, 0, 1, 2)]
    return f"{index % 60} {hours[(index // 60) % len(hours)]} * * *"


def _orch(ctx: Context, folder: Path, *args: str) -> list[str]:
    """``jupyter orch ARGS`` on the scenario's own store: 10,000 pipelines would slow the
    other scenarios' runs (admission reads every pipeline's limits)."""
    url = f"sqlite:///{folder / 'schedules.sqlite'}"
    return [ctx.jupyter, "orch", *args, "--db", url, "--runs-dir", str(folder / "runs")]


def _apply(ctx: Context, folder: Path, paths: list[Path]) -> None:
    for start in range(0, len(paths), APPLY_BATCH):
        batch = [str(p) for p in paths[start : start + APPLY_BATCH]]
        done = subprocess.run(
            _orch(ctx, folder, "apply", *batch),
            cwd=folder,
            env=ctx.env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"jupyter orch apply failed:\n{done.stderr[-2000:]}")


def _settle(ctx: Context, proc: psutil.Process, limit: float = 300.0) -> float:
    """Seconds until the scheduler uses under 5% of a core over 5 s (its first full read)."""
    began = time.monotonic()
    while time.monotonic() - began < limit:
        before = tree_cpu(proc)
        time.sleep(5.0)
        if (tree_cpu(proc) - before) / 5.0 < 0.05:
            break
    return time.monotonic() - began


def _due_delays(ctx: Context, folder: Path, store: Store) -> list[float | None]:
    """Apply pipelines whose only slot is a known second soon; how late each run was made."""
    now = datetime.now(timezone.utc).replace(microsecond=0)
    slots = [now + timedelta(seconds=after) for after in DUE_AFTER_S]
    paths = []
    for index, slot in enumerate(slots):
        cron = f"{slot.second} {slot.minute} {slot.hour} {slot.day} {slot.month} *"
        paths.append(folder / f"due-{index}.yaml")
        paths[-1].write_text(
            f'name: due-{index}\nschedule: "{cron}"\nsteps:\n  - name: s\n'
            "    python: work.py:noop\n"
        )
    _apply(ctx, folder, paths)
    delays: list[float | None] = []
    for index, slot in enumerate(slots):
        runs: list[Any] = []
        while datetime.now(timezone.utc) < slot + timedelta(seconds=15):
            runs = store.list_runs(pipeline=f"due-{index}", limit=1)
            if runs:
                break
            time.sleep(0.2)
        found = runs[0] if runs else None
        made_for = (found.scheduled_for or slot) if found else slot
        delays.append((found.created_at - made_for).total_seconds() if found else None)
    return delays


def ten_thousand_schedules(ctx: Context) -> Outcome:
    """10. 10,000 applied schedules: the scheduler's idle CPU; a due slot's lateness."""
    folder = ctx.root / "s10"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "work.py").write_text(WORK)
    now = datetime.now(timezone.utc)
    paths = []
    for index in range(SCHEDULES):
        paths.append(folder / f"p{index:05d}.yaml")
        paths[-1].write_text(
            f'name: p{index:05d}\nschedule: "{_quiet_cron(index, now)}"\nsteps:\n'
            "  - name: s\n    python: work.py:noop\n"
        )
    began = time.perf_counter()
    _apply(ctx, folder, paths)
    applied = time.perf_counter() - began
    ctx.log(f"  applied {SCHEDULES} pipelines in {applied:.0f} s")
    env = {**ctx.env, MARKER_VAR: f"{ctx.marker_prefix}-scheduler"}
    log = (ctx.root / "scheduler.log").open("w")
    started = subprocess.Popen(
        _orch(ctx, folder, "scheduler"), cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    proc = psutil.Process(started.pid)
    store = Store.open(f"sqlite:///{folder / 'schedules.sqlite'}")
    data: dict[str, Any] = {"apply_s": applied}
    try:
        data["settle_s"] = _settle(ctx, proc)
        before, wall = tree_cpu(proc), time.monotonic()
        time.sleep(IDLE_SECONDS)
        data["idle_cpu"] = (tree_cpu(proc) - before) / (time.monotonic() - wall)
        ctx.log(f"  idle: {data['idle_cpu'] * 100:.2f}% of a core over {IDLE_SECONDS:g} s")
        data["due_delays_s"] = _due_delays(ctx, folder, store)
    finally:
        started.send_signal(signal.SIGTERM)
        try:
            started.wait(60)
        except subprocess.TimeoutExpired:
            started.kill()
        log.close()
    delays = [d for d in data["due_delays_s"] if d is not None]
    late = max(delays) if len(delays) == len(DUE_AFTER_S) else None
    rows = [
        bounded(
            f"10. scheduler idle CPU, {SCHEDULES} schedules",
            data["idle_cpu"],
            percent,
            at_most=0.02,
            context=f"over {IDLE_SECONDS:g} s, after {data['settle_s']:.0f} s of its first read",
        ),
        bounded(
            "10. a due slot's run made after its time (max)",
            late,
            millis,
            at_most=1.0,
            context=f"{len(DUE_AFTER_S)} slots, created_at - scheduled_for",
        ),
    ]
    details = [
        f"{SCHEDULES} pipelines (daily crons, none due during the scenario) applied with "
        f"`jupyter orch apply`, {APPLY_BATCH} files per call: {applied:.0f} s "
        f"({SCHEDULES / applied:.0f} per second)",
        "due slots: " + ", ".join(maybe(d, millis) for d in data["due_delays_s"]),
    ]
    return Outcome(f"{SCHEDULES} schedules", rows, details, data)
