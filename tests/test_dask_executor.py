"""The Dask executor (``c.OrchApp.executor = "dask"``) on a real ``LocalCluster`` of two worker
processes: the same records as the local executor for a pipeline with a fan-out, retries,
conditions and a failing branch; timeout, cancel and the memory limit enforced on a worker; a
worker killed with -9 mid-step; the step's environment; an unsatisfiable ``max_memory``."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jupyter_orch.executors.base import NotebookTask, TaskResult
from jupyter_orch.executors.dask_executor import DaskExecutor
from jupyter_orch.executors.local import LocalExecutor
from jupyter_orch.pipelines.loader import load_pipeline
from jupyter_orch.records import AttemptStatus, RunRecord, RunStatus, StepStatus
from jupyter_orch.run_folders import RemoteFolder
from jupyter_orch.service import Orchestrator

from .conftest import run_pipeline, write_notebook, write_pipeline
from .helpers import command, gone, wait_for
from .orch_server import call, poll_run

distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    """Two Dask worker processes of one thread each, with a variable of their own, as a team's
    workers would have."""
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        host="127.0.0.1",
        env={"ORCH_WORKER_ONLY": "set on the worker"},
    ) as cluster:
        yield cluster


def summary(run: RunRecord) -> dict[str, Any]:
    """What must not depend on the executor: statuses, attempts, outputs, errors."""
    return {
        "status": run.status,
        "steps": {
            step.name: (
                step.status,
                [a.status for a in step.attempts],
                step.outputs,
                [(a.error or {}).get("evalue") for a in step.attempts],
            )
            for step in run.steps
        },
    }


ACCEPTANCE = """
name: acceptance
steps:
  - {name: extract, notebook: extract.ipynb}
  - {name: left, notebook: square.ipynb, needs: [extract], parameters: {n: "{{ steps.extract.outputs.n }}"}}
  - {name: right, notebook: square.ipynb, needs: [extract], parameters: {n: 3}}
  - name: flaky
    notebook: flaky.ipynb
    needs: [extract]
    retries: 2
    retry_delay: 0s
    parameters: {marker: "MARKER"}
  - {name: big_only, notebook: square.ipynb, needs: [left], if: "steps.left.outputs.square > 100"}
  - {name: boom, notebook: boom.ipynb, needs: [right]}
  - {name: after_boom, notebook: square.ipynb, needs: [boom]}
  - {name: report, notebook: square.ipynb, needs: [left, flaky, after_boom], run_if: all_done}
