"""The REST API through a real Jupyter Server (pytest-jupyter), with the scheduler running in
its event loop and real kernels."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import pytest

from .conftest import write_notebook
from .orch_server import PIPELINE, ROUTES, call, poll_run

pytestmark = pytest.mark.slow


async def test_register_trigger_poll_and_open_the_output_notebook(
    jp_fetch: Any, project: Path
) -> None:
    code, pipeline = await call(
        jp_fetch, "POST", "pipelines", body={"path": "project/pipeline.yaml"}
    )
    assert code == 201, pipeline
    assert pipeline["name"] == "hello" and pipeline["path"] == "project/pipeline.yaml"
    assert [s["name"] for s in pipeline["steps"]] == ["greet", "shout"]
    assert pipeline["steps"][1]["needs"] == ["greet"]
    code, listing = await call(jp_fetch, "GET", "pipelines")
    assert [p["name"] for p in listing["pipelines"]] == ["hello"]

    code, run = await call(
        jp_fetch, "POST", "pipelines", "hello", "runs", body={"parameters": {"who": "jupyter"}}
    )
    assert code == 202, run
    assert run["status"] == "queued" and run["trigger"] == "api"
    done = await poll_run(jp_fetch, run["id"])
    assert done["status"] == "succeeded", done
    assert set(done) >= {
        "id", "pipeline", "version", "status", "trigger", "parameters", "started_at",
        "ended_at", "duration_s", "error", "steps",
    }  # fmt: skip
    shout = done["steps"][1]
    assert shout["attempts"][0]["outputs"] == {"greeting": "hello hello jupyter"}
    notebook = shout["attempts"][0]["output_notebook"]
    assert notebook == f"orch-runs/hello/{run['id']}/shout.ipynb"
    contents = await jp_fetch("api", "contents", *notebook.split("/"), method="GET")
    assert json.loads(contents.body)["type"] == "notebook"

    code, logs = await call(jp_fetch, "GET", "runs", run["id"], "logs")
    assert any("Pipeline completed successfully" in ln["message"] for ln in logs["lines"])
    code, page = await call(jp_fetch, "GET", "runs", params={"pipeline": "hello"})
    assert [r["id"] for r in page["runs"]] == [run["id"]] and page["next_cursor"] is None


async def test_invalid_pipelines_parameters_and_crons_are_400_with_details(
    jp_fetch: Any, project: Path
) -> None:
    bad = PIPELINE.replace("name: hello", "name: hello\nschedule: {cron: '61 * * * *'}")
    bad = bad.replace("needs: [greet]", "needs: [gret]")
    code, answer = await call(
        jp_fetch, "POST", "pipelines", body={"yaml": bad, "path": "project/bad.yaml"}
    )
    assert code == 400
    # The file as the user knows it, relative to the root: never the server's own folders
    count = len(answer["details"])
    assert answer["error"] == f"project/bad.yaml is not a valid pipeline: {count} problems"
    assert str(project) not in json.dumps(answer)
    fields = {d["field"]: d for d in answer["details"]}
    assert "schedule.cron" in fields and fields["schedule.cron"]["line"] == 2
    assert any("gret" in d["message"] for d in answer["details"])
    assert not (project / "bad.yaml").exists()  # nothing half-written
    code, answer = await call(
        jp_fetch, "POST", "pipelines", "validate", body={"yaml": bad, "path": "project/bad.yaml"}
    )
    assert code == 200 and answer["valid"] is False and len(answer["problems"]) >= 2
    code, listing = await call(jp_fetch, "GET", "pipelines")
    assert listing["pipelines"] == []  # validate registers nothing

    await call(jp_fetch, "POST", "pipelines", body={"path": "project/pipeline.yaml"})
    code, answer = await call(
        jp_fetch, "POST", "pipelines", "hello", "runs", body={"parameters": {"nope": 1}}
    )
    assert code == 400 and "nope" in answer["error"]
    code, answer = await call(jp_fetch, "POST", "pipelines", "nobody", "runs", body={})
    assert code == 404
    code, answer = await call(jp_fetch, "GET", "runs", "01NOPE")
    assert code == 404
    code, answer = await call(jp_fetch, "PATCH", "pipelines", "hello", body={"paused": "yes"})
    assert code == 400 and answer["details"][0]["field"] == "paused"


async def test_yaml_is_saved_edited_and_never_overwrites_another_file(
    jp_fetch: Any, project: Path
) -> None:
    text = PIPELINE.replace("name: hello", "name: saved")
    code, pipeline = await call(
        jp_fetch, "POST", "pipelines", body={"yaml": text, "path": "project/saved.yaml"}
    )
    assert code == 201 and (project / "saved.yaml").read_text() == text
    edited = text.replace("who: world", "who: everyone")
    code, pipeline = await call(
        jp_fetch, "POST", "pipelines", body={"yaml": edited, "path": "project/saved.yaml"}
    )
    assert code == 201 and pipeline["version"] == 2
    code, _ = await call(
        jp_fetch, "POST", "pipelines", body={"yaml": text, "path": "project/pipeline.yaml"}
    )
    assert code == 409 and (project / "pipeline.yaml").read_text() == PIPELINE
    code, versions = await call(jp_fetch, "GET", "pipelines", "saved", "versions")
    assert [v["version"] for v in versions["versions"]] == [2, 1]
    code, first = await call(jp_fetch, "GET", "pipelines", "saved", "versions", "1")
    assert first["source"] == text

    code, changed = await call(
        jp_fetch,
        "PATCH",
        "pipelines",
        "saved",
        body={"schedule": {"cron": "0 9 * * *", "timezone": "Europe/Berlin"}},
    )
    assert code == 200, changed
    assert changed["version"] == 3
    assert changed["schedule"]["description"] == "every day at 09:00 (Europe/Berlin)"
    assert "cron: 0 9 * * *" in (project / "saved.yaml").read_text()
    code, paused = await call(jp_fetch, "PATCH", "pipelines", "saved", body={"paused": True})
    assert paused["paused"] is True and paused["next_run_at"] is None
    code, _ = await call(jp_fetch, "DELETE", "pipelines", "saved")
    assert code == 204
    code, _ = await call(jp_fetch, "GET", "pipelines", "saved")
    assert code == 404


@pytest.mark.parametrize(
    "path",
    [
        "../outside.yaml",
        "/etc/passwd",
        "%2e%2e/outside.yaml",
        "project/\x00.yaml",
        "../root_dir_sibling/pipeline.yaml",
        "project/link-out/pipeline.yaml",
    ],
)
async def test_paths_outside_the_root_are_refused(
    jp_fetch: Any, project: Path, jp_root_dir: Path, path: str
) -> None:
    sibling = jp_root_dir.parent / "root_dir_sibling"
    sibling.mkdir(exist_ok=True)
    (sibling / "pipeline.yaml").write_text(PIPELINE)
    (jp_root_dir.parent / "outside.yaml").write_text(PIPELINE)
    if not (project / "link-out").exists():
        os.symlink(sibling, project / "link-out")
    for route in (("pipelines",), ("pipelines", "validate")):
        code, answer = await call(jp_fetch, "POST", *route, body={"path": path})
        assert code == 400, answer
        assert answer["details"][0]["field"] == "path"
    code, answer = await call(jp_fetch, "POST", "pipelines", body={"yaml": PIPELINE, "path": path})
    assert code == 400
    assert (sibling / "pipeline.yaml").read_text() == PIPELINE  # nothing outside touched


async def test_cancel_and_rerun_from_failed(jp_fetch: Any, project: Path) -> None:
    write_notebook(project / "flaky.ipynb", "ok = False", "assert ok, 'not ok'")
    (project / "flaky.yaml").write_text(
        "name: flaky\nparameters: {ok: false}\nsteps:\n"
        "  - {name: greet, notebook: greet.ipynb}\n"
        "  - {name: check, notebook: flaky.ipynb, needs: [greet]}\n"
    )
    await call(jp_fetch, "POST", "pipelines", body={"path": "project/flaky.yaml"})
    code, run = await call(jp_fetch, "POST", "pipelines", "flaky", "runs", body={})
    failed = await poll_run(jp_fetch, run["id"])
    assert failed["status"] == "failed"
    assert failed["steps"][1]["attempts"][0]["error"]["evalue"] == "not ok"
    write_notebook(project / "flaky.ipynb", "ok = False", "assert True")
    code, repair = await call(
        jp_fetch, "POST", "runs", run["id"], "rerun", body={"from_failed": True}
    )
    assert code == 202 and repair["trigger"] == "rerun"
    repaired = await poll_run(jp_fetch, repair["id"])
    assert repaired["status"] == "succeeded"
    assert repaired["steps"][0]["reused_from"] == run["id"]
    code, answer = await call(jp_fetch, "POST", "runs", run["id"], "cancel")
    assert code == 200 and answer["outcome"] == "finished"


async def test_every_route_needs_credentials(jp_fetch: Any, project: Path) -> None:
    """Case 19: no token, no access (403), on every route and method."""
    for method, path in ROUTES:
        code, _ = await call(jp_fetch, method, *path, headers={"Authorization": ""})
        assert code == 403, (method, path)


async def test_an_authorizer_denying_orch_gets_403_everywhere(
    jp_fetch: Any, project: Path, jp_serverapp: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Case 19: our routes ask Jupyter Server's authorizer about the resource `orch`."""
    asked: set[tuple[str, str]] = set()

    def deny_orch(handler: Any, user: Any, action: str, resource: str) -> bool:
        asked.add((action, resource))
        return resource != "orch"

    monkeypatch.setattr(jp_serverapp.authorizer, "is_authorized", deny_orch)
    for method, path in ROUTES:
        code, _ = await call(jp_fetch, method, *path)
        assert code == 403, (method, path)
    assert {resource for _, resource in asked} == {"orch"}
    assert {action for action, _ in asked} == {"read", "write"}


