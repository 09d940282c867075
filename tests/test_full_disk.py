"""A full disk under the store (a real one: a small tmpfs) while a run executes: the run ends
`failed` once the store is writable again, never stays `running`, and `jupyter orch run`
says what happened (issue 11 item 11, RELIABILITY case 17)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from jupyter_orch.records import AttemptStatus, RunStatus
from jupyter_orch.store.repository import Store

from .conftest import write_notebook, write_pipeline

pytestmark = pytest.mark.slow


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """An 8 MB file system of its own (mounting needs root, which .ci/run has)."""
    folder = tmp_path / "disk"
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(folder)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def _fill(folder: Path) -> Path:
    filler = folder / "filler"
    # Unbuffered: a buffered file would try its last bytes again as it closes, and raise there
    with filler.open("wb", buffering=0) as handle:
        try:
            while True:
                handle.write(b"\0" * 65536)
        except OSError:
            pass
    return filler


def _wait(predicate: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return False


def test_a_full_disk_under_the_store_fails_the_run_once_it_is_writable_again(
    tmp_path: Path, small_disk: Path
) -> None:
    flag = tmp_path / "go"
    write_notebook(
        tmp_path / "wait.ipynb",
        None,
        f"import os, time\nwhile not os.path.exists({str(flag)!r}):\n    time.sleep(0.05)",
    )
    write_notebook(tmp_path / "after.ipynb", None, "x = 1")
    path = write_pipeline(
        tmp_path,
        "name: full-disk\nsteps:\n  - {name: wait, notebook: wait.ipynb}\n"
        "  - {name: after, notebook: after.ipynb, needs: [wait]}\n",
    )
    url = f"sqlite:///{small_disk / 'orch.sqlite'}"
    stderr = tmp_path / "stderr.txt"
    with stderr.open("w") as err:
        cli = subprocess.Popen(
            [sys.executable, "-m", "jupyter_orch.cli", "run", str(path), "--db", url,
             "--runs-dir", str(tmp_path / "runs")],
            stdout=subprocess.PIPE, stderr=err, text=True, cwd=tmp_path,
        )  # fmt: skip
    store = Store.open(url)
    try:
        assert _wait(lambda: "wait started" in stderr.read_text(), 60), stderr.read_text()
        filler = _fill(small_disk)
        flag.touch()  # the step ends: its record cannot be written
        said = "The store refused to record the end"
        assert _wait(lambda: said in stderr.read_text(), 60), stderr.read_text()
        (run,) = store.list_runs()
        assert run.status is RunStatus.RUNNING  # not settled while the disk is full
        os.remove(filler)
        out, _ = cli.communicate(timeout=90)
        assert cli.returncode == 1, stderr.read_text()
        run = store.get_run(run.id)
        assert run.status is RunStatus.FAILED
        assert run.error and "database or disk is full" in run.error
        assert all(a.status is not AttemptStatus.RUNNING for s in run.steps for a in s.attempts)
        assert [s.status.value for s in run.steps] == ["failed", "cancelled"]
        text = stderr.read_text()
        assert "Pipeline full-disk failed" in out + text and "Traceback" not in text
    finally:
        if cli.poll() is None:
            cli.kill()
        store.close()


def test_a_full_disk_under_the_runs_folder_fails_the_attempt_and_the_next_run_works(
    tmp_path: Path, small_disk: Path
) -> None:
    """A real full disk (the 8 MB tmpfs, not an injected error) under the runs folder while a
    step runs: its output notebook cannot be saved, the attempt fails saying so, the store
    (on another disk) stays readable, and once space is back the next run succeeds."""
    flag = tmp_path / "go"
    write_notebook(
        tmp_path / "wait.ipynb",
        None,
        f"import os, time\nwhile not os.path.exists({str(flag)!r}):\n    time.sleep(0.05)\n"
        "print('x' * 100_000)",
    )
    path = write_pipeline(
        tmp_path, "name: runs-disk\nsteps:\n  - {name: wait, notebook: wait.ipynb}\n"
    )
    url = f"sqlite:///{tmp_path / 'orch.sqlite'}"
    command = [sys.executable, "-m", "jupyter_orch.cli", "run", str(path), "--db", url,
               "--runs-dir", str(small_disk / "runs")]  # fmt: skip
    stderr = tmp_path / "stderr.txt"
    with stderr.open("w") as err:
        cli = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=err, text=True, cwd=tmp_path)
    store = Store.open(url)
    try:
        assert _wait(lambda: "wait started" in stderr.read_text(), 60), stderr.read_text()
        filler = _fill(small_disk)
        flag.touch()
        out, _ = cli.communicate(timeout=90)
        assert cli.returncode == 1, stderr.read_text()
        (run,) = store.list_runs()
        assert run.status is RunStatus.FAILED
        error = run.steps[0].attempts[-1].error or {}
        assert error.get("ename") == "DiskFull", error
        assert error["evalue"].startswith("no space left on device for the output notebook")
        said = out + stderr.read_text()
        assert "DiskFull: no space left on device" in said and "Traceback" not in said

        os.remove(filler)  # space is back
        again = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=90)
        assert again.returncode == 0, again.stderr
        newest = store.list_runs()[0]
        assert newest.id != run.id and newest.status is RunStatus.SUCCEEDED
        notebook = newest.steps[0].attempts[-1].output_notebook
        assert notebook and Path(notebook).is_relative_to(small_disk)
        assert "x" * 1000 in Path(notebook).read_text()
    finally:
        if cli.poll() is None:
            cli.kill()
        store.close()
