"""The activity log: every change and action with who, when, what and from where, through the
CLI (the OS user), the REST API (the token's identity; ``lab`` for the JupyterLab extension)
and webhooks; masked; paged; removed only by age."""

from __future__ import annotations

import getpass
import json
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from jupyter_orch.activity import Actor, acting, activity_page, note, since_moment
from jupyter_orch.errors import UserError
from jupyter_orch.store.repository import Store
from jupyter_orch.store.types import utcnow

from .conftest import write_notebook, write_steps
from .helpers import command
from .orch_server import call, deliver


def actions(entries: list[dict[str, Any]]) -> list[str]:
    return [e["action"] for e in reversed(entries)]  # oldest first


@pytest.mark.slow
def test_what_the_cli_does_is_recorded_with_the_os_user(tmp_path: Path) -> None:
    write_notebook(tmp_path / "n.ipynb", None, "x = 1")
    path = write_steps(tmp_path, "p", "- {name: a, notebook: n.ipynb}")

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(command(tmp_path, *args), capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done

    cli("apply", str(path))
    cli("pause", "p")
    cli("resume", "p")
    cli("archive", "p")
    cli("unarchive", "p")
    cli("run", str(path))
    [run] = json.loads(cli("runs", "--json").stdout)
    cli("pin", run["id"])
    cli("unpin", run["id"])
    cli("rerun", "--exact", run["id"])
    write_notebook(tmp_path / "n.ipynb", None, "x = 2")
    cli("apply", str(path))
    cli("rollback", "p", "1")
    entries = json.loads(cli("activity", "--json", "--pipeline", "p").stdout)
    assert actions(entries) == [
        "register", "apply", "pause", "resume", "archive", "unarchive", "run", "pin", "unpin",
        "replay", "edit", "apply", "edit", "rollback",
    ]  # fmt: skip
    assert {(e["actor"], e["origin"]) for e in entries} == {(getpass.getuser(), "cli")}
    rollback = entries[0]
    assert rollback["detail"] == {"to": 1, "version": 3}
    assert entries[-1]["detail"]["version"] == 1
    replay = next(e for e in entries if e["action"] == "replay")
    assert replay["detail"] == {"of": run["id"]} and replay["run_id"] != run["id"]
    shown = cli("activity", "--pipeline", "p", "--since", "1h").stdout
    assert "rollback" in shown and getpass.getuser() in shown
    refused = subprocess.run(
        command(tmp_path, "activity", "--since", "yesterday"), capture_output=True, text=True
    )
    assert refused.returncode == 2 and "since: 'yesterday' is neither a duration" in refused.stderr


def test_entries_are_masked_paged_and_removed_by_age(store: Store) -> None:
    with acting(Actor("alice", "api", "10.0.0.7")):
        for n in range(5):
            note(store, "run", pipeline="p", run_id=f"r{n}", url="postgresql://u:hunter2@h/db")
    note(store, "pause", pipeline="q")  # no actor set: unknown
    first = activity_page(store, pipeline="p", limit=2)
    assert [e["run_id"] for e in first["entries"]] == ["r4", "r3"]
    second = activity_page(store, pipeline="p", limit=2, cursor=first["next_cursor"])
    assert [e["run_id"] for e in second["entries"]] == ["r2", "r1"]
    last = activity_page(store, pipeline="p", limit=2, cursor=second["next_cursor"])
    assert [e["run_id"] for e in last["entries"]] == ["r0"] and last["next_cursor"] is None
    entry = first["entries"][0]
    assert (entry["actor"], entry["origin"], entry["address"]) == ("alice", "api", "10.0.0.7")
    assert "hunter2" not in entry["detail"]["url"]
    [unknown] = activity_page(store, pipeline="q")["entries"]
    assert (unknown["actor"], unknown["origin"]) == (None, "unknown")
    assert activity_page(store, actor="alice", limit=500)["entries"][-1]["run_id"] == "r0"
    with pytest.raises(UserError, match="cursor: give the next_cursor"):
        activity_page(store, cursor="abc")
    assert store.prune_activity(utcnow() - timedelta(days=1)) == 0
    assert store.prune_activity(utcnow() + timedelta(seconds=1)) == 6
    assert activity_page(store)["entries"] == []


def test_since_takes_a_duration_or_a_time() -> None:
    now = utcnow()
    assert since_moment("7d", now) == now - timedelta(days=7)
    assert since_moment("2026-01-01T00:00:00", now).isoformat() == "2026-01-01T00:00:00+00:00"
    assert since_moment(None, now) is None


async def test_rest_actions_name_the_token_and_the_lab(
    jp_fetch: Any, project: Path, hooked: str
) -> None:
    code, _ = await call(jp_fetch, "POST", "pipelines", body={"path": "project/pipeline.yaml"})
    assert code == 201
    code, run = await call(jp_fetch, "POST", "pipelines", "hello", "runs", body={})
    assert code == 202
    lab = {"X-Orch-Client": "jupyterlab"}
    code, _ = await call(
        jp_fetch, "PATCH", "pipelines", "hello", body={"paused": True}, headers=lab
    )
    assert code == 200
    code, _ = await call(jp_fetch, "POST", "runs", run["id"], "cancel")
    code, page = await call(jp_fetch, "GET", "activity", params={"pipeline": "hello"})
    assert code == 200
    by_action = {e["action"]: e for e in page["entries"]}
    assert {"register", "run", "pause"} <= set(by_action)
    assert by_action["run"]["actor"].startswith("token:") and by_action["run"]["origin"] == "api"
    assert by_action["pause"]["origin"] == "lab" and by_action["pause"]["address"] == "127.0.0.1"
    code, answer = await call(jp_fetch, "GET", "activity", params={"since": "soon"})
    assert code == 400 and answer["error"].startswith("since:")
    code, _ = await call(jp_fetch, "DELETE", "activity")
    assert code == 405  # append-only: nothing removes entries through the API

    code, _ = await deliver(jp_fetch, hooked, b'{"parameters": {}}', delivery="dlv-42")
    assert code == 202
    code, page = await call(jp_fetch, "GET", "activity", params={"pipeline": hooked})
    fired = next(e for e in page["entries"] if e["action"] == "run")
    assert (fired["actor"], fired["origin"]) == ("webhook:dlv-42", "webhook")