async def test_cookie_session_needs_xsrf_for_changes(
    jp_fetch: Any, project: Path, jp_serverapp: Any, jp_base_url: str, http_server_client: Any
) -> None:
    """Case 19: a browser session (cookie, no token) can read, but a POST without the XSRF
    token is refused; state never changes through GET."""
    token = jp_serverapp.identity_provider.token
    login = await http_server_client.fetch(
        f"{jp_base_url}login",
        method="POST",
        body=f"password={token}&_xsrf=abc",  # the login form carries its XSRF token
        follow_redirects=False,
        raise_error=False,
        headers={"Cookie": "_xsrf=abc"},
    )
    cookies = login.headers.get_list("Set-Cookie")
    session = "; ".join(c.split(";")[0] for c in cookies)
    assert session, login.code
    get = await http_server_client.fetch(
        f"{jp_base_url}orch/pipelines", headers={"Cookie": session}, raise_error=False
    )
    assert get.code == 200
    post = await http_server_client.fetch(
        f"{jp_base_url}orch/pipelines",
        method="POST",
        body=json.dumps({"path": "project/pipeline.yaml"}),
        headers={"Cookie": session},
        raise_error=False,
    )
    assert post.code == 403
    listing = json.loads(get.body)["pipelines"]
    assert listing == []
    with_xsrf = await http_server_client.fetch(
        f"{jp_base_url}orch/pipelines",
        method="POST",
        body=json.dumps({"path": "project/pipeline.yaml"}),
        headers={"Cookie": f"{session}; _xsrf=abc", "X-XSRFToken": "abc"},
        raise_error=False,
    )
    assert with_xsrf.code == 201  # the same request with the XSRF token is accepted


