"""Versions keep every file their steps name: what makes a new one, what it says changed, how
little it stores, one version for racing recorders, and ``jupyter orch diff``."""

from __future__ import annotations

import dataclasses
import threading
import time
from pathlib import Path

import nbformat
import pytest
from sqlalchemy import func, select, text

from jupyter_orch.errors import VersionRaced
from jupyter_orch.pipelines.loader import LoadedPipeline, load_pipeline
from jupyter_orch.service import Orchestrator
from jupyter_orch.store.repository import Store
from jupyter_orch.store.tables import BlobRow, VersionFileRow
from jupyter_orch.versions.capture import VersionFileError, capture_files
from jupyter_orch.versions.diff import diff_json, diff_text, version_diff

from .conftest import write_notebook, write_steps
from .helpers import orch as orch_cli

STEPS = """
- {name: transform, notebook: transform.ipynb}
- {name: totals, sql: {file: totals.sql}, connection: "sqlite://", needs: [transform]}
- {name: report, python: "report.py:compose", needs: [totals]}
"""


def project(
    folder: Path, schedule: str = "0 9 * * *", steps: str = STEPS, *, files: bool = True
) -> Path:
    """The pipeline file; with ``files``, the notebook, SQL and Python files it names too."""
    if files:
        write_notebook(folder / "transform.ipynb", "days = 7", "x = days * 2", "print(x)")
        (folder / "totals.sql").write_text("SELECT 1 AS n\n")
        (folder / "report.py").write_text("def compose():\n    return {}\n")
    return write_steps(folder, "p", steps, head=f'schedule: {{cron: "{schedule}"}}')


def loaded(path: Path) -> LoadedPipeline:
    return load_pipeline(path)


def run_through(notebook: Path) -> None:
    """What saving an executed notebook changes: outputs, counts, run metadata."""
    nb = nbformat.read(notebook, as_version=4)
    for count, cell in enumerate(nb.cells, 1):
        cell.execution_count = count
        cell.outputs = [nbformat.v4.new_output("stream", text=f"out {count}\n")]
        cell.metadata["execution"] = {"iopub.status.idle": "2026-12-01T09:00:00Z"}
    nb.metadata["papermill"] = {"duration": 1.5}
    nbformat.write(nb, notebook)


def edit_cell(notebook: Path, index: int, source: str) -> None:
    nb = nbformat.read(notebook, as_version=4)
    nb.cells[index].source = source
    nbformat.write(nb, notebook)


@pytest.fixture
def orch(tmp_path: Path, any_store: Store) -> Orchestrator:
    return Orchestrator(any_store, tmp_path / "runs")


def test_running_a_notebook_makes_no_version_and_editing_a_cell_does(
    orch: Orchestrator, tmp_path: Path
) -> None:
    path = project(tmp_path)
    first = orch.register(loaded(path), created_by="alice")
    assert (first.version, first.created_by, first.summary) == (1, "alice", "first version")
    assert [(f.path, f.kind) for f in first.files] == [
        ("transform.ipynb", "notebook"), ("totals.sql", "sql"), ("report.py", "python"),
    ]  # fmt: skip
    run_through(tmp_path / "transform.ipynb")
    assert orch.register(loaded(path), created_by="bob").version == 1
    edit_cell(tmp_path / "transform.ipynb", 1, "x = days * 3")
    second = orch.register(loaded(path), created_by="bob")
    assert second.version == 2 and second.created_by == "bob"
    assert second.summary == "step transform: notebook changed (1 cell)"
    (tmp_path / "totals.sql").write_text("SELECT 2 AS n\n")
    third = orch.register(loaded(path))
    assert third.version == 3 and third.summary == "step totals: sql changed"
    history = orch.store.list_versions("p")
    assert [v.version for v in history] == [3, 2, 1] and history[1].summary == second.summary
    assert history[2].files == first.files
    orch.store.delete_pipeline("p")  # its versions' file lists go; contents may be shared
    assert orch.register(loaded(path)).version == 1


def test_the_summary_names_the_schedule_and_steps_added_or_removed(
    orch: Orchestrator, tmp_path: Path
) -> None:
    orch.register(loaded(project(tmp_path)))
    steps = STEPS.replace(
        "- {name: report", "- {name: load, notebook: transform.ipynb}\n- {name: r"
    )
    path = project(tmp_path, schedule="30 7 * * *", steps=steps, files=False)
    assert orch.register(loaded(path)).summary == (
        "schedule 09:00 -> 07:30; step load added; step r added; step report removed"
    )


def test_a_thousand_records_of_an_unchanged_notebook_store_it_once(
    store: Store, tmp_path: Path
) -> None:
    """On SQLite only: the rows are the same on every backend, PostgreSQL is slower to fill."""
    orch = Orchestrator(store, tmp_path / "runs")
    base = loaded(project(tmp_path))
    started = time.monotonic()
    for number in range(1000):  # the YAML changes every time, the notebook never
        orch.register(dataclasses.replace(base, source=base.source + f"# {number}\n"))
    assert time.monotonic() - started < 60
    with store.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(BlobRow)) == 3
        assert conn.scalar(select(func.count()).select_from(VersionFileRow)) == 3000
    assert store.get_version("p").version == 1000


