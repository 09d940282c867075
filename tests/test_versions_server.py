"""The REST API's versions: history with who, what changed and which files; the diff route."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import nbformat

from .orch_server import call, register_project


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
