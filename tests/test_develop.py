"""Developing and testing steps: test runs (``jupyter orch test``), the inputs a step had in a
run (``POST /orch/pipelines/{name}/steps/{step}/inputs``) and ``jupyter_orch.use_step`` in a
real kernel. Real kernels, papermill and SQLite throughout."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from jupyter_orch.activity import activity_page
from jupyter_orch.develop.scratch import GIVEN, SCRATCH, create_test_run
from jupyter_orch.errors import NotFoundError, UserError
from jupyter_orch.notebook_client import NoServerError, pick_server
from jupyter_orch.pipelines.loader import load_pipeline
from jupyter_orch.records import RunStatus, StepStatus, Trigger
from jupyter_orch.service import Orchestrator
from jupyter_orch.store.repository import Store

from .conftest import execute, run_pipeline, write_notebook, write_steps
from .helpers import command
from .orch_server import call, poll_run

STEPS = """
- {name: make, notebook: make.ipynb, parameters: {n: "{{ params.n }}"}}
- name: use
  notebook: use.ipynb
  needs: [make]
  parameters: {rows: "{{ steps.make.outputs.rows }}", label: "{{ params.label }}"}
- {name: after, notebook: use.ipynb, needs: [use], parameters: {rows: "{{ steps.use.outputs.double }}"}}
"""


def shop(folder: Path) -> Path:
    """make records rows = 10 n; use doubles its rows; after doubles use's."""
    write_notebook(
        folder / "make.ipynb", "n = 0", "import jupyter_orch\njupyter_orch.record('rows', n * 10)"
    )
    write_notebook(
        folder / "use.ipynb",
        "rows = 0\nlabel = 'none'",
        "import jupyter_orch\nprint('got', rows, label)\njupyter_orch.record('double', rows * 2)",
    )
    return write_steps(
        folder,
        "shop",
        STEPS,
        head="parameters: {n: 2, label: full}\nprofiles: {small: {n: 1, label: small}}\n"
        "notify: {on_failure: [outbox], on_success: [outbox]}",
    )


def test_a_test_run_of_one_step_reuses_the_last_runs_upstream_outputs(
    orch: Orchestrator, store: Store, tmp_path: Path
) -> None:
    path = shop(tmp_path / "p")
    real = run_pipeline(orch, path)
    assert real.status is RunStatus.SUCCEEDED
    loaded = load_pipeline(path)
    version = orch.register(loaded)

    run = create_test_run(orch, loaded, version.version, step="use", profile="small")
    assert run.trigger is Trigger.TEST
    assert Path(run.run_dir).parent.parent == orch.runs_dir / SCRATCH
    done = execute(orch, loaded, run)
    assert done.status is RunStatus.SUCCEEDED, done.error
    steps = {s.name: s for s in done.steps}
    assert list(steps) == ["make", "use"]  # after, downstream, is not part of it
    assert steps["make"].reused_from == real.id and steps["make"].outputs == {"rows": 20}
    # rows from the real run (n=2), the label from the profile the test asked for
    assert steps["use"].outputs == {"double": 40}
    notebook = Path(steps["use"].last_attempt.output_notebook)  # type: ignore[union-attr]
    assert notebook.is_relative_to(orch.runs_dir / SCRATCH)
    assert "got 20 small" in notebook.read_text()

    # hidden from listings, statistics, health and events; notifies nobody
    assert [r.id for r in store.list_runs(pipeline="shop")] == [real.id]
    assert [r.id for r in store.list_runs(pipeline="shop", trigger="test")] == [run.id]
    assert run.id not in store.run_ids_page(pipeline="shop")
    assert store.run_ids_page(pipeline="shop", trigger="test") == [run.id]
    assert store.notifications(run_ids=[run.id]) == []
    assert [n.event for n in store.notifications(run_ids=[real.id])] == ["success"]
    assert [f.run_id for f in store.finished_runs("shop", "succeeded", None)] == [real.id]
    [state] = [s for s in store.pipeline_states() if s.name == "shop"]
    assert state.last_run_at == real.created_at
    entries = activity_page(store, pipeline="shop")["entries"]
    [entry] = [e for e in entries if e["action"] == "test"]
    assert entry["run_id"] == run.id and entry["detail"] == {"step": "use"}


def test_a_failing_test_run_says_failed_and_notifies_nobody(
    orch: Orchestrator, store: Store, tmp_path: Path
) -> None:
    path = shop(tmp_path / "p")
    loaded = load_pipeline(path)
    version = orch.register(loaded)
    run = create_test_run(
        orch, loaded, version.version, step="use", inputs={"make": {"rows": None}}
    )
    done = execute(orch, loaded, run)  # None * 2 raises in use
    assert done.status is RunStatus.FAILED
    assert {s.name: s.status for s in done.steps} == {
        "make": StepStatus.SUCCEEDED,
        "use": StepStatus.FAILED,
    }
    assert store.notifications(run_ids=[run.id]) == []  # the pipeline notifies on_failure