def test_two_recorders_at_once_make_one_version(store_url: str, tmp_path: Path) -> None:
    """Two schedulers (two stores on one database) record the same edit at the same moment."""
    stores = [Store.open(store_url) for _ in range(2)]
    try:
        path = project(tmp_path)
        for round_ in range(4):
            if round_:
                edit_cell(tmp_path / "transform.ipynb", 1, f"x = days * {round_}")
            barrier = threading.Barrier(2)
            made: list[int] = []

            def record(store: Store, barrier: threading.Barrier, made: list[int]) -> None:
                barrier.wait()
                made.append(Orchestrator(store, tmp_path / "runs").register(loaded(path)).version)

            threads = [threading.Thread(target=record, args=(s, barrier, made)) for s in stores]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert made == [round_ + 1] * 2, made
        assert [v.version for v in stores[0].list_versions("p")] == [4, 3, 2, 1]
    finally:
        for store in stores:
            store.close()


def test_files_a_version_cannot_keep_are_refused_by_name(
    tmp_path: Path, fifo: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipeline = loaded(project(tmp_path))
    monkeypatch.setattr("jupyter_orch.versions.capture.MAX_VERSION_FILE_BYTES", 10)
    with pytest.raises(VersionFileError, match=r"notebook 'transform.ipynb' is larger than"):
        capture_files(pipeline)
    monkeypatch.undo()
    (tmp_path / "totals.sql").unlink()
    fifo(tmp_path / "totals.sql")  # type: ignore[operator]
    with pytest.raises(VersionFileError, match=r"sql file 'totals.sql' is a FIFO"):
        capture_files(pipeline)
    inside = dataclasses.replace(pipeline, root=tmp_path / "elsewhere")
    with pytest.raises(VersionFileError, match=r"outside the server's root folder"):
        capture_files(inside)


def test_migrating_from_0013_keeps_old_versions_readable(store_url: str, tmp_path: Path) -> None:
    from alembic import command

    from .test_store import _migrations_on

    store = Store.open(store_url)
    try:
        path = project(tmp_path)
        store.register("p", str(path), path.read_text(), loaded(path).spec.to_json())
        with store.engine.begin() as conn:
            command.downgrade(_migrations_on(conn), "0013")
            assert conn.execute(text("select count(*) from pipeline_versions")).scalar() == 1
            command.upgrade(_migrations_on(conn), "head")
        old = store.get_version("p", 1)
        assert (old.files, old.created_by, old.summary) == ((), None, None)
        new = Orchestrator(store, tmp_path / "runs").register(loaded(path))
        assert new.version == 2 and "files recorded" in (new.summary or "")
        diff = diff_json(version_diff(store, "p", 1, 2))
        assert diff["yaml"] == "" and {f["status"] for f in diff["files"]} == {"added"}
        assert diff["notes"] == [
            "version 1 was recorded before versions kept files; only its YAML is compared"
        ]
    finally:
        store.close()


def test_diff_shows_the_changed_cell(orch: Orchestrator, tmp_path: Path) -> None:
    path = project(tmp_path)
    orch.register(loaded(path))
    edit_cell(tmp_path / "transform.ipynb", 1, "x = days * 3")
    path.write_text(path.read_text().replace("0 9 * * *", "30 7 * * *"))
    orch.register(loaded(path))
    diff = version_diff(orch.store, "p", 1, 2)
    shown = diff_text(diff)
    assert '-schedule: {cron: "0 9 * * *"}' in shown and '+schedule: {cron: "30 7 * * *"}' in shown
    assert "notebook transform.ipynb: changed" in shown and "modified /cells/1/source" in shown
    assert "x = days * 3" in shown and "\x1b[" not in shown
    assert "\x1b[" in diff_text(diff, color=True)
    [notebook] = diff_json(diff)["files"]
    assert notebook["path"] == "transform.ipynb" and notebook["status"] == "changed"
    assert notebook["diff"][0]["key"] == "cells"


def test_jupyter_orch_diff(tmp_path: Path) -> None:
    path = project(tmp_path)
    assert orch_cli(tmp_path, "apply", str(path)).returncode == 0
    edit_cell(tmp_path / "transform.ipynb", 2, "print('x =', x)")
    assert orch_cli(tmp_path, "apply", str(path)).returncode == 0
    result = orch_cli(tmp_path, "diff", "p", "1", "2")
    assert result.returncode == 0, result.stderr
    assert "modified /cells/2/source" in result.stdout and "\x1b[" not in result.stdout
    result = orch_cli(tmp_path, "diff", "p", "1", "3")
    assert result.returncode == 2 and "pipeline 'p' has no version 3" in result.stderr
    result = orch_cli(tmp_path, "diff", "nope", "1", "2")
    assert result.returncode == 2 and "no pipeline named 'nope'" in result.stderr


def test_a_summary_of_a_version_that_is_no_longer_the_latest_is_not_recorded(store: Store) -> None:
    """A recorder compares with the latest version, then records; one that another recorder
    overtook in between compares again (``record_version``), never stores a wrong summary."""
    store.register("p", "/a/p.yaml", "name: p\n", {}, summary="first version", based_on=0)
    with pytest.raises(VersionRaced):
        store.register("p", "/a/p.yaml", "name: p\n# edit\n", {}, summary="x", based_on=0)
    assert store.register("p", "/a/p.yaml", "name: p\n", {}, based_on=0).created is False
    assert store.register("p", "/a/p.yaml", "name: p\n# e\n", {}, based_on=1).version.version == 2