async def test_nan_parameters_are_refused_with_the_field(jp_fetch: Any, project: Path) -> None:
    await call(jp_fetch, "POST", "pipelines", body={"path": "project/pipeline.yaml"})
    response = await jp_fetch(
        "orch",
        "pipelines",
        "hello",
        "runs",
        method="POST",
        body='{"parameters": {"who": NaN}}',
        raise_error=False,
    )
    assert response.code == 400
    assert "parameters.who" in json.loads(response.body)["error"]


# --- paths a pipeline names, and files that are not regular files (issue 11 items 2 and 9) ----

OUTSIDE_ROOT = (
    "is outside the server's root folder; keep the files a pipeline names under that folder"
)


def one_step(notebook: str, name: str = "escape") -> str:
    return f"name: {name}\nsteps:\n  - name: a\n    notebook: {json.dumps(notebook)}\n"


@pytest.fixture
def outside(jp_root_dir: Path, project: Path) -> Path:
    """Beside the root: a notebook that leaves a mark if it ever runs, one that is not JSON, a
    sibling folder sharing the root's name as prefix, and a symlink out of the root."""
    beside = jp_root_dir.parent
    write_notebook(beside / "secret.ipynb", None, f"open({str(beside / 'ran')!r}, 'w')")
    (beside / "shadow.ipynb").write_text("root:$6$not-json")
    write_notebook(beside / "root_dir_sibling" / "x.ipynb", None, "x = 1")
    os.symlink(beside / "root_dir_sibling", project / "link-out")
    return beside


