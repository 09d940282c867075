"""The team deployment README's "Scaling out" describes, with real processes: a PostgreSQL store,
two `jupyter server` processes with the extension and one headless `jupyter orch scheduler`
sharing it, and a Dask scheduler with two workers executing every step. Each schedule slot fires
once, each run is executed once (on a Dask worker), and every server lists every run and serves
its output notebooks from the shared runs folder outside its root."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from jupyter_orch.records import RunStatus, Trigger
from jupyter_orch.store.repository import Store

from .conftest import write_steps
from .helpers import wait_for
from .test_server_process import Server

pytest.importorskip("distributed")

pytestmark = pytest.mark.slow

STEPS = """\
import json, os


def tick(log, run_dir):
    line = {"run_dir": run_dir, "worker": os.environ.get("TEAM_DASK_WORKER"), "pid": os.getpid()}
    with open(log, "a") as out:
        out.write(json.dumps(line) + "\\n")
    return {"worker": line["worker"]}
"""


class Processes:
    """Long-running processes of the test, each logging to a file of its own; all stopped at
    the end, however the test ends."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = open(self.folder / f"{name}.log", "ab")  # noqa: SIM115
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, cwd=self.folder,
            env={**os.environ, **env},
        )  # fmt: skip
        self.started.append(process)
        return process

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}"
            for path in sorted(self.folder.glob("*.log"))
        )

    def stop_all(self) -> None:
        for process in reversed(self.started):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in reversed(self.started):
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    started = Processes(tmp_path)
    yield started
    started.stop_all()


def test_two_servers_and_a_scheduler_share_postgresql_and_a_dask_cluster(
    tmp_path: Path, postgres_url: str, processes: Processes
) -> None:
    root = tmp_path / "work"
    root.mkdir()
    executed = root / "executed.txt"
    (root / "steps.py").write_text(STEPS)
    write_steps(
        root,
        "team",
        f'- {{name: tick, python: "steps.py:tick", '
        f'parameters: {{log: "{executed}", run_dir: "{{{{ run.dir }}}}"}}}}',
        head='schedule: {cron: "*/2 * * * * *", misfire: skip}',
    )
    # The Dask scheduler and its two workers (which alone have TEAM_DASK_WORKER)
    scheduler_file = tmp_path / "dask-scheduler.json"
    dask = [sys.executable, "-m"]
    processes.start(
        "dask-scheduler",
        [*dask, "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0",
         "--no-dashboard", "--scheduler-file", str(scheduler_file)],
        {},
    )  # fmt: skip
    assert wait_for(scheduler_file.exists, 60), processes.logs()
    address = json.loads(scheduler_file.read_text())["address"]
    for number in (1, 2):
        processes.start(
            f"dask-worker-{number}",
            [*dask, "distributed.cli.dask_worker", address, "--nthreads", "1", "--no-dashboard",
             "--host", "127.0.0.1"],
            {"TEAM_DASK_WORKER": f"worker-{number}"},
        )  # fmt: skip
    team_env = {
        "JUPYTER_ORCH_DB_URL": postgres_url,
        "JUPYTER_ORCH_EXECUTOR": "dask",
        "JUPYTER_ORCH_DASK_ADDRESS": address,
        # A shared folder outside the servers' root: its notebooks are served by our own route
        "JUPYTER_ORCH_RUNS_DIR": str(tmp_path / "shared-runs"),
    }
    cli = [sys.executable, "-m", "jupyter_orch.cli"]
    applied = subprocess.run(
        [*cli, "apply", "pipeline.yaml"], cwd=root, env={**os.environ, **team_env},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert applied.returncode == 0, applied.stderr
    # Two servers and one headless scheduler on the same store
    servers = [Server(root, None, env=team_env) for _ in range(2)]
    for server in servers:
        server.start(wait=False)
        processes.started.append(server.process)  # type: ignore[arg-type]
    processes.start("orch-scheduler", [*cli, "scheduler", "--poll-interval", "0.2"], team_env)
    for server in servers:
        assert wait_for(server.up, 90), processes.logs()

    store = Store.open(postgres_url)
    try:

        def fired() -> list[object]:
            return [
                r for r in store.list_runs(pipeline="team", limit=1000)
                if r.trigger is Trigger.SCHEDULE
            ]  # fmt: skip

        assert wait_for(lambda: len(fired()) >= 5, 90), processes.logs()
        paused = subprocess.run(
            [*cli, "pause", "team"], cwd=root, env={**os.environ, **team_env},
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert paused.returncode == 0, paused.stderr

        def settled() -> bool:
            return all(r.status.value not in ("queued", "running") for r in fired())  # type: ignore[attr-defined]

        assert wait_for(settled, 120), processes.logs()
        runs = fired()
        ids = {r.id for r in runs}  # type: ignore[attr-defined]
        # Each slot fired once, none skipped between the first and the last
        slots = sorted(r.scheduled_for for r in runs)  # type: ignore[attr-defined]
        assert len(set(slots)) == len(slots) == len(runs)
        assert all(b - a == timedelta(seconds=2) for a, b in itertools.pairwise(slots)), slots
        # Each run executed once, on a Dask worker, and succeeded
        lines = [json.loads(line) for line in executed.read_text().splitlines()]
        assert len(lines) == len(runs), (lines, runs)
        assert len({line["run_dir"] for line in lines}) == len(runs)
        assert {line["worker"] for line in lines} <= {"worker-1", "worker-2"}
        for run in runs:
            assert run.status is RunStatus.SUCCEEDED, run.to_dict()  # type: ignore[attr-defined]
            assert len(run.step("tick").attempts) == 1  # type: ignore[attr-defined]
        # Every server's sidebar lists every run
        for server in servers:
            page = server.request("GET", "/orch/runs?pipeline=team&limit=200")
            listed = {r["id"] for r in page["runs"] if r["trigger"] == "schedule"}
            assert listed == ids, (server.port, listed ^ ids)
            # and opens any run's output notebook, though it is outside the root
            last = runs[-1].step("tick").attempts[-1]  # type: ignore[attr-defined]
            name = Path(last.output_notebook).name
            model = server.request("GET", f"/orch/runs/{runs[-1].id}/notebooks/{name}")  # type: ignore[attr-defined]
            assert model["writable"] is False and model["content"]["cells"], model
    finally:
        store.close()
    processes.stop_all()
    codes = [process.returncode for process in processes.started]
    assert all(code in (0, -signal.SIGTERM) for code in codes), (codes, processes.logs())
