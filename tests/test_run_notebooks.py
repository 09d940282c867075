"""Output notebooks outside the server's root (a team's shared ``runs_dir``), through the
read-only route that answers as the contents API does: a real server runs a real pipeline whose
step fails and is retried, then the run's notebooks are read, listed and downloaded by their
names, and nothing else of the disk is: a name the run does not record, a link or a FIFO put in
a notebook's place, a corrupt notebook, all answered 4xx naming it."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .conftest import write_notebook
from .orch_server import call, poll_run

PIPELINE = """\
name: shared
steps:
  - name: report
    notebook: report.ipynb
    retries: 1
    retry_delay: 0
"""


@pytest.fixture(params=["folder", "url"])
def runs_kind(request: pytest.FixtureRequest) -> str:
    """A shared folder outside the root, or a URL (``file://``, as ``s3://`` behaves)."""
    return str(request.param)


@pytest.fixture
def shared_runs(tmp_path: Path) -> Path:
    return tmp_path / "shared-runs"


@pytest.fixture
def jp_server_config(
    jp_server_config: dict[str, Any], shared_runs: Path, runs_kind: str, staging: Path
) -> dict[str, Any]:
    config = dict(jp_server_config)
    runs_dir = shared_runs.as_uri() if runs_kind == "url" else str(shared_runs)
    config["OrchApp"] = {**config["OrchApp"], "runs_dir": runs_dir}
    return config


@pytest.fixture
def failed_run(
    jp_fetch: Any, jp_root_dir: Path, started: Any, shared_runs: Path, jp_asyncio_loop: Any
) -> Any:
    """A run of ``shared`` whose only step failed twice, its folder in ``shared_runs``."""
    assert not shared_runs.is_relative_to(jp_root_dir)
    write_notebook(
        jp_root_dir / "report.ipynb", None, "print('counting')", "raise ValueError('no totals')"
    )
    (jp_root_dir / "pipeline.yaml").write_text(PIPELINE)

    async def run() -> dict[str, Any]:
        code, _ = await call(jp_fetch, "POST", "pipelines", body={"path": "pipeline.yaml"})
        assert code == 201
        code, run = await call(jp_fetch, "POST", "pipelines", "shared", "runs", body={})
        assert code == 202, run
        return await poll_run(jp_fetch, run["id"])

    return jp_asyncio_loop.run_until_complete(run())


async def test_notebooks_outside_the_root_are_served_read_only_by_name(
    jp_fetch: Any, failed_run: dict[str, Any], shared_runs: Path, runs_kind: str, staging: Path
) -> None:
    run = failed_run
    if runs_kind == "url":  # served from the URL, not from this machine's staging folder
        assert staging.is_dir()
        shutil.rmtree(staging)
    assert run["status"] == "failed"
    assert run["run_dir"] is None  # outside the root, or remote: the contents API cannot reach it
    attempts = run["steps"][0]["attempts"]
    assert [a["output_notebook"] for a in attempts] == [None, None]
    names = [a["output_notebook_name"] for a in attempts]
    assert names == ["report.ipynb", "report.attempt-2.ipynb"]
    assert (shared_runs / "shared" / run["id"] / names[1]).is_file()

    code, model = await call(jp_fetch, "GET", "runs", run["id"], "notebooks", names[1])
    assert code == 200, model
    assert model["path"] == f"{run['id']}/{names[1]}"
    assert (model["type"], model["format"], model["writable"]) == ("notebook", "json", False)
    outputs = [o for cell in model["content"]["cells"] for o in cell.get("outputs", [])]
    assert any(o.get("evalue") == "no totals" for o in outputs)
    assert model["size"] == (shared_runs / "shared" / run["id"] / names[1]).stat().st_size

    code, bare = await call(
        jp_fetch, "GET", "runs", run["id"], "notebooks", names[0], params={"content": "0"}
    )
    assert code == 200 and bare["content"] is None and bare["format"] is None

    code, listing = await call(jp_fetch, "GET", "runs", run["id"], "notebooks")
    assert code == 200 and listing["type"] == "directory"
    assert [m["name"] for m in listing["content"]] == sorted(names)

    response = await jp_fetch(
        "orch", "runs", run["id"], "notebooks", names[0], params={"download": "1"}
    )
    assert response.headers["Content-Disposition"] == f'attachment; filename="{names[0]}"'
    assert response.headers["Content-Type"].startswith("application/x-ipynb+json")
    assert json.loads(response.body)["nbformat"] == 4


@pytest.mark.parametrize("runs_kind", ["folder"], indirect=True)
async def test_only_the_runs_own_notebooks_are_served_and_bad_files_are_refused(
    jp_fetch: Any,
    jp_root_dir: Path,
    failed_run: dict[str, Any],
    shared_runs: Path,
    fifo: Callable[[Path], Path],
) -> None:
    run_id = failed_run["id"]
    folder = shared_runs / "shared" / run_id

    async def answer(name: str) -> tuple[int, Any]:
        code, body = await call(jp_fetch, "GET", "runs", run_id, "notebooks", name)
        return code, body

    code, body = await answer("report.ipynb")
    assert code == 200
    # A notebook of the root, named as if it were the run's: not recorded, not served
    code, body = await answer("pipeline.ipynb")
    assert code == 404 and "no output notebook 'pipeline.ipynb'" in body["error"]
    code, body = await call(jp_fetch, "GET", "runs", "nosuchrun", "notebooks", "report.ipynb")
    assert code == 404

    # The notebook swapped for a link to a file of the root: refused, never followed
    target = folder / "report.ipynb"
    target.unlink()
    os.symlink(jp_root_dir / "report.ipynb", target)
    code, body = await answer("report.ipynb")
    assert code == 422 and "report.ipynb" in body["error"]
    target.unlink()
    fifo(target)
    code, body = await answer("report.ipynb")
    assert code == 422 and "report.ipynb" in body["error"]
    target.unlink()
    code, body = await answer("report.ipynb")
    assert code == 404 and "is gone" in body["error"]
    code, listing = await call(jp_fetch, "GET", "runs", run_id, "notebooks")
    assert [m["name"] for m in listing["content"]] == ["report.attempt-2.ipynb"]

    (folder / "report.attempt-2.ipynb").write_text('{"cells": "not a list"}')
    code, body = await answer("report.attempt-2.ipynb")
    assert code == 422 and "is not a notebook" in body["error"]


@pytest.mark.parametrize("runs_kind", ["url"], indirect=True)
async def test_two_runs_notebooks_at_a_url_are_compared_cell_by_cell(
    jp_fetch: Any, failed_run: dict[str, Any], staging: Path
) -> None:
    code, again = await call(jp_fetch, "POST", "pipelines", "shared", "runs", body={})
    assert code == 202
    second = await poll_run(jp_fetch, again["id"])
    shutil.rmtree(staging)  # this server never held the runs' files
    first_id, second_id = failed_run["id"], second["id"]
    code, compared = await call(jp_fetch, "GET", "runs", first_id, "compare", second_id)
    assert code == 200 and compared["steps"][0]["notebooks"] is True, compared
    assert compared["steps"][0]["a"]["output_notebook_name"] == "report.attempt-2.ipynb"
    code, pair = await call(
        jp_fetch, "GET", "runs", first_id, "compare", second_id, "steps", "report", "notebooks"
    )
    assert code == 200, pair
    assert pair["base"]["cells"] and (pair["a_path"], pair["b_path"]) == (
        "report.attempt-2.ipynb",
        "report.attempt-2.ipynb",
    )
