"""A run executes its version's files, not what is on disk by then; ``rerun --exact`` replays a
run's own version byte for byte, a plain rerun runs the files as they are now."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import func, select

from jupyter_orch.errors import UserError
from jupyter_orch.pipelines.loader import load_pipeline
from jupyter_orch.records import RunRecord, RunStatus, Trigger
from jupyter_orch.service import Orchestrator
from jupyter_orch.store.repository import Store
from jupyter_orch.store.tables import BlobRow

from .conftest import execute, run_pipeline, write_notebook
from .helpers import orch as orch_cli

PIPELINE = """\
name: p
parameters: {k: 1}
steps:
  - {name: transform, notebook: nb/transform.ipynb, parameters: {mult: MULT}}
  - {name: totals, sql: {file: totals.sql}, connection: "sqlite://", needs: [transform]}
  - {name: report, python: "lib/report.py:compose", parameters: {tag: TAG}, needs: [totals]}
"""


def project(folder: Path, edition: int) -> Path:
    """The pipeline and every file it names, as of ``edition`` (1 or 2): each file differs."""
    write_notebook(
        folder / "nb" / "transform.ipynb",
        "k = 0\nmult = 1",
        f"""
        import jupyter_orch
        unit = open("unit.txt").read().strip()  # relative to the notebook's own folder
        jupyter_orch.record("value", k * mult + {edition * 100})
        jupyter_orch.record("unit", unit)
        """,
    )
    (folder / "nb" / "unit.txt").write_text("kg\n")
    rows = " UNION ALL ".join(f"SELECT {n} AS n" for n in range(edition))
    (folder / "totals.sql").write_text(rows + "\n")
    (folder / "lib").mkdir(exist_ok=True)
    (folder / "lib" / "helper.py").write_text("PREFIX = 'r'\n")  # beside report.py, from disk
    (folder / "lib" / "report.py").write_text(
        "from helper import PREFIX\n\n\n"
        f"def compose(tag):\n    return {{'report': PREFIX + '{edition}-' + tag}}\n"
    )
    path = folder / "pipeline.yaml"
    path.write_text(PIPELINE.replace("MULT", str(edition + 1)).replace("TAG", f"t{edition}"))
    return path


def outputs(run: RunRecord) -> tuple[object, ...]:
    assert run.status is RunStatus.SUCCEEDED, [(s.name, s.status, s.error) for s in run.steps]
    by = {s.name: s.outputs for s in run.steps}
    return (
        by["transform"]["value"],
        by["transform"]["unit"],
        by["totals"]["records_count"],
        by["report"]["report"],
    )


def rerun(orch: Orchestrator, run: RunRecord, *, exact: bool) -> RunRecord:
    loaded, again = orch.create_rerun(run.id, from_failed=False, exact=exact, created_by="eve")
    return execute(orch, loaded, again)


@pytest.mark.slow
def test_exact_replay_runs_the_old_files_and_a_rerun_the_new_ones(
    any_store: Store, tmp_path: Path
) -> None:
    orch = Orchestrator(any_store, tmp_path / "runs")
    path = project(tmp_path, 1)
    first = run_pipeline(orch, path, {"k": 5})
    assert outputs(first) == (5 * 2 + 100, "kg", 1, "r1-t1")
    project(tmp_path, 2)  # the notebook, the SQL file, the function file and the YAML change

    replay = rerun(orch, first, exact=True)
    assert outputs(replay) == outputs(first)
    assert (replay.version, replay.exact, replay.trigger, replay.rerun_of) == (
        1, True, Trigger.RERUN, first.id,
    )  # fmt: skip
    assert orch.store.get_version("p").version == 1  # a replay records nothing

    current = rerun(orch, first, exact=False)
    assert outputs(current) == (5 * 3 + 200, "kg", 2, "r2-t2")
    assert (current.version, current.exact, current.parameters) == (2, False, {"k": 5})
    latest = orch.store.get_version("p")
    assert (latest.version, latest.created_by) == (2, "eve")
    assert "notebook changed" in (latest.summary or "")

    # The record says which run did what, and the replay's run folder holds what it ran
    assert orch.store.get_run(replay.id).to_dict()["exact"] is True
    ran = next((Path(replay.run_dir) / ".sources").rglob("transform.ipynb"))
    assert f"k * mult + {100}" in ran.read_text()


@pytest.mark.slow
def test_a_run_executes_its_version_even_if_the_file_changes_before_it_starts(
    store: Store, tmp_path: Path
) -> None:
    orch = Orchestrator(store, tmp_path / "runs")
    path = project(tmp_path, 1)
    loaded = load_pipeline(path)
    version = orch.register(loaded)
    run = orch.create_run(loaded, version.version)
    project(tmp_path, 2)  # edited while the run waits in the queue
    assert outputs(execute(orch, loaded, run)) == (1 * 2 + 100, "kg", 1, "r1-t1")


def test_a_run_from_before_versions_kept_files_cannot_be_replayed_exactly(
    store: Store, tmp_path: Path
) -> None:
    orch = Orchestrator(store, tmp_path / "runs")
    path = project(tmp_path, 1)
    loaded = load_pipeline(path)
    store.register("p", str(path), loaded.source, loaded.spec.to_json())  # as before 0014
    run = orch.create_run(loaded, 1)
    with pytest.raises(UserError, match=r"recorded before versions kept their files"):
        orch.create_rerun(run.id, from_failed=False, exact=True)
    _, again = orch.create_rerun(run.id, from_failed=False)
    assert (again.version, again.exact) == (2, False)  # the files as they are: a new version


def test_a_rerun_of_a_pipeline_whose_file_is_gone_says_so(store: Store, tmp_path: Path) -> None:
    orch = Orchestrator(store, tmp_path / "runs")
    path = project(tmp_path, 1)
    loaded = load_pipeline(path)
    run = orch.create_run(loaded, orch.register(loaded).version)
    path.unlink()
    with pytest.raises(UserError, match=r"pipeline.yaml.*file not found"):
        orch.create_rerun(run.id, from_failed=False)
    _, replay = orch.create_rerun(run.id, from_failed=False, exact=True)
    assert replay.exact


@pytest.mark.slow
def test_a_thousand_runs_of_an_unchanged_notebook_store_its_content_once(
    store: Store, tmp_path: Path
) -> None:
    orch = Orchestrator(store, tmp_path / "runs")
    path = project(tmp_path, 1)
    for _ in range(1000):
        loaded = load_pipeline(path)
        orch.create_run(loaded, orch.register(loaded).version)
    with store.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(BlobRow)) == 3
    assert len(store.list_runs(pipeline="p", limit=2000)) == 1000


@pytest.mark.slow
def test_jupyter_orch_rerun_exact(tmp_path: Path) -> None:
    path = project(tmp_path, 1)
    assert orch_cli(tmp_path, "run", str(path), "-p", "k=3").returncode == 0
    project(tmp_path, 2)
    [first] = json.loads(orch_cli(tmp_path, "runs", "--json").stdout)
    result = orch_cli(tmp_path, "rerun", "--exact", first["id"])
    assert result.returncode == 0, result.stderr
    runs = json.loads(orch_cli(tmp_path, "runs", "--json").stdout)
    replay = next(r for r in runs if r["id"] != first["id"])
    assert (replay["exact"], replay["version"], replay["parameters"]) == (True, 1, {"k": 3})
    shown = orch_cli(tmp_path, "show", replay["id"], "--json")
    steps = {s["name"]: s for s in json.loads(shown.stdout)["steps"]}
    assert steps["transform"]["attempts"][-1]["outputs"]["value"] == 3 * 2 + 100
    missing = orch_cli(tmp_path, "rerun", "--exact", "0" * 32)
    assert missing.returncode == 2 and "no run" in missing.stderr


def test_help_says_what_rerun_runs(tmp_path: Path) -> None:
    shown = orch_cli(tmp_path, "rerun", "--help").stdout
    assert "--exact" in textwrap.dedent(shown) and "byte for byte" in shown
