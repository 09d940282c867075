"""The notebook widgets (``jupyter_orch.widgets``) against a real `jupyter server` process with
the extension, its runs executed by real kernels: RunMonitor's table and its polling, RunButton's
form and the runs it starts, and what both say when there is no server or no such pipeline.

The widgets run in the test process, outside a kernel (ipywidgets then has no front end to send
to); tests/ui/test_widgets_ui.py shows them in JupyterLab, from a notebook's kernel.
"""

from __future__ import annotations

import html
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import ipywidgets
import pytest

from jupyter_orch.notebook_client import TOKEN_VARIABLE, URL_VARIABLE, OrchClient
from jupyter_orch.widgets import RunButton, RunMonitor
from jupyter_orch.widgets.render import runs_table

from .conftest import write_notebook
from .helpers import no_orch_processes_left, wait_for
from .test_server_process import Server, free_port

pytestmark = pytest.mark.slow

PIPELINE = """\
name: greeter
description: Says hello a few times.
parameters: {who: world, times: 2, ratio: 0.5, loud: false, tags: [a, b]}
profiles: {many: {times: 5, loud: true}}
steps:
  - name: greet
    notebook: greet.ipynb
  - name: shout
    notebook: greet.ipynb
    needs: [greet]
"""
FINISHED = {"succeeded", "failed", "timed_out", "cancelled"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A real server with the pipeline ``greeter`` registered."""
    base = tmp_path_factory.mktemp("widgets")
    root = base / "root"
    root.mkdir()
    write_notebook(
        root / "greeter" / "greet.ipynb",
        "who = 'nobody'\ntimes = 1\nloud = False",
        "text = ('hello ' + who) * times\nprint(text.upper() if loud else text)",
    )
    (root / "greeter" / "pipeline.yaml").write_text(PIPELINE)
    s = Server(root, f"sqlite:///{base / 'orch.sqlite'}")
    s.start()
    try:
        s.request("POST", "/orch/pipelines", {"path": "greeter/pipeline.yaml"})
        yield s
    finally:
        assert s.process is not None
        s.stop(signal.SIGTERM)
    assert wait_for(lambda: no_orch_processes_left(root), 15)


@pytest.fixture
def client(server: Server) -> OrchClient:
    return OrchClient(f"{server.url}/", server.token)


@pytest.fixture
def no_server(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A kernel under no server: no variable naming one, no server info file."""
    monkeypatch.delenv(URL_VARIABLE, raising=False)
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))


