"""A real `jupyter server` process with the extension: SIGTERM during a run, and kill -9 then a
restart (RELIABILITY cases 4 and 1, "then the server")."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .test_reliability import gone, wait_for
from .test_scheduler import long_step, no_orch_processes_left, read_json

pytestmark = pytest.mark.slow

TOKEN = "test-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    def __init__(self, root: Path, db: str) -> None:
        self.root = root
        self.db = db
        self.port = free_port()
        self.token = TOKEN
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self, module: str = "jupyter_server", max_workers: int = 1) -> list[str]:
        """The server's command line: loopback, this port, token, root dir and store."""
        return [
            sys.executable,
            "-m",
            module,
            "--no-browser",
            "--allow-root",
            "--ip=127.0.0.1",
            f"--port={self.port}",
            "--port-retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
            f"--OrchApp.db_url={self.db}",
            f"--OrchApp.max_workers={max_workers}",
        ]

    def start(self, *, wait: bool = True) -> None:
        log = open(self.root.parent / f"server-{self.port}.log", "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            self.command(),
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.root,
        )
        if wait:
            assert wait_for(self.up, 60), "the server did not start; see server-*.log"

    def up(self) -> bool:
        try:
            self.request("GET", "/api/status")
            return True
        except (urllib.error.URLError, ConnectionError):
            return False

    def listening(self) -> bool:
        with socket.socket() as sock:
            return sock.connect_ex(("127.0.0.1", self.port)) == 0

    def request(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            f"{self.url}{path}",
            data=data,
            method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(req, timeout=30) as response:
            return json.loads(response.read() or b"null")

    def stop(self, sig: int) -> float:
        assert self.process is not None
        started = time.monotonic()
        self.process.send_signal(sig)
        self.process.wait(60)
        return time.monotonic() - started


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    root = tmp_path / "root"
    root.mkdir()
    s = Server(root, f"sqlite:///{tmp_path / 'orch.sqlite'}")
    yield s
    if s.process is not None and s.process.poll() is None:
        s.process.kill()
        s.process.wait(10)


def start_long_run(server: Server, retries: int) -> tuple[str, dict[str, Any]]:
    pids_file, _ = long_step(server.root)
    (server.root / "pipeline.yaml").write_text(
        f"name: long\nsteps:\n  - {{name: long, notebook: long.ipynb, retries: {retries}, "
        "retry_delay: 1s}\n"
    )
    server.request("POST", "/orch/pipelines", {"path": "pipeline.yaml"})
    run = server.request("POST", "/orch/pipelines/long/runs", {})
    return str(run["id"]), read_json(pids_file)


def test_sigterm_of_the_server_fails_its_run_within_30_s(server: Server) -> None:
    server.start()
    run_id, pids = start_long_run(server, retries=2)
    took = server.stop(signal.SIGTERM)
    assert took < 30
    assert gone(pids["kernel"]) and gone(pids["child"])
    server.start()
    run = server.request("GET", f"/orch/runs/{run_id}")
    assert run["status"] == "failed"
    assert run["error"].startswith("server shutdown")
    assert len(run["steps"][0]["attempts"]) == 1
    server.stop(signal.SIGTERM)
    assert wait_for(lambda: no_orch_processes_left(server.root), 10)


def test_kill_9_of_the_server_then_restart_resumes_the_run(server: Server) -> None:
    server.start()
    run_id, pids = start_long_run(server, retries=1)
    server.stop(signal.SIGKILL)
    assert wait_for(lambda: gone(pids["kernel"]) and gone(pids["child"]), 10)
    server.start()

    def finished() -> bool:
        return bool(server.request("GET", f"/orch/runs/{run_id}")["status"] == "succeeded")

    assert wait_for(finished, 60)
    attempts = server.request("GET", f"/orch/runs/{run_id}")["steps"][0]["attempts"]
    assert [a["status"] for a in attempts] == ["failed", "succeeded"]
    assert attempts[0]["error"]["evalue"].startswith("orphaned: the server process")
    server.stop(signal.SIGTERM)
    assert wait_for(lambda: no_orch_processes_left(server.root), 10)


def test_a_server_stopped_right_after_it_started_exits_cleanly(server: Server) -> None:
    """SIGTERM while the extension is still starting (the scheduler half-started) must not
    keep the server from exiting, nor leave a worker behind."""
    for _ in range(3):
        server.start(wait=False)
        assert wait_for(server.listening, 60)  # the extension may still be starting
        assert server.stop(signal.SIGTERM) < 30
        assert server.process is not None and server.process.returncode == 0
    assert wait_for(lambda: no_orch_processes_left(server.root), 10)
