"""A remote ``runs_dir`` on S3 through s3fs, as teams use it: the S3 API served on loopback by
moto's server (an S3 emulator: the requests and answers of S3, its listings, its one-second
``LastModified``), not ``file://``. Two staging folders of one URL stand for two machines; a
real run keeps its notebooks and artifacts in the bucket, the server's route reads an output
notebook from there, and retention deletes there."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import s3fs
from moto.server import ThreadedMotoServer

from jupyter_orch.records import RunStatus, StepStatus
from jupyter_orch.retention import folder_size
from jupyter_orch.run_folders import RemoteRuns, local_folder, remove_folder
from jupyter_orch.run_notebooks import RunNotebooks
from jupyter_orch.service import Orchestrator
from jupyter_orch.store.repository import Store

from .conftest import run_pipeline
from .helpers import two_machines_in_step, write_remote_steps


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A new bucket; s3fs finds the emulator through the standard AWS variables."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": endpoint,
    }.items():
        monkeypatch.setenv(name, value)
    s3fs.S3FileSystem.clear_instance_cache()
    name = f"orch-{uuid.uuid4().hex[:12]}"
    s3fs.S3FileSystem().mkdir(name)
    yield name
    s3fs.S3FileSystem.clear_instance_cache()


def s3() -> Any:
    return s3fs.S3FileSystem(skip_instance_cache=True)  # a listing of its own, as elsewhere


def test_two_machines_share_a_folder_in_a_bucket_without_copying_back_and_forth(
    tmp_path: Path, bucket: str
) -> None:
    url = f"s3://{bucket}/p/R1"
    here, there = two_machines_in_step(url, tmp_path)
    # A worker writes a new file: the other machine's next pull sees it (no stale listing)
    (tmp_path / "machine-b" / "artifacts" / "b.csv").write_text("y\n")
    assert there.push() == 1 and here.pull() == 1
    assert (tmp_path / "machine-a" / "artifacts" / "b.csv").read_text() == "y\n"
    # A retry rewrites a file at another size: the new one reaches the other machine
    (tmp_path / "machine-a" / "artifacts" / "a.csv").write_text("x\n1\n2\n")
    assert here.push() == 1 and there.pull() == 1
    assert (tmp_path / "machine-b" / "artifacts" / "a.csv").read_text() == "x\n1\n2\n"
    assert there.read("load.ipynb", 100) == b"{}" and there.read("gone.ipynb", 100) is None
    assert (there.stat("load.ipynb") or (0,))[0] == 2 and there.stat("gone.ipynb") is None
    # Retention: the bytes in the bucket, then the folder deleted there and here
    assert folder_size(url) == len("x\n1\n2\n") + len("y\n") + 2
    remove_folder(url)
    assert s3().find(f"{bucket}/p/R1") == []


def test_a_run_keeps_its_notebooks_and_artifacts_in_the_bucket(
    tmp_path: Path, store: Store, staging: Path, bucket: str
) -> None:
    orch = Orchestrator(store, RemoteRuns(f"s3://{bucket}/orch-runs"))
    run = run_pipeline(orch, write_remote_steps(tmp_path / "project"), workers=1)
    assert run.status is RunStatus.FAILED and run.step("check").status is StepStatus.FAILED
    assert run.run_dir == f"s3://{bucket}/orch-runs/remote/{run.id}"
    there = f"{bucket}/orch-runs/remote/{run.id}"
    fs = s3()
    assert fs.cat(f"{there}/artifacts/totals.csv") == b"t\n9\n"
    assert fs.isfile(f"{there}/make.ipynb") and fs.isfile(f"{there}/check.ipynb")
    # The failure's message, written by the outbox channel after the run, is kept there too
    assert orch.notifier().deliver_due() == 1
    [message] = fs.glob(f"{there}/outbox/*.eml")
    assert b"remote failed" in fs.cat(message)
    # The server's route reads the failed notebook from the bucket, not from a staging folder
    shutil.rmtree(local_folder(run.run_dir))
    model = RunNotebooks(store).notebook(run.id, "check.ipynb")
    assert model["writable"] is False and model["size"] > 0
    outputs = [o for cell in model["content"]["cells"] for o in cell.get("outputs", [])]
    assert any(o.get("evalue") == "totals are off" for o in outputs)
    # Retention deletes there
    remove_folder(run.run_dir)
    assert fs.find(there) == []
