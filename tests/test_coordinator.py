"""The run coordinator with a fake executor and a fake clock: retries and their backoff,
timeouts, max_duration, ``if:`` and ``run_if``, cancel and shutdown, resume after a restart.

Records are read back from a real SQLite store; no kernel starts and no real second passes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from itertools import pairwise
from pathlib import Path

import pytest

from jupyter_orch.pipelines.loader import LoadedPipeline, load_pipeline
from jupyter_orch.records import AttemptRecord, AttemptStatus, RunRecord, RunStatus, StepStatus
from jupyter_orch.runner import RunCoordinator
from jupyter_orch.service import Orchestrator
from jupyter_orch.store.repository import Store

from .conftest import write_notebook, write_steps
from .fakes import FAILS, HANGS, FakeClock, FakeExecutor, Script, copied_store, run_with_clock

S = StepStatus


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = copied_store(tmp_path)
    yield store  # type: ignore[misc]
    store.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def new_run(
    tmp_path: Path, store: Store, steps: str, head: str = ""
) -> tuple[LoadedPipeline, RunRecord]:
    write_notebook(tmp_path / "nb.ipynb", "n = 0", "print(n)")
    loaded = load_pipeline(write_steps(tmp_path, "coordinated", steps, head))
    orch = Orchestrator(store, tmp_path / "runs")
    run = orch.create_run(loaded, orch.register(loaded).version)
    return loaded, run


def execute(
    store: Store,
    loaded: LoadedPipeline,
    run: RunRecord,
    executor: FakeExecutor,
    clock: FakeClock,
    *,
    stop_when: str | None = None,
    stop_reason: str | None = None,
) -> RunRecord:
    """The run to its end; with ``stop_when``, its task is cancelled once that step is sent
    (after setting ``stop_reason``, as a server shutting down does)."""

    async def main() -> RunRecord:
        coordinator = RunCoordinator(store, executor, loaded, run, clock=clock, sleep=clock.sleep)
        task = asyncio.ensure_future(coordinator.execute())
        if stop_when is not None:
            await executor.submitted[stop_when].wait()
            coordinator.stop_reason = stop_reason
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            return store.get_run(run.id)
        return await task

    return run_with_clock(main, clock)


Coordinate = Callable[..., tuple[RunRecord, FakeExecutor]]


@pytest.fixture
def coordinate(tmp_path: Path, store: Store, clock: FakeClock) -> Coordinate:
    """``coordinate(steps, scripts, head=..., stop_when=..., stop_reason=...)``: the run of
    these steps (YAML, under ``head``) played to its end on a ``FakeExecutor`` with ``scripts``
    and the fake clock, as ``execute`` plays it; returns the finished run and the executor."""

    def coordinate(
        steps: str,
        scripts: dict[str, list[Script]] | None = None,
        *,
        head: str = "",
        stop_when: str | None = None,
        stop_reason: str | None = None,
    ) -> tuple[RunRecord, FakeExecutor]:
        loaded, run = new_run(tmp_path, store, steps, head)
        executor = FakeExecutor(scripts, clock=clock)
        done = execute(
            store, loaded, run, executor, clock, stop_when=stop_when, stop_reason=stop_reason
        )
        return done, executor

    return coordinate


def statuses(run: RunRecord) -> dict[str, StepStatus]:
    return {step.name: step.status for step in run.steps}


def messages(store: Store, run: RunRecord) -> list[str]:
    return [line.message for line in store.get_logs(run.id)]


# --- retries ----------------------------------------------------------------------------------


def test_retry_delays_grow_by_the_backoff_up_to_the_max(
    coordinate: Coordinate, store: Store, clock: FakeClock
) -> None:
    done, executor = coordinate(
        """
        - {name: a, notebook: nb.ipynb, retries: 4, retry_delay: 10s, retry_backoff: 3,
           retry_max_delay: 1m}
        """,
        {"a": [FAILS, FAILS, FAILS, FAILS, Script()]},
    )

    assert clock.sleeps == [10, 30, 60, 60]
    assert done.status is RunStatus.SUCCEEDED
    attempts = done.step("a").attempts
    assert [a.status for a in attempts] == [AttemptStatus.FAILED] * 4 + [AttemptStatus.SUCCEEDED]
    gaps = [(b.started_at - a.ended_at).total_seconds() for a, b in pairwise(attempts)]
    assert gaps == [10, 30, 60, 60]
    assert [Path(t.output_notebook).name for t in executor.tasks] == [
        "a.ipynb",
        "a.attempt-2.ipynb",
        "a.attempt-3.ipynb",
        "a.attempt-4.ipynb",
        "a.attempt-5.ipynb",
    ]
    assert (
        "Step 1: a failed: ValueError: scripted failure (at cell 2); retrying in 30s (attempt 3 of 5)"
        in messages(store, done)
    )


def test_a_step_out_of_retries_fails_the_run_and_its_dependants(
    coordinate: Coordinate, store: Store, clock: FakeClock
) -> None:
    done, executor = coordinate(
        """
        - {name: a, notebook: nb.ipynb, retries: 1, retry_delay: 5s}
        - {name: b, notebook: nb.ipynb, needs: [a]}
        """,
        {"a": [FAILS]},
    )

    assert clock.sleeps == [5]
    assert done.status is RunStatus.FAILED and done.error == "step a failed"
    assert statuses(done) == {"a": S.FAILED, "b": S.UPSTREAM_FAILED}
    assert executor.steps() == ["a", "a"]
    assert messages(store, done)[-1] == "Pipeline failed at step a"


# --- timeouts ---------------------------------------------------------------------------------


@pytest.mark.parametrize("retry_on_timeout", [True, False])
def test_a_timed_out_attempt_is_retried_only_with_retry_on_timeout(
    coordinate: Coordinate, clock: FakeClock, retry_on_timeout: bool
) -> None:
    flag = str(retry_on_timeout).lower()
    done, executor = coordinate(
        f"""
        - {{name: a, notebook: nb.ipynb, timeout: 5m, retries: 2, retry_delay: 1s,
           retry_on_timeout: {flag}}}
        """,
        {"a": [HANGS, Script()]},
    )

    first = done.step("a").attempts[0]
    assert first.status is AttemptStatus.TIMED_OUT
    assert first.error and first.error["evalue"] == "step exceeded its timeout of 5m00s"
    assert (first.ended_at - first.started_at).total_seconds() == 300
    assert executor.executions[0].stopped == "timeout"
    if retry_on_timeout:
        assert clock.sleeps == [300, 1, 300]
        assert done.status is RunStatus.SUCCEEDED
        assert [a.status for a in done.step("a").attempts][1] is AttemptStatus.SUCCEEDED
    else:
        assert clock.sleeps == [300]
        assert len(done.step("a").attempts) == 1
        assert statuses(done) == {"a": S.TIMED_OUT}
        # a step's timeout fails the run; only max_duration times the run out
        assert done.status is RunStatus.FAILED and done.error == "step a timed_out"


def test_max_duration_times_the_run_out_and_cancels_what_runs(
    coordinate: Coordinate, store: Store
) -> None:
    done, executor = coordinate(
        """
        - {name: a, notebook: nb.ipynb}
        - {name: b, notebook: nb.ipynb, needs: [a], timeout: 1h}
        - {name: c, notebook: nb.ipynb, needs: [b]}
        """,
        {"a": [Script(seconds=60)], "b": [HANGS]},
        head="limits: {max_duration: 90s}\n",
    )

    assert done.status is RunStatus.TIMED_OUT
    assert done.error == "the run exceeded its max_duration of 1m30s"
    assert (done.ended_at - done.started_at).total_seconds() == 90
    assert statuses(done) == {"a": S.SUCCEEDED, "b": S.CANCELLED, "c": S.CANCELLED}
    assert done.step("b").attempts[0].status is AttemptStatus.CANCELLED
    assert executor.executions[1].stopped == "cancelled"
    assert (
        messages(store, done)[-1]
        == "Pipeline timed_out: the run exceeded its max_duration of 1m30s"
    )


def test_steps_within_their_timeout_and_the_run_within_max_duration_succeed(
    coordinate: Coordinate,
) -> None:
    done, _ = coordinate(
        """
        - {name: a, notebook: nb.ipynb, timeout: 61s}
        - {name: b, notebook: nb.ipynb, needs: [a], timeout: 61s}
        """,
        {"a": [Script(seconds=60)], "b": [Script(seconds=60)]},
        head="limits: {max_duration: 121s}\n",
    )

    assert done.status is RunStatus.SUCCEEDED
    assert (done.ended_at - done.started_at).total_seconds() == 120


# --- if: and run_if ---------------------------------------------------------------------------


def test_run_if_and_if_decide_which_steps_run(coordinate: Coordinate, store: Store) -> None:
    done, executor = coordinate(
        """
        - {name: ok, notebook: nb.ipynb}
        - {name: bad, notebook: nb.ipynb}
        - {name: after_bad, notebook: nb.ipynb, needs: [bad]}
        - {name: then, notebook: nb.ipynb, needs: [after_bad]}
        - {name: on_failure, notebook: nb.ipynb, needs: [bad], run_if: any_failed}
        - {name: no_failure, notebook: nb.ipynb, needs: [ok], run_if: any_failed}
        - {name: cleanup, notebook: nb.ipynb, needs: [ok, bad], run_if: all_done}
        - {name: none_failed, notebook: nb.ipynb, needs: [ok, bad], run_if: none_failed}
        - {name: big, notebook: nb.ipynb, needs: [ok], if: "steps.ok.outputs.n > 10"}
        - {name: small, notebook: nb.ipynb, needs: [ok], if: "steps.ok.outputs.n <= 10"}
        - {name: after_skip, notebook: nb.ipynb, needs: [big]}
        - {name: skip_ok, notebook: nb.ipynb, needs: [big], run_if: none_failed}
        """,
        {"ok": [Script(outputs={"n": 3})], "bad": [FAILS]},
    )

    assert statuses(done) == {
        "ok": S.SUCCEEDED,
        "bad": S.FAILED,
        "after_bad": S.UPSTREAM_FAILED,
        "then": S.UPSTREAM_FAILED,
        "on_failure": S.SUCCEEDED,
        "no_failure": S.SKIPPED,
        "cleanup": S.SUCCEEDED,
        "none_failed": S.UPSTREAM_FAILED,
        "big": S.SKIPPED,
        "small": S.SUCCEEDED,
        "after_skip": S.SKIPPED,
        "skip_ok": S.SUCCEEDED,
    }
    assert sorted(executor.steps()) == sorted(
        ["ok", "bad", "on_failure", "cleanup", "small", "skip_ok"]
    )
    assert done.status is RunStatus.FAILED
    log = messages(store, done)
    assert "Step 8: big skipped (if: steps.ok.outputs.n > 10 is false)" in log
    assert "Step 3: after_bad upstream_failed (run_if all_succeeded)" in log


def test_an_if_that_cannot_be_evaluated_fails_the_step_without_retrying(
    coordinate: Coordinate, clock: FakeClock
) -> None:
    # no scripts: a records no output n
    done, executor = coordinate(
        """
        - {name: a, notebook: nb.ipynb}
        - {name: b, notebook: nb.ipynb, needs: [a], retries: 3, if: "steps.a.outputs.n > 0"}
        """,
    )

    assert statuses(done) == {"a": S.SUCCEEDED, "b": S.FAILED}
    (attempt,) = done.step("b").attempts
    assert attempt.error and attempt.error["ename"] == "TemplateError"
    assert executor.steps() == ["a"] and clock.sleeps == []


# --- cancel, shutdown, resume -----------------------------------------------------------------

STEPS = """
- {name: a, notebook: nb.ipynb}
- {name: b, notebook: nb.ipynb, needs: [a], retries: 2}
- {name: c, notebook: nb.ipynb, needs: [b]}
"""


def test_a_cancelled_run_ends_cancelled_with_the_running_step_stopped(
    coordinate: Coordinate,
) -> None:
    done, executor = coordinate(STEPS, {"b": [HANGS]}, stop_when="b")

    assert done.status is RunStatus.CANCELLED and done.error == "the run was cancelled"
    assert statuses(done) == {"a": S.SUCCEEDED, "b": S.CANCELLED, "c": S.CANCELLED}
    (attempt,) = done.step("b").attempts
    assert attempt.status is AttemptStatus.CANCELLED and attempt.ended_at is not None
    assert attempt.error and attempt.error["ename"] == "Cancelled"
    assert executor.executions[1].stopped == "cancelled"
    assert executor.steps() == ["a", "b"]  # no retry of a cancelled attempt


def test_a_shutdown_fails_the_run_with_its_reason(coordinate: Coordinate, store: Store) -> None:
    reason = "the server stopped while the run was executing"
    done, executor = coordinate(STEPS, {"b": [HANGS]}, stop_when="b", stop_reason=reason)

    assert done.status is RunStatus.FAILED and done.error == reason
    assert statuses(done) == {"a": S.SUCCEEDED, "b": S.FAILED, "c": S.CANCELLED}
    (attempt,) = done.step("b").attempts
    assert attempt.status is AttemptStatus.FAILED
    assert attempt.error and (attempt.error["ename"], attempt.error["evalue"]) == (
        "Shutdown",
        reason,
    )
    assert executor.executions[1].stopped == "cancelled"
    assert messages(store, done)[-1] == f"Pipeline failed: {reason}"


def test_a_resumed_run_keeps_what_succeeded_and_retries_at_the_stored_time(
    tmp_path: Path, store: Store, clock: FakeClock
) -> None:
    """The state a reaper leaves a run in when its coordinator died during b's first attempt:
    queued again, a succeeded, b retrying at a stored time."""
    loaded, run = new_run(
        tmp_path,
        store,
        STEPS.replace("needs: [b]}", "needs: [b], parameters: {n: '{{ steps.a.outputs.n }}'}}"),
    )
    began = clock.now - timedelta(minutes=5)
    store.update_run(run.id, started_at=began)
    store.save_attempt(
        run.id,
        "a",
        AttemptRecord(1, AttemptStatus.SUCCEEDED, began, began, outputs={"n": 7}),
        step_status=S.SUCCEEDED,
    )
    store.save_attempt(
        run.id, "b", AttemptRecord(1, AttemptStatus.FAILED, began, clock.now, error=None)
    )
    store.update_step(
        run.id, "b", status=S.RETRYING, next_attempt_at=clock.now + timedelta(seconds=30)
    )
    executor = FakeExecutor(clock=clock)
    done = execute(store, loaded, store.get_run(run.id), executor, clock)

    assert done.status is RunStatus.SUCCEEDED and done.started_at == began
    assert clock.sleeps == [30]
    assert executor.steps() == ["b", "c"]
    assert Path(executor.tasks[0].output_notebook).name == "b.attempt-2.ipynb"
    assert executor.tasks[1].step_parameters == {"n": 7}
    assert [a.number for a in done.step("b").attempts] == [1, 2]
    assert messages(store, done)[0] == "Pipeline resumed"
