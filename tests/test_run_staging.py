"""Staging folders of remote run folders are a cache (``run_staging``): pruned once no lease
holds them and none used them for the TTL; never while a run's coordinator or a worker's attempt
holds one, even when a prune and a new lease meet. Real files and ``flock``, no fakes."""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from pathlib import Path

import pytest

from jupyter_orch.records import RunStatus
from jupyter_orch.run_folders import RemoteRuns, local_folder
from jupyter_orch.run_staging import (
    DEFAULT_TTL,
    STAGING_TTL_ENV,
    StagingLease,
    _lease_file,
    _locked,
    prune_staging,
    staging_ttl,
)
from jupyter_orch.service import Orchestrator
from jupyter_orch.store.repository import Store

from .conftest import run_pipeline, write_notebook, write_pipeline


def staged(staging: Path, run: str) -> Path:
    folder = staging / "s3" / "bucket" / "runs" / run
    (folder / "artifacts").mkdir(parents=True)
    (folder / "artifacts" / "big.parquet").write_bytes(b"x" * 1000)
    return folder


def used_long_ago(folder: Path, hours: float = 48) -> None:
    then = time.time() - hours * 3600
    os.utime(_lease_file(str(folder)), (then, then))


def test_only_folders_unused_for_the_ttl_and_unheld_are_pruned(staging: Path) -> None:
    old, recent, held = (staged(staging, name) for name in ("old", "recent", "held"))
    for folder in (old, recent, held):
        StagingLease(str(folder)).release()
    used_long_ago(old)
    used_long_ago(held)
    lease = StagingLease(str(held))  # a long attempt took it before the TTL passed
    used_long_ago(held)
    assert prune_staging() == [str(old)]
    assert not old.exists() and not _lease_file(str(old)).exists()
    assert (recent / "artifacts" / "big.parquet").is_file()
    assert (held / "artifacts" / "big.parquet").is_file()
    lease.release()  # its last use is now: it stays for another TTL
    assert prune_staging() == []
    assert sorted(prune_staging(ttl=0)) == [str(held), str(recent)]
    assert list((staging / ".leases").iterdir()) == []


def test_a_lease_taken_while_a_prune_deletes_its_folder_holds_the_new_lease(
    staging: Path,
) -> None:
    """The prune holds the lease file exclusively and deletes folder and file; an attempt that
    opened the old file meanwhile must not run unprotected on the deleted one."""
    folder = staged(staging, "raced")
    StagingLease(str(folder)).release()
    path = _lease_file(str(folder))
    pruning = _locked(path, fcntl.LOCK_EX)  # as prune_staging holds it
    assert pruning is not None
    got: list[StagingLease] = []
    waiting = threading.Thread(target=lambda: got.append(StagingLease(str(folder))))
    waiting.start()
    time.sleep(0.3)
    assert not got  # it waits for the prune
    for child in sorted(folder.rglob("*"), reverse=True):
        child.unlink() if child.is_file() else child.rmdir()
    folder.rmdir()
    path.unlink()
    os.close(pruning)
    waiting.join(timeout=10)
    [lease] = got
    assert path.is_file()  # it holds the lease file the path names now
    assert prune_staging(ttl=0) == []  # so no prune goes past it
    lease.release()
    assert prune_staging(ttl=0) == [str(folder)]


def test_a_lease_file_naming_a_folder_outside_the_staging_root_deletes_nothing(
    staging: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "precious"
    outside.mkdir()
    (outside / "keep.txt").write_text("mine")
    path = staging / ".leases" / "forged.lock"
    path.parent.mkdir(parents=True)
    for named in (str(outside), str(staging), f"{staging}/s3/../../precious"):
        path.write_text(named)
        os.utime(path, (0, 0))
        assert prune_staging(ttl=0) == []
        assert (outside / "keep.txt").read_text() == "mine" and staging.is_dir()
        assert not path.exists()


def test_the_ttl_comes_from_the_environment_and_a_bad_one_is_a_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv(STAGING_TTL_ENV, raising=False)
    assert staging_ttl() == DEFAULT_TTL == 86400
    monkeypatch.setenv(STAGING_TTL_ENV, "3600")
    assert staging_ttl() == 3600
    for bad in ("soon", "-1", "nan", "inf"):
        monkeypatch.setenv(STAGING_TTL_ENV, bad)
        with caplog.at_level(logging.WARNING, logger="jupyter_orch.run_staging"):
            assert staging_ttl() == DEFAULT_TTL
        assert f"{STAGING_TTL_ENV}={bad!r}: give seconds" in caplog.text
        caplog.clear()


PIPELINE = """
name: staged
parameters: {staging: ""}
steps:
  - {name: make, notebook: make.ipynb, parameters: {staging: "{{ params.staging }}"}}
"""


def test_a_run_leases_its_staging_folder_while_it_runs_and_a_prune_then_removes_it(
    tmp_path: Path, store: Store, staging: Path
) -> None:
    """The coordinator holds the lease from its start to its end: a prune with no TTL from
    the step's own kernel (another process) deletes nothing of it; after the run, the folder
    goes and the files stay at the URL."""
    orch = Orchestrator(store, RemoteRuns((tmp_path / "bucket").as_uri()))
    write_notebook(
        tmp_path / "project" / "make.ipynb",
        "staging = ''",
        "import os\nos.environ['JUPYTER_ORCH_RUNS_STAGING'] = staging  # a warm kernel's is older\n"
        "from jupyter_orch.run_staging import _lease_file, prune_staging\n"
        "artifacts = os.environ['JUPYTER_ORCH_RUN_DIR']\n"
        "seen = [prune_staging(ttl=0), _lease_file(os.path.dirname(artifacts)).is_file()]\n"
        "open(artifacts + '/totals.csv', 'w').write(repr(seen))",
    )
    path = write_pipeline(tmp_path / "project", PIPELINE)
    run = run_pipeline(orch, path, {"staging": str(staging)}, workers=1)
    assert run.status is RunStatus.SUCCEEDED, run.error
    here = local_folder(run.run_dir)
    # JUPYTER_ORCH_RUN_DIR is the run's artifacts folder
    # The run held a lease on its folder, so a prune left it
    assert (here / "artifacts" / "totals.csv").read_text() == "[[], True]"
    assert prune_staging(ttl=0) == [str(here)]
    assert not here.exists()
    there = tmp_path / "bucket" / "staged" / run.id
    assert (there / "artifacts" / "totals.csv").read_text() == "[[], True]"