ESCAPES = [
    "../../secret.ipynb",
    "../../shadow.ipynb",
    "../../missing.ipynb",
    "/etc/passwd",
    "/etc/shadow",
    "/root/.ssh/id_rsa",
    "../../root_dir_sibling/x.ipynb",
    "link-out/x.ipynb",
    "link-out/missing.ipynb",
    "../../{x}.ipynb",
]


@pytest.mark.parametrize("named", ESCAPES)
async def test_notebooks_a_pipeline_names_outside_the_root_are_refused_alike(
    jp_fetch: Any,
    outside: Path,
    project: Path,
    jp_root_dir: Path,
    named: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Cases 20 and 28: refused at validation and registration, by the file or its text, with
    words that say nothing about what exists outside, and nothing there opened."""
    from jupyter_orch.inputs import files

    read: list[Path] = []
    real_read = files.read_bytes
    monkeypatch.setattr(files, "read_bytes", lambda p, *rest: read.append(p) or real_read(p, *rest))
    expected = [{"field": "steps[0].notebook", "message": f"notebook {named!r} {OUTSIDE_ROOT}"}]
    (project / "escape.yaml").write_text(one_step(named))
    by_text = {"yaml": one_step(named), "path": "project/saved.yaml"}
    for body in ({"path": "project/escape.yaml"}, by_text):
        code, answer = await call(jp_fetch, "POST", "pipelines", "validate", body=body)
        assert code == 200 and answer["valid"] is False, answer
        assert [{k: p[k] for k in ("field", "message")} for p in answer["problems"]] == expected
        code, answer = await call(jp_fetch, "POST", "pipelines", body=body)
        assert code == 400, answer
        assert [{k: d[k] for k in ("field", "message")} for d in answer["details"]] == expected
        assert "root:$6$" not in json.dumps(answer) and str(outside) not in json.dumps(answer)
    assert not (project / "saved.yaml").exists()
    code, listing = await call(jp_fetch, "GET", "pipelines")
    assert listing["pipelines"] == []
    assert read and all(Path(p).resolve().is_relative_to(jp_root_dir.resolve()) for p in read)


async def test_notebook_paths_inside_the_root_are_taken_literally(
    jp_fetch: Any, outside: Path, project: Path, jp_root_dir: Path
) -> None:
    """Absolute paths inside the root work; `%2e%2e` and braces are plain characters, and NUL
    is refused; messages name files relative to the root."""
    cases = {
        str(project / "greet.ipynb"): None,
        "%2e%2e/%2e%2e/secret.ipynb": "notebook not found: project/%2e%2e/%2e%2e/secret.ipynb",
        "{x}.ipynb": "notebook not found: project/{x}.ipynb",
        "a\x00.ipynb": "notebook 'a\\x00.ipynb' contains a NUL character",
    }
    for named, message in cases.items():
        body = {"yaml": one_step(named), "path": "project/literal.yaml"}
        code, answer = await call(jp_fetch, "POST", "pipelines", "validate", body=body)
        assert code == 200, answer
        assert [p["message"] for p in answer["problems"]] == ([message] if message else [])
    code, pipeline = await call(
        jp_fetch,
        "POST",
        "pipelines",
        body={"yaml": one_step(str(project / "greet.ipynb")), "path": "project/absolute.yaml"},
    )
    assert code == 201, pipeline


async def test_a_symlink_pointed_out_of_the_root_after_registration_fails_the_step(
    jp_fetch: Any, outside: Path, project: Path
) -> None:
    """Checked again as each step starts: the notebook outside is never run or copied."""
    os.symlink(project / "greet.ipynb", project / "link.ipynb")
    (project / "swap.yaml").write_text(one_step("link.ipynb", "swap"))
    code, answer = await call(jp_fetch, "POST", "pipelines", body={"path": "project/swap.yaml"})
    assert code == 201, answer
    os.remove(project / "link.ipynb")
    os.symlink(outside / "secret.ipynb", project / "link.ipynb")
    code, run = await call(jp_fetch, "POST", "pipelines", "swap", "runs", body={})
    done = await poll_run(jp_fetch, run["id"])
    assert done["status"] == "failed", done
    [attempt] = done["steps"][0]["attempts"]
    assert attempt["error"]["evalue"] == f"notebook 'link.ipynb' {OUTSIDE_ROOT}"
    assert attempt["output_notebook"] is None
    assert not (outside / "ran").exists()
    run_dir = project.parent / done["run_dir"]
    assert not list(run_dir.glob("*.ipynb"))


async def test_the_server_confines_pipelines_registered_by_the_cli_too(
    jp_fetch: Any, outside: Path, jp_serverapp: Any
) -> None:
    """The server's scheduler runs every pipeline of the store; its root applies to them all
    (the CLI, whose files are its user's own, registers and runs them unconfined)."""
    from jupyter_orch.pipelines.loader import load_pipeline
    from jupyter_orch.service import Orchestrator

    (outside / "cli.yaml").write_text(one_step("secret.ipynb", "from-cli"))
    cli = Orchestrator(
        jp_serverapp.web_app.settings["jupyter_orch.availability"].catalog().store, outside
    )
    cli.apply(load_pipeline(outside / "cli.yaml"))  # no root: the CLI accepts it
    code, run = await call(jp_fetch, "POST", "pipelines", "from-cli", "runs", body={})
    done = await poll_run(jp_fetch, run["id"])
    assert done["status"] == "failed"
    assert done["steps"][0]["attempts"][0]["error"]["evalue"] == (
        f"notebook 'secret.ipynb' {OUTSIDE_ROOT}"
    )
    assert not (outside / "ran").exists()
    code, answer = await call(
        jp_fetch, "PATCH", "pipelines", "from-cli", body={"schedule": "@daily"}
    )
    assert code == 400 and "outside the server's root folder" in answer["error"]
    assert (outside / "cli.yaml").read_text() == one_step("secret.ipynb", "from-cli")


@pytest.mark.timeout(60)
async def test_a_fifo_is_refused_at_once_and_every_route_keeps_answering(
    jp_fetch: Any, project: Path, fifo: Any
) -> None:
    """Case 27: a FIFO as the pipeline file, a notebook it names, a notebook to schedule, or
    the pipeline file scheduling would update: a clear answer, never a wait for a writer."""
    fifo(project / "pipe.yaml")
    fifo(project / "pipe.ipynb")
    fifo(project / "greet.pipeline.yaml")
    (project / "names-pipe.yaml").write_text(one_step("pipe.ipynb", "names-pipe"))
    for _ in range(3):  # more than one round of the server's threads
        checks = [
            call(jp_fetch, "POST", "pipelines", "validate", body={"path": "project/pipe.yaml"})
            for _ in range(4)
        ]
        checks.append(call(jp_fetch, "POST", "pipelines", body={"path": "project/pipe.yaml"}))
        checks.append(
            call(
                jp_fetch, "POST", "pipelines", "validate", body={"path": "project/names-pipe.yaml"}
            )
        )
        checks.append(
            call(
                jp_fetch,
                "GET",
                "notebooks",
                "parameters",
                params={"path": "project/pipe.ipynb"},
            )
        )
        checks.append(
            call(
                jp_fetch,
                "POST",
                "notebooks",
                "schedule",
                body={"path": "project/greet.ipynb", "schedule": "@daily"},
            )
        )
        answers = await asyncio.gather(*checks)
        fifo_file = "the pipeline file is a FIFO (named pipe), not a regular file"
        for code, answer in answers[:4]:
            assert code == 200 and [p["message"] for p in answer["problems"]] == [fifo_file]
        code, answer = answers[4]
        assert code == 400 and answer["details"][0]["message"] == fifo_file
        code, answer = answers[5]
        assert [p["message"] for p in answer["problems"]] == [
            "notebook project/pipe.ipynb is a FIFO (named pipe), not a regular file"
        ]
        assert answers[6][0] in (400, 404)
        code, answer = answers[7]
        assert code == 409 and "project/greet.pipeline.yaml exists" in answer["error"]
    code, listing = await call(jp_fetch, "GET", "pipelines")
    assert code == 200 and listing["pipelines"] == []


@pytest.mark.timeout(60)
async def test_reads_stuck_on_a_slow_file_system_leave_the_store_routes_answering(
    jp_fetch: Any,
    project: Path,
    jp_serverapp: Any,
    http_server_client: Any,
    jp_base_url: str,
    jp_auth_header: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Routes that read files run in their own bounded pool. The stuck read is a fake (a
    validate waiting on an event), standing for a hung network mount no test can make."""
    import threading

    from tornado.simple_httpclient import SimpleAsyncHTTPClient

    release = threading.Event()
    stuck = 0

    def stuck_validate(body: Any) -> dict[str, Any]:
        nonlocal stuck
        stuck += 1
        release.wait(30)
        return {"valid": True, "problems": []}

    catalog = jp_serverapp.web_app.settings["jupyter_orch.availability"].catalog()
    monkeypatch.setattr(catalog, "validate", stuck_validate)
    # More than any default thread pool holds (min(32, CPUs + 4)), each on its own connection
    client = SimpleAsyncHTTPClient(force_instance=True, max_clients=40)
    url = http_server_client.get_url(f"{jp_base_url}orch/pipelines/validate")
    pending = [
        asyncio.ensure_future(
            client.fetch(url, method="POST", body="{}", headers=jp_auth_header, request_timeout=50)
        )
        for _ in range(34)
    ]
    try:
        deadline = asyncio.get_running_loop().time() + 20
        while stuck == 0:
            assert asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.05)
        code, _ = await asyncio.wait_for(call(jp_fetch, "GET", "pipelines"), 15)
        assert code == 200
        code, _ = await asyncio.wait_for(call(jp_fetch, "GET", "runs"), 15)
        assert code == 200
    finally:
        release.set()
        answers = await asyncio.gather(*pending, return_exceptions=True)
        client.close()
    assert all(getattr(a, "code", None) == 200 for a in answers), answers[:3]


async def test_a_symlink_loop_is_a_clear_400_not_a_500(jp_fetch: Any, project: Path) -> None:
    os.symlink("loop.yaml", project / "loop.yaml")
    os.symlink("loop.ipynb", project / "loop.ipynb")
    code, answer = await call(
        jp_fetch, "POST", "pipelines", "validate", body={"path": "project/loop.yaml"}
    )
    assert code == 200 and answer["valid"] is False, answer
    assert answer["problems"][0]["message"].startswith("the pipeline file cannot be read")
    code, answer = await call(jp_fetch, "POST", "pipelines", body={"path": "project/loop.yaml"})
    assert code == 400, answer
    code, answer = await call(
        jp_fetch,
        "POST",
        "pipelines",
        "validate",
        body={"yaml": one_step("loop.ipynb"), "path": "project/x.yaml"},
    )
    assert [p["message"] for p in answer["problems"]] == [
        "notebook project/loop.ipynb cannot be read (Too many levels of symbolic links)"
    ]
    code, answer = await call(
        jp_fetch, "GET", "notebooks", "parameters", params={"path": "project/loop.ipynb"}
    )
    assert code in (400, 404), answer


async def test_the_runs_page_searches_and_takes_a_date_range(jp_fetch: Any, project: Path) -> None:
    code, _ = await call(jp_fetch, "POST", "pipelines", body={"path": "project/pipeline.yaml"})
    code, run = await call(jp_fetch, "POST", "pipelines", "hello", "runs", body={})
    assert code == 202 and run["number"] == 1
    for q, expected in (("HELL", [run["id"]]), ("#1", [run["id"]]), ("nope", [])):
        code, page = await call(jp_fetch, "GET", "runs", params={"q": q})
        assert code == 200 and [r["id"] for r in page["runs"]] == expected, q
    code, page = await call(jp_fetch, "GET", "runs", params={"since": "2999-01-01"})
    assert code == 200 and page["runs"] == []
    code, page = await call(jp_fetch, "GET", "runs", params={"until": "2999-01-01T00:00:00Z"})
    assert [r["id"] for r in page["runs"]] == [run["id"]]
    code, answer = await call(jp_fetch, "GET", "runs", params={"since": "yesterday"})
    assert code == 400 and answer["error"].startswith("since: 'yesterday' is not a time")
    await poll_run(jp_fetch, run["id"])


async def test_a_name_taken_by_another_file_can_be_replaced_keeping_its_history(
    jp_fetch: Any, project: Path
) -> None:
    """A browser user is not told to "pass --replace": the 409 says what to send, with a code
    the lab acts on (Replace, keeping the pipeline's runs)."""
    await call(jp_fetch, "POST", "pipelines", body={"path": "project/pipeline.yaml"})
    code, run = await call(jp_fetch, "POST", "pipelines", "hello", "runs", body={})
    (project / "copy.yaml").write_text((project / "pipeline.yaml").read_text())
    code, answer = await call(jp_fetch, "POST", "pipelines", body={"path": "project/copy.yaml"})
    assert code == 409 and answer["code"] == "name_taken", answer
    assert answer["error"] == (
        "a pipeline named 'hello' is already registered from project/pipeline.yaml; rename this "
        'one, or send "replace": true (the lab\'s Replace) to make it its file, keeping its runs'
    )
    body = {"path": "project/copy.yaml", "replace": True}
    code, pipeline = await call(jp_fetch, "POST", "pipelines", body=body)
    assert code == 201 and pipeline["path"] == "project/copy.yaml"
    code, page = await call(jp_fetch, "GET", "runs", params={"pipeline": "hello"})
    assert [r["id"] for r in page["runs"]] == [run["id"]]  # its history stayed
    await poll_run(jp_fetch, run["id"])
