"""Live runs (issue 16 item 4) through the REST API of a real server: Retry now and Fail now
end a retrying step's wait (its scheduler takes the request at its next heartbeat, 2 s), and
a running notebook step says which cell it runs."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import AsyncHTTPClient

from .conftest import write_notebook
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


ITEMS = """\
name: items
steps:
  - name: shaky
    for_each: [1, 2]
    python: "shaky.py:shaky"
    parameters: {n: "{{ item }}"}
    retries: 2
    retry_delay: 1h
"""


async def test_an_items_wait_is_ended_by_the_items_own_name(
    jp_fetch: Any,
    jp_root_dir: Path,
    started: Any,
    jp_http_port: int,
    jp_base_url: str,
    jp_auth_header: dict[str, str],
) -> None:
    """A for-each item retries on its own: ``shaky[1]`` in the route (jp_fetch sends the
    brackets percent-encoded, as the lab's encodeURIComponent does; a browser's address bar
    sends them literal)."""
    base = f"http://localhost:{jp_http_port}{jp_base_url}"
    (jp_root_dir / "shaky.py").write_text(
        "def shaky(n):\n    if n == 2:\n        raise RuntimeError('flaky')\n    return {'n': n}\n"
    )
    (jp_root_dir / "items.yaml").write_text(ITEMS)
    code, _ = await call(jp_fetch, "POST", "pipelines", body={"path": "items.yaml"})
    assert code == 201
    code, run = await call(jp_fetch, "POST", "pipelines", "items", "runs", body={})
    assert code == 202

    def item(run: dict[str, Any], name: str) -> dict[str, Any]:
        """The step run named so ({} before the list is resolved)."""
        return next((s for s in run["steps"] if s["name"] == name), {})

    async def until_item(test: Any) -> dict[str, Any]:
        deadline = asyncio.get_running_loop().time() + 30
        while True:
            code, now = await call(jp_fetch, "GET", "runs", run["id"])
            assert code == 200, now
            shaky = item(now, "shaky[1]")
            if test(shaky.get("status"), shaky):
                return dict(now)
            assert asyncio.get_running_loop().time() < deadline, now["steps"]
            await asyncio.sleep(0.2)

    await until_item(lambda status, _: status == "retrying")
    code, answer = await call(jp_fetch, "POST", "runs", run["id"], "steps", "shaky[1]", "retry-now")
    assert code == 202, answer
    again = await until_item(lambda status, s: status == "retrying" and len(s["attempts"]) == 2)
    assert item(again, "shaky[0]")["status"] == "succeeded", json.dumps(again["steps"])
    # A browser sends the brackets as they are (the URL standard leaves them in a path)
    literal = f"{base}orch/runs/{run['id']}/steps/shaky[1]/fail-now"
    sent = await AsyncHTTPClient().fetch(
        literal, method="POST", body="{}", headers=jp_auth_header, raise_error=False
    )
    assert sent.code == 202, sent.body
    done = await poll_run(jp_fetch, run["id"], timeout=30)
    assert done["status"] == "failed"
    assert [(s["name"], s["status"]) for s in done["steps"]] == [
        ("shaky", "failed"),
        ("shaky[0]", "succeeded"),
        ("shaky[1]", "failed"),
    ]
    assert len(item(done, "shaky[1]")["attempts"]) == 2
    code, answer = await call(jp_fetch, "POST", "runs", run["id"], "steps", "shaky[7]", "fail-now")
    assert code == 404, answer


async def test_a_running_notebook_step_shows_which_cell_it_runs(
    jp_fetch: Any, jp_root_dir: Path, started: Any
) -> None:
    """Cell-level progress (issue 16 item 4): cell k of n, its first line, when it began;
    seen through the API while the step runs, gone once it ended, never a log line."""
    cells = [f"import time  # cell {k}\ntime.sleep(1.0)" for k in range(1, 6)]
    write_notebook(jp_root_dir / "slow.ipynb", None, *cells)
    (jp_root_dir / "slow.yaml").write_text(
        "name: slow\nsteps:\n  - {name: cells, notebook: slow.ipynb}\n"
    )
    code, _ = await call(jp_fetch, "POST", "pipelines", body={"path": "slow.yaml"})
    assert code == 201
    code, run = await call(jp_fetch, "POST", "pipelines", "slow", "runs", body={})
    seen = set()

    def note(step: dict[str, Any]) -> bool:
        progress = step.get("progress")
        if progress:
            assert progress["cells"] == 5 and progress["source"].startswith("import time  # cell")
            seen.add(progress["cell"])
        return len(seen) >= 3

    await until(jp_fetch, run["id"], note, timeout=60)
    done = await poll_run(jp_fetch, run["id"])
    assert done["status"] == "succeeded" and "progress" not in done["steps"][0]
    assert seen <= {1, 2, 3, 4, 5} and len(seen) >= 3, seen
    code, logs = await call(jp_fetch, "GET", "runs", run["id"], "logs")
    assert not [line for line in logs["lines"] if line["stream"] == "progress"]