"""


def acceptance_pipeline(folder: Path) -> Path:
    folder.mkdir()
    write_notebook(
        folder / "extract.ipynb", None, "import jupyter_orch\njupyter_orch.record('n', 4)"
    )
    write_notebook(
        folder / "square.ipynb",
        "n = 2",
        "import jupyter_orch\njupyter_orch.record('square', n * n)",
    )
    write_notebook(
        folder / "flaky.ipynb",
        "marker = ''",
        "import os\n"
        "if not os.path.exists(marker):\n"
        "    open(marker, 'w').close()\n"
        "    raise RuntimeError('transient')",
    )
    write_notebook(folder / "boom.ipynb", None, "raise ValueError('bad row 7')")
    text = ACCEPTANCE.replace("MARKER", str(folder / "marker"))
    text = text.replace("name: acceptance", f"name: acceptance_{folder.name}")
    return write_pipeline(folder, text)


def test_a_pipeline_gives_the_same_records_on_dask_as_on_the_local_executor(
    cluster: Any, tmp_path: Path, orch: Orchestrator
) -> None:
    local = run_pipeline(
        orch, acceptance_pipeline(tmp_path / "local"), executor=LocalExecutor(max_workers=2)
    )
    on_dask = run_pipeline(
        orch,
        acceptance_pipeline(tmp_path / "dask"),
        executor=DaskExecutor(address=cluster.scheduler_address),
    )
    assert summary(on_dask) == summary(local)
    assert on_dask.status is RunStatus.FAILED
    assert on_dask.step("flaky").status is StepStatus.SUCCEEDED
    assert [a.status for a in on_dask.step("flaky").attempts] == [
        AttemptStatus.FAILED,
        AttemptStatus.SUCCEEDED,
    ]
    assert on_dask.step("big_only").status is StepStatus.SKIPPED
    assert on_dask.step("after_boom").status is StepStatus.UPSTREAM_FAILED
    # The output notebooks are where the local executor puts them, written by the workers
    boom = on_dask.step("boom").attempts[0]
    assert boom.error["ename"] == "ValueError" and Path(boom.output_notebook).is_file()
    # The step's prints reach the run log through Dask
    logs = [line.message for line in orch.store.get_logs(on_dask.id)]
    assert any("bad row 7" in line for line in logs), logs


def start(orch: Orchestrator, path: Path) -> tuple[RunRecord, Any]:
    """A new run of ``path``, not yet executed, and the pipeline it runs."""
    loaded = load_pipeline(path, connections=orch.connections)
    version = orch.register(loaded)
    return orch.create_run(loaded, version.version), loaded


#: Writes its kernel's pid and ancestors to PIDS, then sleeps.
SLEEPER = (
    "import json, os, time, psutil\n"
    "chain = [os.getpid()] + [p.pid for p in psutil.Process().parents()]\n"
    "open(pids + '.tmp', 'w').write(json.dumps(chain))\n"
    "os.replace(pids + '.tmp', pids)\n"
    "time.sleep(sleep)"
)


def test_timeout_cancel_and_the_memory_limit_are_enforced_on_the_worker(
    cluster: Any, tmp_path: Path, orch: Orchestrator
) -> None:
    write_notebook(tmp_path / "sleep.ipynb", "pids = ''\nsleep = 60", SLEEPER)
    write_notebook(tmp_path / "hog.ipynb", None, "import time\nheld = b'1' * 10**9\ntime.sleep(3)")
    timeout_pids, cancel_pids = tmp_path / "timeout.json", tmp_path / "cancel.json"
    path = write_pipeline(
        tmp_path,
        f"""
        name: limits
        steps:
          - {{name: slow, notebook: sleep.ipynb, timeout: 12s, parameters: {{pids: "{timeout_pids}"}}}}
          - {{name: hog, notebook: hog.ipynb, max_memory: 256MB}}
          - {{name: huge, notebook: hog.ipynb, max_memory: 900GB}}
        """,
    )
    started = time.monotonic()
    run = run_pipeline(orch, path, executor=DaskExecutor(address=cluster.scheduler_address))
    assert run.status is RunStatus.FAILED
    slow = run.step("slow").attempts[-1]
    assert slow.status is AttemptStatus.TIMED_OUT
    timed_out_kernel = json.loads(timeout_pids.read_text())[0]
    assert wait_for(lambda: gone(timed_out_kernel), 15), "the timed-out step's kernel outlived it"
    hog = run.step("hog").attempts[-1].to_dict()
    assert hog["error"]["ename"] == "MemoryLimitExceeded", hog["error"]
    assert hog["error"]["evalue"].endswith(" > 256 MB")
    # No worker has 900 GB: the attempt fails at once, saying why, instead of waiting
    huge = run.step("huge").attempts[-1].to_dict()
    assert huge["error"]["ename"] == "Unschedulable"
    assert huge["error"]["evalue"].startswith("max_memory 900 GB: no Dask worker has that much")
    assert time.monotonic() - started < 90

    # A cancelled run stops its step on the worker: its kernel is gone
    path = write_pipeline(
        tmp_path,
        f"""
        name: cancelled
        steps:
          - {{name: slow, notebook: sleep.ipynb, parameters: {{pids: "{cancel_pids}"}}}}
        """,
        name="cancel.yaml",
    )
    run, loaded = start(orch, path)

    async def cancel_midway() -> None:
        executor = DaskExecutor(address=cluster.scheduler_address)
        running = asyncio.ensure_future(orch.execute(loaded, run, executor))
        try:
            for _ in range(600):
                if cancel_pids.exists():
                    break
                await asyncio.sleep(0.1)
            running.cancel()
            with pytest.raises(asyncio.CancelledError):
                await running
        finally:
            await executor.close()

    asyncio.run(cancel_midway())
    kernel = json.loads(cancel_pids.read_text())[0]
    assert wait_for(lambda: gone(kernel), 15), "the cancelled step's kernel outlived it"
    attempt = orch.store.get_run(run.id).step("slow").attempts[-1]
    assert attempt.status is AttemptStatus.CANCELLED


TOKEN_DIGEST = hashlib.sha256(b"token-from-the-coordinator").hexdigest()


def test_a_step_gets_the_workers_environment_and_its_granted_secrets(
    cluster: Any, tmp_path: Path, orch: Orchestrator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORCH_TEST_TOKEN", "token-from-the-coordinator")
    probe = (
        "import os, jupyter_orch\n"
        "for name in ['ORCH_WORKER_ONLY', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS', "
        "'OPENBLAS_NUM_THREADS', 'ORCH_TEST_TOKEN']:\n"
        "    jupyter_orch.record(name, os.environ.get(name))\n"
        "import hashlib\n"
        "digest = hashlib.sha256(jupyter_orch.secret('ORCH_TEST_TOKEN').encode()).hexdigest()\n"
        "jupyter_orch.record('secret', digest)"
    )
    write_notebook(tmp_path / "probe.ipynb", None, probe)
    (tmp_path / "probe.py").write_text(
        "import hashlib, os, jupyter_orch\n\ndef probe():\n"
        "    secret = jupyter_orch.secret('ORCH_TEST_TOKEN').encode()\n"
        "    return {'worker': os.environ.get('ORCH_WORKER_ONLY'),\n"
        "            'omp': os.environ.get('OMP_NUM_THREADS'),\n"
        "            'secret': hashlib.sha256(secret).hexdigest()}\n"
    )
    path = write_pipeline(
        tmp_path,
        """
        name: environment
        secrets: [ORCH_TEST_TOKEN]
        steps:
          - {name: notebook, notebook: probe.ipynb}
          - {name: function, python: "probe.py:probe"}
        """,
    )
    run = run_pipeline(orch, path, executor=DaskExecutor(address=cluster.scheduler_address))
    assert run.status is RunStatus.SUCCEEDED, run.to_dict()
    seen = run.step("notebook").outputs
    assert seen["ORCH_WORKER_ONLY"] == "set on the worker"  # the worker's own environment
    # Dask pins its task threads to one; a step's kernel is a process of its own
    assert seen["OMP_NUM_THREADS"] is None and seen["MKL_NUM_THREADS"] is None
    assert seen["OPENBLAS_NUM_THREADS"] is None
    assert seen["secret"] == TOKEN_DIGEST  # sent by the coordinator
    function = run.step("function").outputs
    assert function["worker"] == "set on the worker" and function["omp"] is None
    assert function["secret"] == TOKEN_DIGEST
    # ... and never written anywhere
    for file in Path(run.step("notebook").attempts[-1].output_notebook).parent.rglob("*"):
        if file.is_file():
            assert b"token-from-the-coordinator" not in file.read_bytes(), file


def test_a_worker_pulls_a_remote_run_folder_before_the_attempt_and_pushes_what_it_wrote(
    cluster: Any, tmp_path: Path
) -> None:
    """As a worker on a machine that never held the run: its staging folder starts empty. The
    worker leases it (``run_staging``) from its pull to its push."""
    there = tmp_path / "bucket" / "pipe" / "R1"
    (there / "artifacts").mkdir(parents=True)
    (there / "artifacts" / "upstream.txt").write_text("written on another machine")
    staging = tmp_path / "worker-staging" / "R1"
    use = (
        "import pathlib, jupyter_orch\n"
        "artifacts = pathlib.Path(folder) / 'artifacts'\n"
        "text = (artifacts / 'upstream.txt').read_text()\n"
        "(artifacts / 'downstream.txt').write_text(text.upper())\n"
        "jupyter_orch.record('text', text)\n"
        "from jupyter_orch.run_staging import _lease_file\n"
        "jupyter_orch.record('leased', _lease_file(folder).is_file())"
    )
    write_notebook(tmp_path / "use.ipynb", "folder = ''", use)
    task = NotebookTask(
        key="R1/use/use.ipynb",
        notebook=str(tmp_path / "use.ipynb"),
        output_notebook=str(staging / "use.ipynb"),
        cwd=str(tmp_path),
        kernel_name="python3",
        step_parameters={"folder": str(staging)},
        remote=RemoteFolder(there.as_uri(), str(staging)),
    )

    async def attempt() -> TaskResult:
        executor = DaskExecutor(address=cluster.scheduler_address)
        try:
            execution = await executor.submit(task, lambda stream, text: None)
            return await execution.wait()
        finally:
            await executor.close()

    result = asyncio.run(attempt())
    assert result.status == "succeeded", result.error
    assert result.outputs["text"] == "written on another machine"
    assert result.outputs["leased"] is True  # no prune deletes the folder while it is used
    assert (there / "artifacts" / "downstream.txt").read_text() == "WRITTEN ON ANOTHER MACHINE"
    assert (there / "use.ipynb").is_file()  # the output notebook, pushed by the worker


def test_a_worker_killed_mid_step_fails_the_attempt_as_orphaned_and_the_retry_runs(
    cluster: Any, tmp_path: Path, orch: Orchestrator
) -> None:
    pids = tmp_path / "pids.json"
    write_notebook(
        tmp_path / "victim.ipynb",
        "pids = ''\nsleep = 60",
        "import os\nif os.path.exists(pids):\n    sleep = 0",
        SLEEPER.replace("open(pids + '.tmp'", "open(pids + '.tmp'"),
    )
    path = write_pipeline(
        tmp_path,
        f"""
        name: victim
        steps:
          - {{name: victim, notebook: victim.ipynb, retries: 1, retry_delay: 0s,
              parameters: {{pids: "{pids}"}}}}
        """,
    )
    run, loaded = start(orch, path)
    with distributed.Client(cluster.scheduler_address) as client:
        worker_pids = set(client.run(os.getpid).values())

    async def kill_midway() -> RunRecord:
        executor = DaskExecutor(address=cluster.scheduler_address)
        running = asyncio.ensure_future(orch.execute(loaded, run, executor))
        try:
            for _ in range(600):
                if pids.exists():
                    break
                await asyncio.sleep(0.1)
            chain = json.loads(pids.read_text())
            (victim,) = [pid for pid in chain if pid in worker_pids]
            os.kill(victim, signal.SIGKILL)
            return await asyncio.wait_for(running, 120)
        finally:
            await executor.close()

    done = asyncio.run(kill_midway())
    kernel = json.loads(pids.read_text())[0]
    step = done.step("victim")
    first, second = step.attempts
    assert first.status is AttemptStatus.FAILED
    assert first.error["ename"] == "WorkerDied"
    assert first.error["evalue"].startswith("orphaned: the Dask worker running the step")
    assert second.status is AttemptStatus.SUCCEEDED and done.status is RunStatus.SUCCEEDED
    # What ran below the dead worker went with it
    assert wait_for(lambda: gone(kernel), 15), "the killed worker's kernel outlived it"


def test_the_cli_runs_on_dask_from_its_variables_and_says_what_is_missing(
    cluster: Any, tmp_path: Path
) -> None:
    write_notebook(tmp_path / "where.ipynb", None, "import jupyter_orch, os\n"
                   "jupyter_orch.record('worker', os.environ.get('ORCH_WORKER_ONLY'))")  # fmt: skip
    path = write_pipeline(
        tmp_path, "name: where\nsteps:\n  - {name: where, notebook: where.ipynb}\n"
    )
    env = {**os.environ, "JUPYTER_ORCH_EXECUTOR": "dask"}
    env.pop("JUPYTER_ORCH_DASK_ADDRESS", None)
    missing = subprocess.run(
        command(tmp_path, "run", str(path)), capture_output=True, text=True, env=env, timeout=120
    )
    assert missing.returncode == 2, missing.stderr
    assert "JUPYTER_ORCH_DASK_ADDRESS" in missing.stderr
    env["JUPYTER_ORCH_DASK_ADDRESS"] = cluster.scheduler_address
    ran = subprocess.run(
        command(tmp_path, "run", str(path), "--json"),
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    record = json.loads(ran.stdout)
    assert record["status"] == "succeeded"
    assert record["steps"][0]["attempts"][0]["outputs"] == {"worker": "set on the worker"}


@pytest.fixture
def jp_server_config(tmp_path: Path, cluster: Any) -> dict[str, Any]:
    """A Jupyter Server whose steps run on the Dask cluster."""
    return {
        "ServerApp": {
            "jpserver_extensions": {"jupyter_orch": True},
            "allow_unauthenticated_access": False,
        },
        "OrchApp": {
            "db_url": f"sqlite:///{tmp_path / 'orch.sqlite'}",
            "executor": "dask",
            "dask_address": cluster.scheduler_address,
        },
    }


async def test_a_server_on_dask_opens_its_output_notebooks_through_the_contents_api(
    jp_fetch: Any, project: Path
) -> None:
    code, _ = await call(jp_fetch, "POST", "pipelines", body={"path": "project/pipeline.yaml"})
    assert code == 201
    code, run = await call(
        jp_fetch, "POST", "pipelines", "hello", "runs", body={"parameters": {"who": "dask"}}
    )
    assert code == 202, run
    done = await poll_run(jp_fetch, run["id"], timeout=180)
    assert done["status"] == "succeeded", done
    shout = done["steps"][1]["attempts"][0]
    assert shout["outputs"] == {"greeting": "hello hello dask"}
    notebook = shout["output_notebook"]
    assert notebook == f"orch-runs/hello/{run['id']}/shout.ipynb"
    contents = await jp_fetch("api", "contents", *notebook.split("/"), method="GET")
    model = json.loads(contents.body)
    assert model["type"] == "notebook"
    printed = [
        output.get("text", "")
        for cell in model["content"]["cells"]
        for output in cell.get("outputs", [])
    ]
    assert "hello hello dask\n" in printed
