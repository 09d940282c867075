"""A remote ``runs_dir`` (an fsspec URL; ``file://`` here, as ``s3://`` behaves): run folders are
staged locally and copied to the URL, by the coordinator after each attempt and by a worker on
another machine before and after its attempt. Two staging folders of one URL stand for two
machines. A run whose files cannot be copied fails and says so; retention deletes at the URL."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from jupyter_orch.config import runs_path
from jupyter_orch.records import RunStatus, StepStatus
from jupyter_orch.retention import folder_size
from jupyter_orch.run_folders import (
    RemoteFolder,
    RemoteRuns,
    is_remote,
    local_folder,
    remove_folder,
)
from jupyter_orch.service import Orchestrator
from jupyter_orch.store.repository import Store

from .conftest import run_pipeline, write_notebook, write_pipeline
from .helpers import two_machines_in_step, write_remote_steps


def test_urls_are_remote_and_map_to_a_staging_folder_that_nothing_climbs_out_of(
    staging: Path,
) -> None:
    assert is_remote("s3://bucket/runs") and is_remote("file:///mnt/runs")
    assert not is_remote("/srv/runs") and not is_remote("runs") and not is_remote("a:b")
    assert local_folder("s3://bucket/runs/p/R1") == staging / "s3" / "bucket/runs/p/R1"
    assert local_folder("s3://bucket/../../../etc/p").is_relative_to(staging)
    assert local_folder("/srv/runs/p/R1") == Path("/srv/runs/p/R1")
    runs = runs_path("s3://bucket/runs/", "/anywhere")
    assert isinstance(runs, RemoteRuns) and str(runs / "_test") == "s3://bucket/runs/_test"


def test_two_machines_share_a_folder_through_its_url_without_copying_back_and_forth(
    tmp_path: Path,
) -> None:
    url = (tmp_path / "bucket" / "p" / "R1").as_uri()
    here, there = two_machines_in_step(url, tmp_path)
    # A retry rewrites the file: the new one reaches the other machine
    (tmp_path / "machine-a" / "artifacts" / "a.csv").write_text("x\n1\n2\n")
    assert here.push() == 1 and there.pull() == 1
    assert (tmp_path / "machine-b" / "artifacts" / "a.csv").read_text() == "x\n1\n2\n"
    assert there.stat("load.ipynb") is not None and there.stat("gone.ipynb") is None
    # A link is not pushed (its target is not the run's), a key climbing out is not pulled
    secret = tmp_path / "elsewhere.txt"
    secret.write_text("not the run's")
    (tmp_path / "machine-a" / "artifacts" / "link.txt").symlink_to(secret)
    assert here.push() == 0

    class FakeClimbingFs:
        """A fake file system listing one key that climbs out of the run's folder."""

        def find(self, root: str, detail: bool) -> dict[str, dict[str, object]]:
            return {f"{root}/../../escaped.txt": {"type": "file", "size": 1}}

        def get_file(self, path: str, target: str) -> None:
            raise AssertionError(f"{path} was copied to {target}")

    class FolderOnFakeFs(RemoteFolder):
        def _remote(self) -> tuple[FakeClimbingFs, str]:
            return FakeClimbingFs(), "bucket/p/R1"

    assert FolderOnFakeFs(url, str(tmp_path / "machine-c")).pull() == 0
    assert not (tmp_path / "escaped.txt").exists()
    assert there.read("load.ipynb", 100) == b"{}" and there.read("gone.ipynb", 100) is None
    # Retention: the bytes at the URL, then the folder deleted there and here
    assert folder_size(url) == len("x\n1\n2\n") + 2
    remove_folder(url)
    assert not (tmp_path / "bucket" / "p" / "R1").exists()


@pytest.fixture
def remote_orch(tmp_path: Path, store: Store, staging: Path) -> Orchestrator:
    return Orchestrator(store, RemoteRuns((tmp_path / "bucket").as_uri()))


def test_a_run_keeps_its_notebooks_and_artifacts_at_the_url(
    tmp_path: Path, remote_orch: Orchestrator, staging: Path
) -> None:
    run = run_pipeline(remote_orch, write_remote_steps(tmp_path / "project"), workers=1)
    assert run.status is RunStatus.FAILED and run.step("check").status is StepStatus.FAILED
    assert run.run_dir == f"{(tmp_path / 'bucket').as_uri()}/remote/{run.id}"
    there = tmp_path / "bucket" / "remote" / run.id
    assert (there / "artifacts" / "totals.csv").read_text() == "t\n9\n"
    assert (there / "make.ipynb").is_file() and (there / "check.ipynb").is_file()
    # Steps wrote into the staging folder, and the ledger saw what each wrote there
    [written] = run.step("make").attempts[-1].artifacts
    assert written["name"] == "totals.csv"
    assert Path(run.step("check").attempts[-1].output_notebook or "").is_relative_to(staging)
    # The failure's message, written by the outbox channel after the run, is kept there too
    assert remote_orch.notifier().deliver_due() == 1
    [message] = (there / "outbox").glob("*.eml")
    assert b"remote failed" in message.read_bytes()


def test_a_run_whose_files_cannot_reach_the_url_fails_and_says_why(
    tmp_path: Path, remote_orch: Orchestrator, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreachable(self: RemoteFolder) -> int:
        raise OSError("the bucket is unreachable")

    monkeypatch.setattr(RemoteFolder, "push", unreachable)
    folder = tmp_path / "project"
    write_notebook(folder / "make.ipynb", None, "print('fine')")
    path = write_pipeline(folder, "name: remote\nsteps:\n  - {name: make, notebook: make.ipynb}\n")
    run = run_pipeline(remote_orch, path, workers=1)
    assert run.step("make").status is StepStatus.SUCCEEDED
    assert run.status is RunStatus.FAILED, run.to_dict()
    assert "could not be copied to file://" in (run.error or "")
    assert "the bucket is unreachable" in (run.error or "")
    logs = [line.message for line in remote_orch.store.get_logs(run.id)]
    assert any(line.startswith("Warning: copying the run's files to") for line in logs), logs
    assert not os.path.exists(tmp_path / "bucket" / "remote" / run.id / "make.ipynb")
