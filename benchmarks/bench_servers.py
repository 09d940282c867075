"""Real Jupyter Servers for scenarios 5, 8 and 12: ours with jupyter-orch, the peer with
jupyter-scheduler.

Each server runs as a subprocess on a loopback port with its own token, root folder, store and
Jupyter config/data/runtime folders, watched like every measured process (its descendants and
its ``MARKER_VAR`` value), stopped with SIGTERM and checked for leftovers. jupyter-scheduler
lives in its own virtual environment (``--peer-venv``, created on first use), never in the
project's: installed there it would enable itself in every Jupyter Server of the project.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
from bench_context import ORPHAN_GRACE_S, Context, HarnessError
from bench_procs import (
    MARKER_VAR,
    Completed,
    MemoryTrace,
    TreeWatcher,
    kill_leftovers,
    lingering,
    memory_metric,
    tree_cpu,
)

PEER_REQUIREMENT = "jupyter-scheduler>=2.12,<3"
#: A loopback client: never through a proxy from the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ensure_peer_venv(ctx: Context, venv: Path) -> Path:
    """The peer's ``jupyter`` command, installing jupyter-scheduler (and our ipykernel version,
    so both sides run the same kernel) into ``venv`` when it is not there yet."""
    jupyter = venv / "bin" / "jupyter"
    probe = [str(venv / "bin" / "python"), "-c", "import jupyter_scheduler, ipykernel"]
    if jupyter.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return jupyter
    import ipykernel

    ctx.log(f"installing {PEER_REQUIREMENT} into {venv} (once)")
    steps = [
        [ctx.python, "-m", "venv", str(venv)],
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            PEER_REQUIREMENT,
            f"ipykernel=={ipykernel.__version__}",
            "psutil",
        ],
    ]
    for argv in steps:
        done = subprocess.run(argv, capture_output=True, text=True)
        if done.returncode != 0:
            raise HarnessError(f"$ {' '.join(argv)} failed:\n{done.stderr[-2000:]}")
    return jupyter


@dataclass
class Server:
    """A ``jupyter server`` subprocess and what it started."""

    label: str
    argv: list[str]
    env: dict[str, str]
    root: Path
    token: str
    port: int
    marker: str
    proc: subprocess.Popen[bytes] | None = None
    watcher: TreeWatcher | None = None
    logs: list[Path] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def request(self, method: str, path: str, body: Any = None, timeout: float = 60) -> Any:
        """The JSON answer; ``HarnessError`` for anything but a 2xx."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path,
            data=data,
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        try:
            with _OPENER.open(request, timeout=timeout) as response:
                text = response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")[:500]
            raise HarnessError(f"{self.label}: {method} {path} -> {exc.code}: {detail}") from None
        return json.loads(text) if text else None

    def start(self, ctx: Context, timeout: float = 90) -> None:
        logs = ctx.root / "logs"
        logs.mkdir(exist_ok=True)
        self.logs = [logs / f"{self.marker}.out", logs / f"{self.marker}.err"]
        with self.logs[0].open("w") as out, self.logs[1].open("w") as err:
            self.proc = subprocess.Popen(
                self.argv,
                cwd=self.root,
                env={**self.env, MARKER_VAR: self.marker},
                stdout=out,
                stderr=err,
            )
        self.watcher = TreeWatcher(psutil.Process(self.proc.pid), 0.5, None)
        self.watcher.start()
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.request("GET", "/api/status", timeout=5)
                return
            except (HarnessError, OSError):
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise HarnessError(
                        f"{self.label} did not start:\n{self.stderr_tail()}"
                    ) from None
                time.sleep(0.2)

    def stderr_tail(self) -> str:
        text = self.logs[1].read_text(errors="replace") if self.logs else ""
        return "\n".join(text.strip().splitlines()[-25:])

    def stop(self, ctx: Context, timeout: float = 30) -> None:
        """SIGTERM, as a service manager stops it; what it left after the grace is an orphan."""
        if self.proc is None or self.watcher is None:
            return
        began = time.perf_counter()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            returncode = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            ctx.log(f"  {self.label} ignored SIGTERM for {timeout:g} s: killed")
            self.proc.kill()
            returncode = self.proc.wait()
        self.watcher.stop()
        done = Completed(
            argv=self.argv,
            returncode=returncode,
            wall_s=time.perf_counter() - began,
            stdout="",
            stderr=self.stderr_tail(),
            marker=self.marker,
            seen=dict(self.watcher.seen),
            memory=None,
        )
        left = lingering(done, ORPHAN_GRACE_S)
        if left:
            ctx.log(f"  ORPHANED: {len(left)} process(es) of {self.label} alive after its exit")
            ctx.orphans += [{**item.to_dict(), "left_by": " ".join(self.argv)} for item in left]
            kill_leftovers(left)
        self.proc = None

    def wait_quiet(self, busy: float = 0.1, window: float = 0.5, timeout: float = 30) -> None:
        """Until the server's process tree uses less than ``busy`` of a CPU over ``window``
        seconds: what a burst left running (exiting job processes, refilled pools) must not
        slow the next measurement, of either server."""
        assert self.proc is not None
        root = psutil.Process(self.proc.pid)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            before = tree_cpu(root)
            time.sleep(window)
            if tree_cpu(root) - before < busy * window:
                return

    def memory_while(self, action: Callable[[], Any], interval: float = 0.05) -> MemoryTrace:
        """Samples of the server's process tree while ``action`` runs (at least one second)."""
        assert self.proc is not None
        trace = MemoryTrace(memory_metric())
        watcher = TreeWatcher(psutil.Process(self.proc.pid), interval, trace)
        watcher.start()
        began = time.monotonic()
        try:
            action()
            time.sleep(max(0.0, 1.0 - (time.monotonic() - began)))
        finally:
            watcher.stop()
        return trace


