"""Retry now, Fail now (issue 16 item 4): a person ends a retrying step's wait through the
REST API; the server's own scheduler takes the request at its next heartbeat (2 s)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from .orch_server import call, poll_run

pytestmark = pytest.mark.slow

FLAKY = """\
name: flaky
steps:
  - {name: shaky, python: "shaky.py:shaky", retries: 3, retry_delay: 1h}
"""


async def until(jp_fetch: Any, run_id: str, test: Any, timeout: float = 30) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        code, run = await call(jp_fetch, "GET", "runs", run_id)
        assert code == 200
        if test(run["steps"][0]):
            return dict(run)
        assert asyncio.get_running_loop().time() < deadline, run["steps"][0]
        await asyncio.sleep(0.2)


async def test_a_waiting_retry_is_started_now_then_given_up(
    jp_fetch: Any, jp_root_dir: Path, started: Any
) -> None:
    (jp_root_dir / "shaky.py").write_text("def shaky():\n    raise RuntimeError('flaky')\n")
    (jp_root_dir / "flaky.yaml").write_text(FLAKY)
    code, _ = await call(jp_fetch, "POST", "pipelines", body={"path": "flaky.yaml"})
    assert code == 201
    code, run = await call(jp_fetch, "POST", "pipelines", "flaky", "runs", body={})
    assert code == 202
    waiting = await until(jp_fetch, run["id"], lambda s: s["status"] == "retrying")
    assert len(waiting["steps"][0]["attempts"]) == 1  # and the next one is an hour away

    code, answer = await call(jp_fetch, "POST", "runs", run["id"], "steps", "shaky", "retry-now")
    assert code == 202 and answer["id"] == run["id"]
    again = await until(
        jp_fetch, run["id"], lambda s: s["status"] == "retrying" and len(s["attempts"]) == 2
    )
    assert [a["status"] for a in again["steps"][0]["attempts"]] == ["failed", "failed"]

    code, _ = await call(jp_fetch, "POST", "runs", run["id"], "steps", "shaky", "fail-now")
    assert code == 202
    done = await poll_run(jp_fetch, run["id"], timeout=30)
    assert done["status"] == "failed" and done["steps"][0]["status"] == "failed"
    assert len(done["steps"][0]["attempts"]) == 2  # the two retries left were given up
    code, logs = await call(jp_fetch, "GET", "runs", run["id"], "logs")
    assert any("shaky: retries given up" in line["message"] for line in logs["lines"])

    code, answer = await call(jp_fetch, "POST", "runs", run["id"], "steps", "shaky", "retry-now")
    assert code == 409 and "not waiting for a retry" in answer["error"]
    code, answer = await call(jp_fetch, "POST", "runs", run["id"], "steps", "nope", "fail-now")
    assert code == 404 and "no step 'nope'" in answer["error"]
