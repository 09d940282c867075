"""Rolling back writes a version's files back and records them as a new version, never losing
an edit on disk; comparing two runs names what differs (``jupyter orch rollback``,
``jupyter orch compare``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jupyter_orch.errors import NotFoundError, UserError
from jupyter_orch.pipelines.loader import load_pipeline
from jupyter_orch.run_compare import compare_runs, compare_step_notebooks, compare_text
from jupyter_orch.service import Orchestrator
from jupyter_orch.store.repository import Store
from jupyter_orch.versions.rollback import rollback

from .conftest import run_pipeline
from .helpers import orch as orch_cli
from .test_versions import edit_cell, project
from .test_versions_replay import project as replay_project


def files_of(store: Store, name: str, number: int) -> dict[str, bytes]:
    version = store.get_version(name, number)
    return {f.path: store.read_blob(f.digest) for f in version.files}


def test_rollback_records_unsaved_edits_first_then_restores_the_version(
    any_store: Store, tmp_path: Path
) -> None:
    orch = Orchestrator(any_store, tmp_path / "runs")
    path = project(tmp_path)
    orch.register(load_pipeline(path), created_by="alice")
    v1_yaml = path.read_text()
    edit_cell(tmp_path / "transform.ipynb", 1, "x = days * 3")
    (tmp_path / "totals.sql").write_text("SELECT 2 AS n\n")
    orch.register(load_pipeline(path), created_by="alice")  # version 2
    # Edits on disk that no version holds yet
    edit_cell(tmp_path / "transform.ipynb", 1, "x = days * 4")
    path.write_text(path.read_text().replace("0 9 * * *", "30 7 * * *"))

    done = rollback(any_store, "p", 1, created_by="bob")
    assert (done.recorded_edits, done.version.version) == (3, 4)
    edits = any_store.get_version("p", 3)
    assert "x = days * 4" in files_of(any_store, "p", 3)["transform.ipynb"].decode()
    assert "schedule 09:00 -> 07:30" in (edits.summary or "")
    # The files now equal version 1's, byte for byte, and version 4 holds them
    assert path.read_text() == v1_yaml
    for named, data in files_of(any_store, "p", 1).items():
        assert (tmp_path / named).read_bytes() == data
    assert files_of(any_store, "p", 4) == files_of(any_store, "p", 1)
    latest = any_store.get_version("p")
    assert (latest.version, latest.created_by) == (4, "bob")
    assert (latest.summary or "").startswith("rolled back to version 1: ")
    assert sorted(p.name for p in done.written) == [
        "pipeline.yaml", "report.py", "totals.sql", "transform.ipynb",
    ]  # fmt: skip


def test_rollback_without_edits_on_disk_records_no_extra_version(
    store: Store, tmp_path: Path
) -> None:
    orch = Orchestrator(store, tmp_path / "runs")
    path = project(tmp_path)
    orch.register(load_pipeline(path))
    edit_cell(tmp_path / "transform.ipynb", 1, "x = days * 3")
    orch.register(load_pipeline(path))
    done = rollback(store, "p", 1)
    assert (done.recorded_edits, done.version.version) == (None, 3)
    assert "x = days * 2" in (tmp_path / "transform.ipynb").read_text()


def test_rollback_refuses_what_it_cannot_do_and_writes_nothing(
    store: Store, tmp_path: Path
) -> None:
    orch = Orchestrator(store, tmp_path / "runs")
    path = project(tmp_path)
    loaded = load_pipeline(path)
    store.register("p", str(path), loaded.source, loaded.spec.to_json())  # as before 0014
    with pytest.raises(UserError, match=r"recorded before versions kept their files"):
        rollback(store, "p", 1)
    orch.register(loaded)  # version 2, with files
    edit_cell(tmp_path / "transform.ipynb", 1, "x = days * 3")
    orch.register(load_pipeline(path))  # 3
    path.write_text("name: p\nsteps: [oops\n")  # an edit that cannot be a version
    with pytest.raises(UserError, match=r"would lose them: .*pipeline.yaml"):
        rollback(store, "p", 2)
    assert path.read_text() == "name: p\nsteps: [oops\n"
    assert "x = days * 3" in (tmp_path / "transform.ipynb").read_text()
    with pytest.raises(NotFoundError, match="no version 9"):
        rollback(store, "p", 9)


def test_rollback_in_the_server_keeps_paths_inside_its_root(store: Store, tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    path = project(root)
    orch = Orchestrator(store, tmp_path / "runs", root=root)
    orch.register(load_pipeline(path, root=root))
    edit_cell(root / "transform.ipynb", 1, "x = days * 3")
    orch.register(load_pipeline(path, root=root))
    outside = tmp_path / "outside.py"
    outside.write_text("SECRET = 1\n")
    (root / "report.py").unlink()
    (root / "report.py").symlink_to(outside)  # the named file now leads out of the root
    with pytest.raises(UserError, match="outside the server's root folder"):
        rollback(store, "p", 1, root=root)
    assert outside.read_text() == "SECRET = 1\n"


@pytest.mark.slow
def test_compare_names_the_changed_parameters_outputs_and_cells(
    store: Store, tmp_path: Path
) -> None:
    orch = Orchestrator(store, tmp_path / "runs")
    path = replay_project(tmp_path, 1)
    first = run_pipeline(orch, path, {"k": 1})
    replay_project(tmp_path, 2)
    second = run_pipeline(orch, path, {"k": 4})
    comparison = compare_runs(store, first.id, second.id)
    assert comparison["version"] == {"a": 1, "b": 2, "same": False}
    assert comparison["parameters"] == [{"name": "k", "a": 1, "b": 4, "same": False}]
    steps = {s["name"]: s for s in comparison["steps"]}
    assert steps["transform"]["changed_outputs"] == ["value"]
    assert steps["transform"]["a"]["outputs"]["value"] == 102
    assert steps["transform"]["b"]["outputs"]["value"] == 4 * 3 + 200
    assert steps["totals"]["changed_outputs"] == ["records_count"]
    assert steps["transform"]["notebooks"] is True
    assert steps["transform"]["a"]["status"] == "succeeded"
    assert isinstance(steps["transform"]["a"]["duration_seconds"], float)
    text = compare_text(comparison)
    assert "version: 1 -> 2 (jupyter orch diff p 1 2)" in text
    assert "parameter k: 1 -> 4" in text and "output value: 102 -> 212" in text

    notebooks = compare_step_notebooks(store, first.id, second.id, "transform")
    assert notebooks["base"]["cells"] and notebooks["diff"][0]["key"] == "cells"
    changed = json.dumps(notebooks["diff"])
    assert '"key": "source"' in changed and '"key": "outputs"' in changed  # code and result
    with pytest.raises(NotFoundError, match="left no output notebook"):
        compare_step_notebooks(store, first.id, second.id, "nope")


@pytest.mark.slow
def test_jupyter_orch_rollback_and_compare(tmp_path: Path) -> None:
    path = replay_project(tmp_path, 1)
    assert orch_cli(tmp_path, "run", str(path)).returncode == 0
    v1 = {p: p.read_bytes() for p in (tmp_path / "totals.sql", tmp_path / "lib" / "report.py")}
    replay_project(tmp_path, 2)
    assert orch_cli(tmp_path, "run", str(path)).returncode == 0
    runs = json.loads(orch_cli(tmp_path, "runs", "--json").stdout)
    new, old = runs[0]["id"], runs[1]["id"]

    shown = orch_cli(tmp_path, "compare", old, new)
    assert shown.returncode == 0, shown.stderr
    assert "version: 1 -> 2" in shown.stdout and "output records_count: 1 -> 2" in shown.stdout
    cells = orch_cli(tmp_path, "compare", old, new, "--step", "transform")
    assert cells.returncode == 0 and "k * mult + 200" in cells.stdout
    assert "\x1b[" not in cells.stdout
    missing = orch_cli(tmp_path, "compare", old, "0" * 26)
    assert missing.returncode == 2 and "no run" in missing.stderr

    result = orch_cli(tmp_path, "rollback", "p", "1")
    assert result.returncode == 0, result.stderr
    assert "rolled back to version 1 as version 3" in result.stdout
    for file, data in v1.items():
        assert file.read_bytes() == data
    history = orch_cli(tmp_path, "versions", "p")
    assert history.returncode == 0 and "rolled back to version 1: " in history.stdout
    listed = json.loads(orch_cli(tmp_path, "versions", "p", "--json").stdout)
    assert [v["version"] for v in listed] == [3, 2, 1] and listed[2]["summary"] == "first version"
    refused = orch_cli(tmp_path, "rollback", "p", "7")
    assert refused.returncode == 2 and "no version 7" in refused.stderr


def test_a_rollback_whose_write_fails_leaves_every_file_as_it_was(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    orch = Orchestrator(store, tmp_path / "runs")
    path = project(tmp_path)
    orch.register(load_pipeline(path))
    edit_cell(tmp_path / "transform.ipynb", 1, "x = days * 3")
    (tmp_path / "totals.sql").write_text("SELECT 3 AS n\n")
    orch.register(load_pipeline(path))
    files = ["pipeline.yaml", "transform.ipynb", "totals.sql", "report.py"]
    before = {name: (tmp_path / name).read_bytes() for name in files}
    real = Path.write_bytes
    written: list[str] = []

    def full_disk(self: Path, data: bytes) -> int:  # a fake full disk on the third file
        written.append(self.name)
        if len(written) == 3:
            raise OSError(28, "No space left on device")
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", full_disk)
    with pytest.raises(OSError, match="No space left"):
        rollback(store, "p", 1)
    monkeypatch.undo()
    assert {name: (tmp_path / name).read_bytes() for name in files} == before
    assert not list(tmp_path.glob(".*.rollback"))  # no half-written file left beside them
    assert store.get_version("p").version == 2  # nothing recorded
