"""Helpers shared by several test modules; no test module imports another for them."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil

from jupyter_orch.executors.base import NotebookTask
from jupyter_orch.inputs.yaml_load import load_yaml
from jupyter_orch.pipelines.loader import LoadedPipeline, plain
from jupyter_orch.records import AttemptStatus, RunStatus, StepStatus
from jupyter_orch.run_folders import RemoteFolder
from jupyter_orch.service import Orchestrator
from jupyter_orch.spec import PipelineSpec
from jupyter_orch.store.repository import Store

from .conftest import write_notebook, write_pipeline

# executors and processes


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def wait_for(predicate: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


async def wait_until(predicate, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(0.1)
    return bool(predicate())


def read_pids(pid_file: Path, timeout: float = 60) -> dict[str, Any]:
    assert wait_for(lambda: pid_file.exists() and pid_file.stat().st_size > 0, timeout)
    return json.loads(pid_file.read_text())


def task(tmp_path: Path, name: str, code: str) -> NotebookTask:
    notebook = write_notebook(tmp_path / f"{name}.ipynb", None, code)
    return NotebookTask(
        key=name,
        notebook=str(notebook),
        output_notebook=str(tmp_path / "out" / f"{name}.ipynb"),
        cwd=str(tmp_path),
        kernel_name="python3",
    )


#: A coordinator script (argv: notebook, output, cwd) running one task on a LocalExecutor.
COORDINATOR = """
import asyncio, sys
from jupyter_orch.executors.base import NotebookTask
from jupyter_orch.executors.local import LocalExecutor

async def main(notebook, output, cwd):
    executor = LocalExecutor(max_workers=1)
    task = NotebookTask(
        key="long", notebook=notebook, output_notebook=output, cwd=cwd, kernel_name="python3"
    )
    execution = await executor.submit(task, lambda stream, text: None)
    await execution.wait()

asyncio.run(main(*sys.argv[1:]))
"""


# the run coordinator's faults


def faults_pipeline(tmp_path: Path) -> Path:
    """Three steps in a line, each a one-cell notebook."""
    write_notebook(tmp_path / "a.ipynb", None, "x = 1")
    return write_pipeline(
        tmp_path,
        """
        name: faults
        steps:
          - {name: first, notebook: a.ipynb}
          - {name: second, notebook: a.ipynb, needs: [first]}
          - {name: third, notebook: a.ipynb, needs: [second]}
        """,
    )


def assert_truthful_failure(store: Store, run_id: str, words: str) -> None:
    """The run ended `failed` saying why, nothing left unfinished, no success line."""
    run = store.get_run(run_id)
    assert run.status is RunStatus.FAILED
    assert run.error and "internal error" in run.error and words in run.error
    assert run.ended_at is not None
    for step in run.steps:
        assert step.status not in (StepStatus.PENDING, StepStatus.RUNNING, StepStatus.RETRYING)
        for attempt in step.attempts:
            assert attempt.status is not AttemptStatus.RUNNING
            assert attempt.ended_at is not None
    messages = [line.message for line in store.get_logs(run_id)]
    assert "Pipeline completed successfully" not in messages
    assert any(m.startswith("Pipeline failed: internal error") for m in messages)


# the CLI and scheduler processes


def command(tmp_path: Path, *args: str) -> list[str]:
    """``jupyter orch ARGS`` on this test's own store and runs folder."""
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    return [
        sys.executable,
        "-m",
        "jupyter_orch.cli",
        *args,
        "--db",
        db,
        "--runs-dir",
        str(tmp_path / "runs"),
    ]


def orch(tmp_path: Path, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command(tmp_path, *args), capture_output=True, text=True, timeout=timeout, cwd=tmp_path
    )


def long_step(folder: Path, first_attempt_only: bool = True) -> tuple[Path, Path]:
    """A notebook whose first attempt starts a child and sleeps; later attempts are quick."""
    pids = folder / "pids.json"
    marker = folder / "attempted"
    guard = f"if not pathlib.Path({str(marker)!r}).exists():" if first_attempt_only else "if True:"
    write_notebook(
        folder / "long.ipynb",
        None,
        f"""
        import json, os, pathlib, subprocess, time
        {guard}
            pathlib.Path({str(marker)!r}).write_text("1")
            child = subprocess.Popen(["sleep", "300"])
            pathlib.Path({str(pids)!r}).write_text(json.dumps({{"kernel": os.getpid(), "child": child.pid}}))
            time.sleep(300)
        """,
    )
    return pids, marker


