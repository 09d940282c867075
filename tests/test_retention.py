"""Retention: keep_last and max_age with an injected clock on SQLite and PostgreSQL, pinned,
queued and running runs kept, files deleted with their rows, the order that makes a crash
harmless (and a kill -9 half way), `jupyter orch prune` / `pin` / `unpin`, and the default
retention's settings."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from jupyter_orch.config import CliConfig
from jupyter_orch.errors import SettingError
from jupyter_orch.records import RunStatus, Trigger
from jupyter_orch.retention import prune
from jupyter_orch.spec_retention import RetentionSpec
from jupyter_orch.store.repository import Store

from .helpers import command, orch

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=timezone.utc)
DAY = timedelta(days=1)


def make_runs(
    store: Store,
    runs_dir: Path,
    ages_days: list[float],
    retention: dict | None = None,  # type: ignore[type-arg]
) -> list[str]:
    """Finished runs of pipeline ``p``, created ``ages_days`` before NOW (oldest first), each
    with a folder holding a 1000-byte notebook."""
    definition = {"name": "p", "steps": [{"name": "a", "notebook": "a.ipynb"}]}
    if retention:
        definition["retention"] = retention
    store.register("p", str(runs_dir.parent / "p.yaml"), json.dumps(definition), definition)
    ids = []
    for age in ages_days:
        run = store.create_run(
            pipeline="p", version=1, trigger=Trigger.SCHEDULE, parameters={},
            steps=[("a", ())], runs_dir=str(runs_dir),
        )  # fmt: skip
        created = NOW - age * DAY
        store.update_run(run.id, status=RunStatus.SUCCEEDED, created_at=created, ended_at=created)
        folder = Path(run.run_dir)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "a.ipynb").write_bytes(b"x" * 1000)
        ids.append(run.id)
    return ids


def remaining(store: Store) -> list[str]:
    return sorted(r.id for r in store.list_runs(pipeline="p", limit=10_000))


def test_keep_last_and_max_age_each_let_runs_go(any_store: Store, tmp_path: Path) -> None:
    runs_dir = tmp_path / "runs"
    ids = make_runs(any_store, runs_dir, [40, 30, 20, 10, 5, 1], {"keep_last": 4, "max_age": "15d"})
    oldest_pinned, running = ids[0], ids[2]
    any_store.set_pinned(oldest_pinned, True)
    any_store.update_run(running, status=RunStatus.RUNNING)

    [done] = prune(any_store, NOW)

    # keep_last 4 lets the two oldest go, max_age 15d the 20-day-old one too; but the pinned
    # (40 days) and the running (20 days) stay
    assert done.runs == [ids[1]]
    assert remaining(any_store) == sorted([ids[0], ids[2], ids[3], ids[4], ids[5]])
    assert not (runs_dir / "p" / ids[1]).exists() and (runs_dir / "p" / ids[0]).exists()
    assert done.freed_bytes == 1000

    any_store.set_pinned(oldest_pinned, False)
    any_store.update_run(running, status=RunStatus.FAILED)
    [again] = prune(any_store, NOW + DAY)
    assert sorted(again.runs) == sorted([ids[0], ids[2]])
    assert remaining(any_store) == sorted(ids[3:])


def test_the_default_applies_where_the_file_says_nothing(store: Store, tmp_path: Path) -> None:
    ids = make_runs(store, tmp_path / "runs", [3, 2, 1])
    assert prune(store, NOW)[0].runs == []  # no rule: kept for ever
    [done] = prune(store, NOW, default=RetentionSpec(keep_last=1))
    assert done.runs == ids[:2]


def test_a_crash_between_rows_and_files_leaves_only_orphans_the_next_prune_sweeps(
    store: Store, tmp_path: Path
) -> None:
    runs_dir = tmp_path / "runs"
    ids = make_runs(store, runs_dir, [3, 2, 1])
    store.delete_runs(ids[:2])  # a prune killed after its transaction, before the rmtree
    assert all((runs_dir / "p" / run_id).exists() for run_id in ids)
    (runs_dir / "p" / "not-a-run").mkdir()  # a folder no rule names is not touched

    [done] = prune(store, NOW)

    assert sorted(done.orphans) == sorted(ids[:2]) and done.runs == []
    assert sorted(p.name for p in (runs_dir / "p").iterdir()) == sorted([ids[2], "not-a-run"])


@pytest.mark.slow
def test_kill_9_half_way_through_a_prune(tmp_path: Path) -> None:
    """However far the prune got, every run left has its folder; the next prune finishes."""
    store = Store.open(f"sqlite:///{tmp_path / 'db.sqlite'}")
    runs_dir = tmp_path / "runs"
    ids = make_runs(store, runs_dir, [100 + i / 100 for i in range(900, 0, -1)])
    for run_id in ids:  # some weight to each folder, so that deleting them takes a while
        for n in range(20):
            (runs_dir / "p" / run_id / f"out{n}.txt").write_bytes(b"y" * 4096)
    pruning = subprocess.Popen(
        command(tmp_path, "prune", "--older-than", "30d"), cwd=tmp_path,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while len(remaining(store)) == len(ids) and time.monotonic() < deadline:
        time.sleep(0.01)
    pruning.send_signal(signal.SIGKILL)
    pruning.wait(30)

    left = remaining(store)
    assert len(ids) - len(left) > 0, "the prune deleted nothing before it was killed"
    assert all((runs_dir / "p" / run_id).is_dir() for run_id in left)  # no run without files
    finish = orch(tmp_path, "prune", "--older-than", "30d", "--json")
    assert finish.returncode == 0, finish.stderr
    assert remaining(store) == [] and list((runs_dir / "p").iterdir()) == []
    store.close()


def test_the_cli_prunes_pins_and_says_what_it_freed(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'db.sqlite'}")  # where `orch(...)` looks
    ids = make_runs(store, tmp_path / "runs", [50, 40, 1])
    store.close()
    assert orch(tmp_path, "pin", ids[0]).returncode == 0

    dry = orch(tmp_path, "prune", "--older-than", "30d", "--dry-run")
    assert dry.returncode == 0 and "would delete 1 runs (1.0 kB)" in dry.stdout, dry.stdout
    assert (tmp_path / "runs" / "p" / ids[1]).exists()

    done = orch(tmp_path, "prune", "--older-than", "30d")
    assert done.returncode == 0 and ids[1] in done.stdout and "freed 1.0 kB" in done.stdout
    assert not (tmp_path / "runs" / "p" / ids[1]).exists()
    assert orch(tmp_path, "unpin", ids[0]).returncode == 0
    assert ids[0] in orch(tmp_path, "prune", "--older-than", "30d").stdout

    assert orch(tmp_path, "prune", "--pipeline", "nope").returncode == 2
    bad = orch(tmp_path, "prune", "--older-than", "soon")
    assert bad.returncode == 2 and "--older-than" in bad.stderr
    assert orch(tmp_path, "pin", "NOSUCHRUN").returncode == 2


def test_the_default_retention_reads_variables_over_the_config(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("JUPYTER_ORCH_RETENTION_KEEP_LAST", "100")
    monkeypatch.setenv("JUPYTER_ORCH_RETENTION_MAX_AGE", "90d")
    assert CliConfig().default_retention() == RetentionSpec(keep_last=100, max_age=90 * 86400)
    monkeypatch.setenv("JUPYTER_ORCH_RETENTION_KEEP_LAST", "none")
    with pytest.raises(SettingError, match="JUPYTER_ORCH_RETENTION_KEEP_LAST"):
        CliConfig().default_retention()
    monkeypatch.delenv("JUPYTER_ORCH_RETENTION_KEEP_LAST")
    monkeypatch.delenv("JUPYTER_ORCH_RETENTION_MAX_AGE")
    assert CliConfig().default_retention() is None
