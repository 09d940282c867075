"""The REST API's versions: history with who, what changed and which files; the diff route."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import nbformat

from .orch_server import call, poll_run, register_project


async def test_versions_say_who_and_what_and_the_diff_route_compares_them(
    jp_fetch: Any, project: Path, jp_serverapp: Any
) -> None:
    await register_project(jp_fetch)
    notebook = project / "greet.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="hello world\n")]
    nb.cells[1].execution_count = 1
    nbformat.write(nb, notebook)
    await register_project(jp_fetch)  # run through, saved: no new version
    nb.cells[1].source += "\nprint('again')"
    nbformat.write(nb, notebook)
    await register_project(jp_fetch)
    code, answer = await call(jp_fetch, "GET", "pipelines", "hello", "versions")
    assert code == 200
    new, old = answer["versions"]
    token = jp_serverapp.identity_provider.token
    actor = "token:" + hashlib.sha256(token.encode()).hexdigest()[:8]
    assert (new["version"], new["created_by"], old["created_by"]) == (2, actor, actor)
    assert new["summary"] == (
        "step greet: notebook changed (1 cell); step shout: notebook changed (1 cell)"
    )
    assert old["summary"] == "first version"
    [file] = new["files"]
    assert file["path"] == "greet.ipynb" and file["kind"] == "notebook"
    assert file["hash"] != old["files"][0]["hash"]

    code, diff = await call(jp_fetch, "GET", "pipelines", "hello", "versions", "1", "diff", "2")
    assert code == 200 and (diff["from"], diff["to"], diff["yaml"]) == (1, 2, "")
    [changed] = diff["files"]
    assert (changed["path"], changed["kind"], changed["status"]) == (
        "greet.ipynb", "notebook", "changed",
    )  # fmt: skip
    assert changed["diff"][0]["key"] == "cells" and diff["notes"] == []

    for a, b, status in (("1", "9", 404), ("0", "2", 400), ("x", "2", 400), ("1", "2" * 30, 400)):
        code, answer = await call(jp_fetch, "GET", "pipelines", "hello", "versions", a, "diff", b)
        assert code == status and answer["error"], (a, b, answer)
    code, _ = await call(jp_fetch, "GET", "pipelines", "nobody", "versions", "1", "diff", "2")
    assert code == 404


async def test_rollback_replay_and_compare_through_the_api(
    jp_fetch: Any, project: Path, jp_serverapp: Any
) -> None:
    await register_project(jp_fetch)
    code, first = await call(jp_fetch, "POST", "pipelines", "hello", "runs", body={})
    assert code == 202
    first = await poll_run(jp_fetch, first["id"])
    notebook = project / "greet.ipynb"
    original = notebook.read_bytes()
    nb = nbformat.read(notebook, as_version=4)
    nb.cells[1].source = nb.cells[1].source.replace("hello", "howdy")
    nbformat.write(nb, notebook)

    # A rerun with the current files records them; a replay runs version 1 again
    code, current = await call(jp_fetch, "POST", "runs", first["id"], "rerun", body={})
    assert code == 202 and (current["version"], current["exact"]) == (2, False)
    code, replay = await call(jp_fetch, "POST", "runs", first["id"], "rerun", body={"exact": True})
    assert code == 202 and (replay["version"], replay["exact"]) == (1, True)
    current, replay = (
        await poll_run(jp_fetch, current["id"]),
        await poll_run(jp_fetch, replay["id"]),
    )

    def greeting(run: dict[str, Any]) -> str:
        return str(run["steps"][0]["attempts"][-1]["outputs"]["greeting"])

    assert (greeting(first), greeting(replay), greeting(current)) == (
        "hello world", "hello world", "howdy world",
    )  # fmt: skip
    code, answer = await call(jp_fetch, "POST", "runs", first["id"], "rerun", body={"exact": 1})
    assert code == 400 and answer["error"] == "exact: give true or false, not 1"

    code, compared = await call(jp_fetch, "GET", "runs", first["id"], "compare", current["id"])
    assert code == 200 and compared["version"] == {"a": 1, "b": 2, "same": False}
    greet = compared["steps"][0]
    assert greet["changed_outputs"] == ["greeting"] and greet["notebooks"] is True
    assert greet["a"]["output_notebook"].endswith("greet.ipynb")  # relative to the root
    code, cells = await call(
        jp_fetch, "GET", "runs", first["id"], "compare", current["id"], "steps", "greet",
        "notebooks",
    )  # fmt: skip
    assert code == 200 and cells["diff"] and cells["base"]["nbformat"] == 4
    code, _ = await call(jp_fetch, "GET", "runs", first["id"], "compare", "0" * 26)
    assert code == 404

    # Roll back to version 1 through the API: the file is version 1's again
    code, done = await call(jp_fetch, "POST", "pipelines", "hello", "rollback", body={"version": 1})
    assert code == 200, done
    assert (done["version"]["version"], done["recorded_edits"]) == (3, None)
    assert "project/greet.ipynb" in done["written"]
    assert "hello" in nbformat.read(notebook, as_version=4).cells[1].source
    assert json.loads(notebook.read_bytes()) == json.loads(original)
    for body, status in (({"version": 0}, 400), ({"version": "1"}, 400), ({"v": 1}, 400)):
        code, answer = await call(jp_fetch, "POST", "pipelines", "hello", "rollback", body=body)
        assert code == status and answer["error"], body
    code, _ = await call(jp_fetch, "POST", "pipelines", "hello", "rollback", body={"version": 9})
    assert code == 404
