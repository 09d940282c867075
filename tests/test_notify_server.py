"""Notifications in a real Jupyter Server: its scheduler runs a failing pipeline and its own
delivery loop sends the alert; the run detail lists the notification; `GET /orch/channels`
names channels and kinds, never a URL or a token."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from .conftest import write_notebook
from .notify_receivers import http_receiver
from .orch_server import call, poll_run

TOKEN = "T0ken-in-the-hook-path-9876"


async def test_a_failed_run_alerts_and_its_detail_lists_the_notification(
    jp_fetch: Any, jp_root_dir: Path, started: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_notebook(jp_root_dir / "fails.ipynb", None, "raise ValueError('no data for today')")
    with http_receiver(200) as hook:
        monkeypatch.setenv("JUPYTER_ORCH_NOTIFY_OPS_HOOK", f"json://{hook.url}/{TOKEN}")
        pipeline = (
            "name: nightly\nnotify: {on_failure: [ops-hook, outbox]}\n"
            "steps: [{name: load, notebook: fails.ipynb}]\n"
        )
        code, answer = await call(
            jp_fetch, "POST", "pipelines", body={"yaml": pipeline, "path": "nightly.yaml"}
        )
        assert code == 201, answer
        code, run = await call(jp_fetch, "POST", "pipelines", "nightly", "runs", body={})
        assert code == 202, run
        assert (await poll_run(jp_fetch, run["id"]))["status"] == "failed"

        deadline = asyncio.get_running_loop().time() + 30
        while True:
            code, detail = await call(jp_fetch, "GET", "runs", run["id"])
            sent = [n for n in detail["notifications"] if n["status"] == "sent"]
            if len(sent) == 2 or asyncio.get_running_loop().time() > deadline:
                break
            await asyncio.sleep(0.2)
        [request] = hook.wait_for(1)
        code, channels = await call(jp_fetch, "GET", "channels")

    assert sorted((n["channel"], n["event"], n["status"]) for n in detail["notifications"]) == [
        ("ops-hook", "failure", "sent"),
        ("outbox", "failure", "sent"),
    ]
    assert request.json["run"]["id"] == run["id"]
    assert code == 200
    assert {"name": "ops-hook", "kind": "json"} in channels["channels"]
    assert {"name": "outbox", "kind": "outbox"} in channels["channels"]
    assert TOKEN not in json.dumps([detail, channels])