def test_given_inputs_stand_in_for_the_upstream_steps(orch: Orchestrator, tmp_path: Path) -> None:
    path = shop(tmp_path / "p")
    loaded = load_pipeline(path)
    version = orch.register(loaded)
    run = create_test_run(
        orch,
        loaded,
        version.version,
        step="after",
        inputs={"make": {"rows": 1}, "use": {"double": 7}},
    )
    done = execute(orch, loaded, run)
    assert done.status is RunStatus.SUCCEEDED, done.error
    steps = {s.name: s for s in done.steps}
    assert steps["use"].reused_from == GIVEN
    assert steps["after"].outputs == {"double": 14}


def test_test_run_mistakes_are_named(orch: Orchestrator, tmp_path: Path) -> None:
    path = shop(tmp_path / "p")
    loaded = load_pipeline(path)
    version = orch.register(loaded).version
    with pytest.raises(NotFoundError, match=r"no step 'nope' \(steps: make, use, after\)"):
        create_test_run(orch, loaded, version, step="nope")
    with pytest.raises(UserError, match=r"no run of 'shop' has outputs of make"):
        create_test_run(orch, loaded, version, step="use")
    with pytest.raises(UserError, match=r"inputs: after not upstream of step 'use'"):
        create_test_run(orch, loaded, version, step="use", inputs={"after": {}})
    with pytest.raises(UserError, match=r"inputs: give the outputs of use too"):
        create_test_run(orch, loaded, version, step="after", inputs={"make": {}})


def test_test_runs_count_for_no_keep_last(orch: Orchestrator, store: Store, tmp_path: Path) -> None:
    path = shop(tmp_path / "p")
    first = run_pipeline(orch, path)
    loaded = load_pipeline(path)
    version = orch.register(loaded).version
    test = execute(orch, loaded, create_test_run(orch, loaded, version, step="use"))
    now = test.ended_at
    assert now is not None
    assert store.expired_runs("shop", now, keep_last=1) == []  # the test run does not push out
    second = run_pipeline(orch, path)
    expired = [run_id for run_id, _ in store.expired_runs("shop", now, keep_last=1)]
    assert expired == [first.id, test.id] and second.id not in expired


def test_step_inputs_resolve_upstream_outputs_and_name_mistakes(
    orch: Orchestrator, store: Store, tmp_path: Path
) -> None:
    from jupyter_orch.develop.inputs import step_inputs

    path = shop(tmp_path / "p")
    with pytest.raises(NotFoundError, match="no pipeline named 'shop'"):
        step_inputs(store, "shop", "use")
    orch.register(load_pipeline(path))
    with pytest.raises(NotFoundError, match="'shop' has not run yet"):
        step_inputs(store, "shop", "use")
    real = run_pipeline(orch, path)
    inputs = step_inputs(store, "shop", "after")
    assert inputs["run"]["id"] == real.id and inputs["kind"] == "notebook"
    # the pipeline parameters the notebook declares (label), then the step's own, rendered
    assert inputs["parameters"] == {"label": "full", "rows": 40}
    # a pipeline parameter given is applied before rendering; a step parameter given wins
    changed = step_inputs(
        store, "shop", "use", params={"label": "x", "rows": 5}, run="last_succeeded"
    )
    assert changed["parameters"] == {"label": "x", "rows": 5}
    assert step_inputs(store, "shop", "make", profile="small")["parameters"] == {"n": 1}
    other = tmp_path / "q"
    write_notebook(other / "make.ipynb", "n = 0", "pass")
    other_run = run_pipeline(orch, write_steps(other, "other", "- {name: a, notebook: make.ipynb}"))
    with pytest.raises(UserError, match="is a run of 'other', not of 'shop'"):
        step_inputs(store, "shop", "use", run=other_run.id)


def test_pick_server_takes_the_kernels_own_server() -> None:
    servers = [{"pid": 10, "url": "http://a/"}, {"pid": 20, "url": "http://b/"}]
    assert pick_server(servers, [5, 20, 1])["url"] == "http://b/"  # the nearest ancestor
    assert pick_server(servers[:1], [5])["url"] == "http://a/"  # the only one
    with pytest.raises(NoServerError, match="no running Jupyter server"):
        pick_server([], [5])
    with pytest.raises(NoServerError, match="2 Jupyter servers are running"):
        pick_server(servers, [5])