def make_server(
    ctx: Context, label: str, jupyter: str, env: dict[str, str], extra: list[str]
) -> Server:
    """A server rooted in its own folder under the benchmark's temporary folder."""
    home = ctx.root / "servers" / label
    root = home / "root"
    root.mkdir(parents=True)
    env = dict(env)
    for name in ("config", "data", "runtime"):
        (home / name).mkdir()
        env[f"JUPYTER_{name.upper()}_DIR"] = str(home / name)
    token, port = secrets.token_hex(16), free_port()
    argv = [
        jupyter,
        "server",
        "--no-browser",
        "--allow-root",  # harmless unless the harness runs as root, as in CI
        "--ip=127.0.0.1",
        f"--port={port}",
        "--port-retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        *extra,
    ]
    marker = f"{ctx.marker_prefix}-{uuid.uuid4().hex[:12]}"
    return Server(label, argv, env, root, token, port, marker)


def peer_env(ctx: Context, venv: Path) -> dict[str, str]:
    """The harness's environment with the peer venv's bin first (its kernels start ``python``)."""
    env = dict(ctx.env)
    env["PATH"] = os.pathsep.join([str(venv / "bin"), env.get("PATH", "")])
    env.pop("VIRTUAL_ENV", None)
    return env


# --- the two REST APIs ------------------------------------------------------------------------


class OrchClient:
    """Runs of one pipeline through ``/orch`` (ours)."""

    done, failed = "succeeded", {"failed", "timed_out", "cancelled"}

    def __init__(self, server: Server, pipeline: str) -> None:
        self.server, self.pipeline = server, pipeline

    def submit(self, index: int) -> str:
        body = {"parameters": {"x": index}}
        run = self.server.request("POST", f"/orch/pipelines/{self.pipeline}/runs", body)
        return str(run["id"])

    def status(self, run_id: str) -> str:
        run = self.server.request("GET", f"/orch/runs/{run_id}")
        if run["status"] in self.failed:
            raise HarnessError(f"jupyter-orch run {run_id} ended {run['status']}: {run['error']}")
        return str(run["status"])


class SchedulerClient:
    """Jobs of one notebook through ``/scheduler`` (jupyter-scheduler 2.x)."""

    # A new job reads STOPPED (the column's default) until its process starts: not an end.
    done, failed = "COMPLETED", {"FAILED"}

    def __init__(self, server: Server, notebook: str) -> None:
        self.server, self.notebook = server, notebook
        environments = server.request("GET", "/scheduler/runtime_environments")
        self.environment = environments[0]["name"]

    def submit(self, index: int) -> str:
        body = {
            "name": f"bench-{index}",
            "input_uri": self.notebook,
            "runtime_environment_name": self.environment,
            "output_formats": ["ipynb"],
            "parameters": {"x": str(index)},
        }
        return str(self.server.request("POST", "/scheduler/jobs", body)["job_id"])

    def status(self, job_id: str) -> str:
        job = self.server.request("GET", f"/scheduler/jobs/{job_id}")
        if job["status"] in self.failed:
            raise HarnessError(f"job {job_id} ended {job['status']}: {job['status_message']}")
        return str(job["status"])


@dataclass
class Burst:
    """Seconds from just before the first POST to each run's observed completion."""

    submitted_s: float
    finished_s: list[float]

    @property
    def first_s(self) -> float:
        return min(self.finished_s)

    @property
    def last_s(self) -> float:
        return max(self.finished_s)


def burst(client: OrchClient | SchedulerClient, count: int, timeout: float = 300) -> Burst:
    """``count`` runs requested at once (one thread each), then every pending run polled, all
    at once, every 20 ms, until each has finished; a run that fails breaks the harness."""
    with ThreadPoolExecutor(count) as pool:
        began = time.perf_counter()
        ids = list(pool.map(client.submit, range(count)))
        submitted = time.perf_counter() - began
        finished: dict[str, float] = {}
        while len(finished) < count:
            pending = [run_id for run_id in ids if run_id not in finished]
            for run_id, status in zip(pending, pool.map(client.status, pending), strict=True):
                if status == client.done:
                    finished[run_id] = time.perf_counter() - began
            if time.perf_counter() - began > timeout:
                raise HarnessError(f"{count - len(finished)} of {count} not done in {timeout:g} s")
            time.sleep(0.02)
    return Burst(submitted, sorted(finished.values()))