def finished_run(server: Server, run_id: str, seconds: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while True:
        run: dict[str, Any] = server.request("GET", f"/orch/runs/{run_id}")
        if run["status"] in FINISHED:
            return run
        assert time.monotonic() < deadline, run
        time.sleep(0.2)


def trigger(server: Server, **body: Any) -> str:
    return str(server.request("POST", "/orch/pipelines/greeter/runs", body)["id"])


def rows(markup: str) -> list[tuple[str, str]]:
    """(run id, status) of each row of a runs table, in order."""
    return re.findall(r'<tr class="jp-orch-run" data-run-id="(\w+)" data-status="(\w+)"', markup)


def test_the_monitor_shows_the_servers_runs_with_links_to_their_output_notebooks(
    server: Server, client: OrchClient
) -> None:
    run = finished_run(server, trigger(server))
    assert run["status"] == "succeeded", run["error"]
    monitor = RunMonitor("greeter", client=client, interval=60)
    try:
        assert monitor.runs[0]["id"] == run["id"]
        assert rows(monitor.body.value)[0] == (run["id"], "succeeded")
        assert "Says hello a few times." in monitor.header.value
        row = monitor.body.value.split(f'data-run-id="{run["id"]}"')[1].split("</tr>")[0]
        assert f'<a href="/lab?orch-run={run["id"]}" target="_blank"' in row
        assert f">#{run['number']}</a>" in row
        assert ">api<" in row  # its trigger
        for step in run["steps"]:
            notebook = step["attempts"][-1]["output_notebook"]
            assert (server.root / notebook).is_file()
            href = html.escape("/lab?" + urlencode({"orch-output": notebook}))
            assert f'<a href="{href}" target="_blank"' in row
            assert f'data-step="{step["name"]}" data-status="succeeded"' in row
    finally:
        monitor.close()


def test_the_monitor_follows_a_new_run_to_its_end_and_stops_polling_when_closed(
    server: Server, client: OrchClient
) -> None:
    monitor = RunMonitor("greeter", client=client, limit=3, interval=0.2)
    try:
        assert monitor.polling
        before = rows(monitor.body.value)
        run_id = trigger(server)
        assert wait_for(lambda: rows(monitor.body.value)[:1] == [(run_id, "succeeded")], 60), (
            monitor.body.value
        )
        assert len(rows(monitor.body.value)) == min(3, len(before) + 1)
    finally:
        monitor.close()
    assert not monitor.polling
    shown = monitor.body.value
    newer = trigger(server)
    time.sleep(0.6)
    assert monitor.body.value == shown and newer not in shown
    finished_run(server, newer)


def test_the_monitor_finds_the_server_the_way_a_kernel_does(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(URL_VARIABLE, server.url)
    monkeypatch.setenv(TOKEN_VARIABLE, server.token)
    monitor = RunMonitor("greeter", interval=60)
    try:
        assert monitor.client.url == f"{server.url}/"
        assert 'class="jp-orch-widget jp-orch-runs"' in monitor.body.value
    finally:
        monitor.close()


@pytest.mark.usefixtures("no_server")
def test_without_a_server_both_widgets_say_so_and_nothing_polls() -> None:
    monitor = RunMonitor("greeter", interval=0.1)
    assert not monitor.polling
    assert 'data-kind="error"' in monitor.body.value
    assert "no running Jupyter server was found for this kernel" in monitor.body.value
    assert monitor.runs == []
    button = RunButton("greeter")
    assert "no running Jupyter server was found" in button.body.value
    assert button.form.children == ()
    assert button.start_run() is None


def test_a_server_that_stopped_answering_is_said_and_asked_again(
    server: Server, client: OrchClient
) -> None:
    gone = OrchClient(f"http://127.0.0.1:{free_port()}/", "x")
    monitor = RunMonitor("greeter", client=gone, interval=0.1)
    try:
        assert "does not answer" in monitor.body.value
        assert monitor.polling  # it may come back
        monitor._client = client  # it came back (at another address, for the test)
        assert wait_for(lambda: 'class="jp-orch-widget jp-orch-runs"' in monitor.body.value, 10)
    finally:
        monitor.close()


def test_a_pipeline_the_server_does_not_know_is_said_not_raised(client: OrchClient) -> None:
    monitor = RunMonitor("no-such-pipeline", client=client, interval=60)
    try:
        text = html.unescape(monitor.body.value)
        assert f"the Jupyter server at {client.url} has no pipeline named 'no-such-pipeline'" in (
            text
        )
        assert "Traceback" not in text
    finally:
        monitor.close()
    button = RunButton("no-such-pipeline", client=client)
    assert "has no pipeline named 'no-such-pipeline'" in html.unescape(button.body.value)
    with pytest.raises(ValueError, match="is not a pipeline name"):
        RunMonitor("Daily Sales", client=client)


def test_the_run_buttons_form_has_a_field_per_parameter_by_its_type(client: OrchClient) -> None:
    button = RunButton("greeter", parameters={"who": "team"}, client=client)
    kinds = {name: type(field) for name, field in button.fields.items()}
    assert kinds == {
        "who": ipywidgets.Text,
        "times": ipywidgets.IntText,
        "ratio": ipywidgets.FloatText,
        "loud": ipywidgets.Checkbox,
        "tags": ipywidgets.Textarea,
    }
    values = {name: field.value for name, field in button.fields.items()}
    assert values == {"who": "team", "times": 2, "ratio": 0.5, "loud": False, "tags": '["a", "b"]'}
    assert button.profile.options == (("(defaults)", ""), ("many", "many"))
    assert button.form.children[0] is button.profile
    assert button.form.children[-1] is button.button
    button.profile.value = "many"
    assert (button.fields["times"].value, button.fields["loud"].value) == (5, True)
    assert button.request_body() == {
        "parameters": {"who": "team"},
        "trigger": "manual",
        "profile": "many",
    }
    with pytest.raises(ValueError, match="has no parameter 'whom'"):
        RunButton("greeter", parameters={"whom": "x"}, client=client)
    with pytest.raises(ValueError, match="parameters: times: 'many' does not fit its field"):
        RunButton("greeter", parameters={"times": "many"}, client=client)
    with pytest.raises(ValueError, match="has no profile 'few'"):
        RunButton("greeter", profile="few", client=client)
    preset = RunButton("greeter", parameters={"tags": ["c"]}, profile="many", client=client)
    assert (preset.fields["tags"].value, preset.fields["times"].value) == ('["c"]', 5)


def test_run_starts_a_run_with_the_forms_values_and_follows_it(
    server: Server, client: OrchClient
) -> None:
    button = RunButton("greeter", client=client, interval=0.2)
    button.fields["who"].value = "you"
    button.fields["tags"].value = '["x"]'
    button.profile.value = "many"
    button.button.click()  # what a click in the page does
    run = button.last_run
    assert run is not None and rows(button.body.value) == [(run["id"], run["status"])]
    assert wait_for(lambda: (button.last_run or {}).get("status") == "succeeded", 60)
    assert wait_for(lambda: not button.polling, 5)
    assert rows(button.body.value) == [(run["id"], "succeeded")]
    stored = server.request("GET", f"/orch/runs/{run['id']}")
    assert stored["trigger"] == "manual"
    assert stored["parameters"] == {
        "who": "you",
        "times": 5,
        "ratio": 0.5,
        "loud": True,
        "tags": ["x"],
    }
    parts = [button, button.form, button.button, button.profile, *button.fields.values()]
    button.close()
    assert [part.comm for part in parts] == [None] * len(parts)  # each part gone from the page


def test_run_shows_the_servers_refusal_and_a_bad_json_value_in_the_widget(
    server: Server, client: OrchClient
) -> None:
    count = len(server.request("GET", "/orch/runs?pipeline=greeter&limit=200")["runs"])
    button = RunButton("greeter", client=client)
    button.fields["tags"].value = "[unclosed"
    assert button.start_run() is None
    assert "tags: not JSON" in button.body.value
    button.fields["tags"].value = "[]"
    button.fields["who"].value = "x" * 70_000
    assert button.start_run() is None
    shown = html.unescape(button.body.value)
    assert "the server answered 400: parameters:" in shown and "at most 64 KiB" in shown
    assert not button.button.disabled
    assert len(server.request("GET", "/orch/runs?pipeline=greeter&limit=200")["runs"]) == count


def test_a_running_runs_duration_counts_up_and_text_is_escaped() -> None:
    client = OrchClient("http://example.invalid/user/ann/", "")
    run = {
        "id": "R1",
        "number": 7,
        "status": "running",
        "trigger": "schedule",
        "created_at": "2026-12-06T09:00:00+00:00",
        "started_at": "2026-12-06T09:00:00+00:00",
        "ended_at": None,
        "duration_s": None,
        "error": "<script>alert(1)</script>",
        "run_dir": "runs/R1",
        "steps": [
            {"name": "load", "status": "running", "attempts": []},
            {
                "name": "chart",
                "status": "failed",
                "attempts": [{"output_notebook": "R1/a b.ipynb"}],
            },
            {  # outside the root: the lab's drive serves it
                "name": "mail",
                "status": "failed",
                "attempts": [{"output_notebook": None, "output_notebook_name": "mail.ipynb"}],
            },
        ],
    }
    markup = runs_table(client, [run], now=datetime(2026, 12, 6, 9, 1, 5, tzinfo=timezone.utc))
    assert ">1m05s<" in markup
    assert 'href="/user/ann/lab?orch-run=R1"' in markup  # no host: the browser's own
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in markup and "<script>" not in markup
    assert 'data-step="load" data-status="running">load <span' in markup  # no notebook yet
    assert '<a href="/user/ann/lab?orch-output=R1%2Fa+b.ipynb" target="_blank"' in markup
    assert '<a href="/user/ann/lab?orch-output=OrchRuns%3AR1%2Fmail.ipynb"' in markup


def test_importing_jupyter_orch_in_a_kernel_does_not_import_the_widgets() -> None:
    code = "import sys, jupyter_orch; print(sorted({'ipywidgets', 'requests'} & set(sys.modules)))"
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "[]"