@pytest.mark.slow
def test_jupyter_orch_test_of_one_step(tmp_path: Path) -> None:
    path = shop(tmp_path / "p")
    refused = subprocess.run(
        command(tmp_path, "test", str(path), "--step", "use"), capture_output=True, text=True
    )
    assert refused.returncode == 2 and "jupyter orch run FILE" in refused.stderr
    real = subprocess.run(command(tmp_path, "run", str(path)), capture_output=True, text=True)
    assert real.returncode == 0, real.stderr
    done = subprocess.run(
        command(tmp_path, "test", str(path), "--step", "use", "-p", "label=cli", "--json"),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert record["trigger"] == "test" and record["status"] == "succeeded"
    assert [s["name"] for s in record["steps"]] == ["make", "use"]
    assert f"/runs/{SCRATCH}/shop/" in record["run_dir"]
    listed = subprocess.run(command(tmp_path, "runs", "--json"), capture_output=True, text=True)
    assert record["id"] not in listed.stdout and listed.returncode == 0
    tests = subprocess.run(
        command(tmp_path, "runs", "--trigger", "test", "--json"), capture_output=True, text=True
    )
    assert [r["id"] for r in json.loads(tests.stdout)] == [record["id"]]


def test_step_inputs_over_rest(jp_fetch: Any, project: Path, jp_asyncio_loop: Any) -> None:
    async def go() -> None:
        code, _ = await call(jp_fetch, "POST", "pipelines", body={"path": "project/pipeline.yaml"})
        assert code == 201
        path = ("pipelines", "hello", "steps", "shout", "inputs")
        code, answer = await call(jp_fetch, "POST", *path, body={})
        assert code == 404 and "has not run yet" in answer["error"]
        code, run = await call(jp_fetch, "POST", "pipelines", "hello", "runs", body={})
        assert code == 202
        assert (await poll_run(jp_fetch, run["id"]))["status"] == "succeeded"
        code, answer = await call(jp_fetch, "POST", *path, body={"run": "last"})
        assert code == 200, answer
        assert answer["parameters"] == {"who": "hello world"}
        assert answer["run"]["id"] == run["id"]
        code, answer = await call(jp_fetch, "POST", *path, body={"params": {"who": "you"}})
        assert answer["parameters"] == {"who": "you"}
        for bad in ({"run": 5}, {"params": []}, {"whom": 1}, {"run": "x" * 101}):
            code, answer = await call(jp_fetch, "POST", *path, body=bad)
            assert code == 400, (bad, answer)
        code, answer = await call(jp_fetch, "POST", "pipelines", "hello", "steps", "no", "inputs")
        assert code == 404 and "no step 'no'" in answer["error"]

    jp_asyncio_loop.run_until_complete(go())


def test_use_step_in_a_real_kernel(
    jp_fetch: Any,
    project: Path,
    jp_asyncio_loop: Any,
    jp_http_port: int,
    jp_base_url: str,
    jp_auth_header: dict[str, str],
) -> None:
    from jupyter_client.manager import AsyncKernelManager

    async def go() -> list[str]:
        code, _ = await call(jp_fetch, "POST", "pipelines", body={"path": "project/pipeline.yaml"})
        code, run = await call(jp_fetch, "POST", "pipelines", "hello", "runs", body={})
        assert (await poll_run(jp_fetch, run["id"]))["status"] == "succeeded"
        token = jp_auth_header["Authorization"].removeprefix("token ")
        env = {
            "JUPYTER_ORCH_SERVER_URL": f"http://127.0.0.1:{jp_http_port}{jp_base_url}",
            "JUPYTER_ORCH_SERVER_TOKEN": token,
        }
        manager = AsyncKernelManager(kernel_name="python3")
        import os

        await manager.start_kernel(env={**os.environ, **env}, cwd=str(project))
        client = manager.client()
        client.start_channels()
        out: list[str] = []

        def hook(msg: dict[str, Any]) -> None:
            if msg["msg_type"] == "stream":
                out.append(msg["content"]["text"])
            elif msg["msg_type"] == "error":
                out.append("ERROR " + msg["content"]["evalue"])

        try:
            await client.wait_for_ready(timeout=60)
            code = (
                "import jupyter_orch\n"
                "inputs = jupyter_orch.use_step('hello', 'shout', run='last_succeeded')\n"
                "print(repr(inputs))\nprint('who is', who)\n"
                "try:\n    jupyter_orch.use_step('hello', 'nope')\n"
                "except Exception as exc:\n    print(type(exc).__name__, exc)\n"
            )
            await client.execute_interactive(code, output_hook=hook, timeout=60)
        finally:
            client.stop_channels()
            await manager.shutdown_kernel(now=True)
        return out

    text = "".join(jp_asyncio_loop.run_until_complete(go()))
    assert "who is hello world" in text, text
    assert "hello > shout: the parameters of run #1 (succeeded" in text
    assert "OrchAPIError step: pipeline 'hello' has no step 'nope'" in text


def test_use_step_without_a_server_says_so(tmp_path: Path) -> None:
    code = (
        "import jupyter_orch\n"
        "try:\n    jupyter_orch.use_step('hello', 'shout')\n"
        "except Exception as exc:\n    print(type(exc).__name__, exc)\n"
    )
    env = {"JUPYTER_RUNTIME_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert "NoServerError no running Jupyter server was found for this kernel" in done.stdout


def test_use_step_outside_ipython_sets_its_callers_globals() -> None:
    """``jupyter_orch.use_step`` is a wrapper in the package: the values go to the caller's
    module, not to ``jupyter_orch``'s."""
    import jupyter_orch
    from jupyter_orch.notebook_steps import _session_namespace

    assert _session_namespace() is globals()
    assert _session_namespace() is not vars(jupyter_orch)