def read_json(path: Path, timeout: float = 60) -> dict[str, Any]:
    assert wait_for(lambda: path.exists() and path.stat().st_size > 0, timeout), f"no {path}"
    return dict(json.loads(path.read_text()))


def no_orch_processes_left(folder: Path) -> bool:
    """No kernel, worker or template launched for this test's folder is alive."""
    mine = []
    for proc in psutil.process_iter(["cmdline", "cwd"]):
        try:
            cmdline = " ".join(proc.info["cmdline"] or [])
            ours = "ipykernel" in cmdline or "jupyter_orch" in cmdline
            if ours and str(folder) in (proc.info["cwd"] or "") and proc.status() != "zombie":
                mine.append(proc)
        except psutil.Error:
            continue
    return not mine


# definitions registered under older rules


def load_unchecked(path: Path) -> LoadedPipeline:
    """A pipeline file read as the store reads a definition registered before today's rules
    (a URL with its password in a trigger was allowed then): no file checks, no new rules."""
    source = path.read_text()
    spec = PipelineSpec.from_stored(plain(load_yaml(source)))
    return LoadedPipeline(spec=spec, path=path.absolute(), source=source)


def register_unchecked(db_url: str, path: Path) -> None:
    """Register ``path`` in the store at ``db_url`` as an older version would have."""
    store = Store.open(db_url)
    try:
        Orchestrator(store, path.parent / "runs").register(load_unchecked(path))
    finally:
        store.close()


def meet_a_peer(folder: Path, timeout: float = 20.0) -> str:
    """A notebook cell: note when this attempt started (``start``), mark it in ``folder``, then
    wait, at most ``timeout`` seconds, until another attempt has started too. Two attempts
    allowed at once then overlap for certain, whatever the machine's load (a sleep alone let
    a slow kernel start miss the first one's end); one at a time, each waits the timeout out."""
    where = str(folder)
    return (
        "import os, time, uuid\n"
        "start = time.time()\n"
        f"os.makedirs({where!r}, exist_ok=True)\n"
        f"open(os.path.join({where!r}, uuid.uuid4().hex), 'w').close()\n"
        f"until = start + {timeout}\n"
        f"while len(os.listdir({where!r})) < 2 and time.time() < until:\n"
        "    time.sleep(0.05)\n"
    )


#: A run on a remote ``runs_dir``: ``make`` writes an artifact, ``check`` fails, and the failure's
#: message goes to the outbox (written into the run's folder after the run).
REMOTE_PIPELINE = """
name: remote
defaults: {retries: 0}
notify: {on_failure: [outbox]}
steps:
  - {name: make, notebook: make.ipynb}
  - {name: check, notebook: check.ipynb, needs: [make]}
"""


def write_remote_steps(folder: Path) -> Path:
    """REMOTE_PIPELINE and its notebooks in ``folder``; the pipeline file."""
    write_notebook(
        folder / "make.ipynb",
        None,
        "import os\nopen(os.environ['JUPYTER_ORCH_RUN_DIR'] + '/totals.csv', 'w').write('t\\n9\\n')",
    )
    write_notebook(folder / "check.ipynb", None, "raise ValueError('totals are off')")
    return write_pipeline(folder, REMOTE_PIPELINE)


def two_machines_in_step(url: str, folder: Path) -> tuple[RemoteFolder, RemoteFolder]:
    """Machine a (``folder/machine-a``) writes two files and pushes them, machine b pulls them,
    and nothing then copies back and forth; the two machines' views of ``url``."""
    here = RemoteFolder(url, str(folder / "machine-a"))
    there = RemoteFolder(url, str(folder / "machine-b"))
    (folder / "machine-a" / "artifacts").mkdir(parents=True)
    (folder / "machine-a" / "artifacts" / "a.csv").write_text("x\n1\n")
    (folder / "machine-a" / "load.ipynb").write_text("{}")
    assert here.push() == 2 and here.push() == 0
    assert there.pull() == 2
    assert (folder / "machine-b" / "artifacts" / "a.csv").read_text() == "x\n1\n"
    assert there.push() == 0 and there.pull() == 0 and here.pull() == 0  # nothing bounces
    return here, there
