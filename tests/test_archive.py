"""Archived pipelines (issue 15): they do not fire (schedule, events, webhooks, triggers by
name), default listings hide them, their runs stay until retention deletes them, and
unarchiving does not catch up the slots in between. The store and the leader on SQLite and
PostgreSQL with an injected clock; the CLI and the REST API on top."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from jupyter_orch.errors import ConflictError
from jupyter_orch.records import Trigger
from jupyter_orch.retention import prune
from jupyter_orch.scheduling.leader import Leader
from jupyter_orch.scheduling.webhooks import WebhookReceiver
from jupyter_orch.service import Orchestrator
from jupyter_orch.store.repository import Store
from jupyter_orch.store.types import utcnow

from .conftest import write_notebook
from .orch_server import HOOKED, SECRET_ENV, call, signature
from .test_coordination import T0, applied, hourly, schedule_runs
from .test_schedule_cli import listing, orch, row_of


@pytest.fixture
def any_orch(tmp_path: Path, any_store: Store) -> Orchestrator:
    return Orchestrator(any_store, runs_dir=tmp_path / "runs")


def test_an_archived_pipeline_is_hidden_and_refuses_triggers_until_unarchived(
    any_orch: Orchestrator, tmp_path: Path
) -> None:
    """(Firing: test_coordination's paused-or-archived test.)"""
    name = applied(any_orch, tmp_path, hourly())
    any_orch.archive(name)
    state = any_orch.store.pipeline_state(name)
    assert (state.archived, state.active, state.fires) == (True, True, False)
    assert any_orch.store.pipeline_states(archived=False) == []
    assert [s.name for s in any_orch.store.pipeline_states()] == [name]
    assert any_orch.store.pipeline_states(active_only=True) == []
    with pytest.raises(ConflictError, match=f"archived; unarchive it to run it.*unarchive {name}"):
        any_orch.trigger(name)
    any_orch.archive(name, False)
    assert any_orch.trigger(name).trigger is Trigger.MANUAL


def test_an_archived_pipelines_runs_stay_until_retention_deletes_them(
    any_orch: Orchestrator, tmp_path: Path
) -> None:
    text = hourly().replace("name: hourly\n", "name: hourly\n        retention: {max_age: 1d}\n")
    name = applied(any_orch, tmp_path, text)
    leader = Leader(any_orch.store, any_orch.runs_dir)
    leader.tick(T0)
    leader.tick(T0.replace(hour=9, minute=0, second=2))
    (run,) = schedule_runs(any_orch.store, name)
    assert any_orch.cancel(run.id) == "dropped"  # a queued run is never deleted
    any_orch.archive(name)
    assert any_orch.store.get_run(run.id).pipeline == name  # archiving deletes nothing
    [done] = prune(any_orch.store, utcnow() + timedelta(days=3))
    assert (done.pipeline, done.runs) == (name, [run.id])
    assert schedule_runs(any_orch.store, name) == []


def test_webhook_deliveries_to_an_archived_pipeline_are_refused(
    any_orch: Orchestrator, tmp_path: Path
) -> None:
    write_notebook(tmp_path / "greet.ipynb", "who = 'x'", "greeting = 'hello ' + who")
    (tmp_path / "hooked.yaml").write_text(HOOKED)
    from jupyter_orch.pipelines.loader import load_pipeline

    any_orch.apply(load_pipeline(tmp_path / "hooked.yaml"))
    now = 1_800_000_000
    receiver = WebhookReceiver(any_orch, environ={SECRET_ENV: "s3cret"}, clock=lambda: now)
    body, ts = b"{}", str(now)
    headers = {
        "X-Orch-Timestamp": ts,
        "X-Orch-Delivery": "d-1",
        "X-Orch-Signature": signature("s3cret", ts, body),
    }
    any_orch.archive("hooked")
    with pytest.raises(ConflictError, match="is archived; unarchive it to accept deliveries"):
        receiver.receive("hooked", headers, body)
    any_orch.archive("hooked", False)
    assert receiver.receive("hooked", headers, body).created


@pytest.mark.slow
def test_archive_and_unarchive_from_the_cli(tmp_path: Path) -> None:
    write_notebook(tmp_path / "nb.ipynb", None, "x = 1")
    for name in ("kept", "old"):
        (tmp_path / f"{name}.yaml").write_text(
            f'name: {name}\nschedule: "@daily"\nsteps: [{{name: a, notebook: nb.ipynb}}]\n'
        )
    assert orch(tmp_path, "apply", "kept.yaml", "old.yaml").returncode == 0

    archived = orch(tmp_path, "archive", "old")
    assert archived.returncode == 0, archived.stderr
    assert "archived old (it does not fire; `jupyter orch pipelines --all` lists it" in (
        archived.stdout.replace("\n", " ")
    )
    assert list(listing(orch(tmp_path, "pipelines", "--json"))) == ["kept"]
    rows = listing(orch(tmp_path, "pipelines", "--all", "--json"))
    assert (rows["old"]["archived"], rows["old"]["next_run_at"]) == (True, None)
    assert rows["kept"]["archived"] is False and rows["kept"]["next_run_at"] is not None
    assert "archived" in row_of(orch(tmp_path, "pipelines", "--all").stdout, "old")

    refused = orch(tmp_path, "trigger", "old")
    assert refused.returncode == 2, refused
    assert "pipeline 'old' is archived; unarchive it to run it" in refused.stderr
    assert orch(tmp_path, "archive", "nope").returncode == 2

    back = orch(tmp_path, "unarchive", "old")
    assert back.returncode == 0 and "unarchived old" in back.stdout, back.stderr
    assert set(listing(orch(tmp_path, "pipelines", "--json"))) == {"kept", "old"}


@pytest.mark.slow
async def test_archive_through_the_rest_api(jp_fetch: Any, project: Path) -> None:
    code, _ = await call(jp_fetch, "POST", "pipelines", body={"path": "project/pipeline.yaml"})
    assert code == 201
    code, answer = await call(jp_fetch, "PATCH", "pipelines", "hello", body={"archived": 1})
    assert code == 400 and answer["details"][0]["field"] == "archived"
    code, pipeline = await call(jp_fetch, "PATCH", "pipelines", "hello", body={"archived": True})
    assert code == 200 and pipeline["archived"] is True and pipeline["next_run_at"] is None
    code, page = await call(jp_fetch, "GET", "pipelines")
    assert page["pipelines"] == []
    code, page = await call(jp_fetch, "GET", "pipelines", params={"all": "true"})
    assert [(p["name"], p["archived"]) for p in page["pipelines"]] == [("hello", True)]
    code, answer = await call(jp_fetch, "GET", "pipelines", params={"all": "maybe"})
    assert code == 400 and "all: give true or false" in answer["error"]
    code, answer = await call(jp_fetch, "POST", "pipelines", "hello", "runs", body={})
    assert code == 409 and "archived; unarchive it to run it" in answer["error"]
    code, pipeline = await call(jp_fetch, "PATCH", "pipelines", "hello", body={"archived": False})
    assert code == 200 and pipeline["archived"] is False
    code, run = await call(jp_fetch, "POST", "pipelines", "hello", "runs", body={})
    assert code == 202, run
