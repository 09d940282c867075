"""A run that fires on its own (a schedule slot, an event trigger, a webhook) first records the
files on disk as a version when they changed, and runs that version: at the store level with an
injected clock (SQLite and PostgreSQL), and with real scheduler processes."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from jupyter_orch.pipelines.loader import load_pipeline
from jupyter_orch.records import RunStatus, Trigger
from jupyter_orch.scheduling.leader import Leader
from jupyter_orch.scheduling.webhooks import WebhookReceiver
from jupyter_orch.service import Orchestrator
from jupyter_orch.store.repository import Store

from .conftest import write_notebook, write_pipeline
from .helpers import wait_for
from .orch_server import HOOKED, SECRET_ENV, signature
from .test_scheduler import Cluster
from .test_versions import edit_cell, loaded, project

T0 = datetime(2026, 3, 2, 8, 30, tzinfo=timezone.utc)
NINE = T0.replace(hour=9, minute=0, second=2)


@pytest.fixture
def orch(tmp_path: Path, any_store: Store) -> Orchestrator:
    return Orchestrator(any_store, tmp_path / "runs")


def leader(store: Store, orch: Orchestrator, **kw: object) -> Leader:
    return Leader(store, orch.runs_dir, catalog=store, **kw)  # type: ignore[arg-type]


def scheduled(store: Store, name: str = "p") -> list[int]:
    runs = [r for r in store.list_runs(pipeline=name) if r.trigger is Trigger.SCHEDULE]
    return [r.version for r in sorted(runs, key=lambda r: r.created_at)]


def test_a_slot_fired_after_an_edit_records_and_runs_the_new_version(
    orch: Orchestrator, tmp_path: Path
) -> None:
    orch.apply(loaded(project(tmp_path)))
    fires = leader(orch.store, orch)
    fires.tick(T0)  # first sight: the next slot is 09:00
    edit_cell(tmp_path / "transform.ipynb", 1, "x = days * 3")
    fires.tick(NINE)
    assert scheduled(orch.store) == [2]
    latest = orch.store.get_version("p")
    assert (latest.version, latest.created_by) == (2, "scheduler")
    assert latest.summary == "step transform: notebook changed (1 cell)"
    # The next slot without an edit records nothing and runs the same version.
    fires.tick(NINE + timedelta(days=1))
    assert scheduled(orch.store) == [2, 2]
    assert [v.version for v in orch.store.list_versions("p")] == [2, 1]


def test_the_yaml_on_disk_is_what_the_run_runs(orch: Orchestrator, tmp_path: Path) -> None:
    path = project(tmp_path)
    orch.apply(loaded(path))
    fires = leader(orch.store, orch)
    fires.tick(T0)
    path.write_text(path.read_text().replace("- {name: report", "- {name: summary"))
    fires.tick(NINE)
    run = orch.store.list_runs(pipeline="p")[0]
    assert run.version == 2 and [s.name for s in run.steps] == ["transform", "totals", "summary"]
    assert "step summary added" in (orch.store.get_version("p").summary or "")


@pytest.mark.parametrize("how", ["deleted", "invalid", "renamed"])
def test_a_file_gone_or_invalid_runs_the_latest_recorded_version(
    orch: Orchestrator, tmp_path: Path, caplog: pytest.LogCaptureFixture, how: str
) -> None:
    path = project(tmp_path)
    orch.apply(loaded(path))
    fires = leader(orch.store, orch)
    fires.tick(T0)
    if how == "deleted":
        path.unlink()
    elif how == "invalid":
        path.write_text(path.read_text().replace("steps:", "stepz:"))
    else:
        path.write_text(path.read_text().replace("name: p", "name: q"))
    with caplog.at_level(logging.WARNING, "jupyter_orch"):
        fires.tick(NINE)
    assert scheduled(orch.store) == [1]
    assert [v.version for v in orch.store.list_versions("p")] == [1]
    assert "running the latest recorded version" in caplog.text


def test_two_leaders_firing_one_slot_at_once_record_one_version(
    store_url: str, tmp_path: Path
) -> None:
    """Two schedulers (two stores on one database) both fire the slot after an edit."""
    stores = [Store.open(store_url) for _ in range(2)]
    try:
        orch = Orchestrator(stores[0], tmp_path / "runs")
        orch.apply(loaded(project(tmp_path)))
        leaders = [leader(store, orch) for store in stores]
        leaders[0].tick(T0)
        edit_cell(tmp_path / "transform.ipynb", 1, "x = days * 5")
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def fire(one: Leader) -> None:
            barrier.wait()
            try:
                one.tick(NINE)
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=fire, args=(one,)) for one in leaders]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert [v.version for v in stores[0].list_versions("p")] == [2, 1]
        assert scheduled(stores[0]) == [2]
    finally:
        for store in stores:
            store.close()


def test_an_event_trigger_records_the_edited_files(orch: Orchestrator, tmp_path: Path) -> None:
    incoming = tmp_path / "data"
    incoming.mkdir()
    path = project(tmp_path, steps="- {name: transform, notebook: transform.ipynb}")
    path.write_text(path.read_text().replace("schedule:", 'on: {file: "data/*.csv"}\nschedule:'))
    orch.apply(loaded(path))
    clock = [0.0]
    fires = leader(orch.store, orch, monotonic=lambda: clock[0])
    fires.tick(T0)  # the baseline
    edit_cell(tmp_path / "transform.ipynb", 2, "print(x + 1)")
    clock[0] += 10
    fires.tick(T0)  # no event, no version
    assert [v.version for v in orch.store.list_versions("p")] == [1]
    settled = time.time() - 5
    (incoming / "new.csv").write_text("a\n")
    os.utime(incoming / "new.csv", (settled, settled))
    clock[0] += 10
    fires.tick(T0)
    runs = [r for r in orch.store.list_runs(pipeline="p") if r.trigger is Trigger.EVENT]
    assert [r.version for r in runs] == [2]
    assert orch.store.get_version("p").created_by == "scheduler"


def test_a_webhook_delivery_records_its_delivery_id(orch: Orchestrator, tmp_path: Path) -> None:
    write_notebook(tmp_path / "greet.ipynb", "who = 'nobody'", "print(who)")
    orch.apply(load_pipeline(write_pipeline(tmp_path, HOOKED, "pipeline.yaml")))
    receiver = WebhookReceiver(orch, environ={SECRET_ENV: "s3cret"}, clock=lambda: 1_800_000_000)
    body, ts = b'{"parameters": {"who": "hook"}}', "1800000000"
    headers = {
        "X-Orch-Timestamp": ts,
        "X-Orch-Delivery": "gh-42",
        "X-Orch-Signature": signature("s3cret", ts, body),
    }
    edit_cell(tmp_path / "greet.ipynb", 1, "print(who, '!')")
    received = receiver.receive("hooked", headers, body)
    version = orch.store.get_version("hooked")
    assert received.run.version == version.version == 2
    assert version.created_by == "webhook:gh-42"
    # A replayed delivery records nothing, even after another edit.
    edit_cell(tmp_path / "greet.ipynb", 1, "print(who, '?')")
    assert receiver.receive("hooked", headers, body).run.id == received.run.id
    assert orch.store.get_version("hooked").version == 2


# --- real scheduler processes -------------------------------------------------------------------


@pytest.fixture
def cluster(tmp_path: Path, store_url: str) -> Iterator[Cluster]:
    c = Cluster(tmp_path, store_url)
    yield c
    c.close()


@pytest.mark.slow
def test_two_schedulers_run_the_notebook_as_edited_after_apply(cluster: Cluster) -> None:
    write_notebook(cluster.folder / "nb.ipynb", None, "print('before the edit')")
    cluster.apply(
        "edited",
        "- {name: a, notebook: nb.ipynb}",
        head='schedule: {cron: "*/2 * * * * *", misfire: skip}',
    )
    edit_cell(cluster.folder / "nb.ipynb", 0, "print('after the edit')")
    first, second = cluster.scheduler(), cluster.scheduler()

    def succeeded() -> bool:
        return any(r.status is RunStatus.SUCCEEDED for r in cluster.runs("edited"))

    assert wait_for(succeeded, 90), cluster.logs()
    for process in (first, second):
        process.send_signal(signal.SIGTERM)
    for process in (first, second):
        assert process.wait(30) == 0
    versions = cluster.store.list_versions("edited")
    assert [v.version for v in versions] == [2, 1], cluster.logs()
    assert versions[0].created_by == "scheduler"
    assert versions[0].summary == "step a: notebook changed (1 cell)"
    runs = [r for r in cluster.runs("edited") if r.trigger is Trigger.SCHEDULE]
    assert {r.version for r in runs} == {2}
    done = next(r for r in runs if r.status is RunStatus.SUCCEEDED)
    output = done.steps[0].attempts[-1].output_notebook
    assert output is not None and "after the edit" in Path(output).read_text()
    assert "before the edit" not in Path(output).read_text()
