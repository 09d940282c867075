"""Event triggers in the pipeline builder (a real JupyterLab in Chromium): a pipeline made in the
builder runs when another one succeeds and on a signed webhook request. The builder shows the
server's own /orch/hooks/<name> URL and a command to send such a request; this test runs that
command as shown, with the secret the server of tests/ui/conftest.py holds in
``HOOK_SECRET_ENV``, and a run starts.
"""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any

import pytest

from jupyter_orch.inputs.yaml_load import load_yaml

from .conftest import HOOK_SECRET, HOOK_SECRET_ENV, Lab, LabServer
from .lab_helpers import expect, main_area, open_panel, pipeline_row, wait_run

pytestmark = [pytest.mark.slow, pytest.mark.ui]

UPSTREAM = "trg-upstream"
NAME, FILE = "trg-hooked", "trg-hooked.pipeline.yaml"


@pytest.fixture
def upstream(lab_server: LabServer) -> str:
    """A registered pipeline for the builder to offer as one to watch."""
    path = lab_server.root / f"{UPSTREAM}.pipeline.yaml"
    path.write_text(f"name: {UPSTREAM}\nsteps:\n  - name: greet\n    notebook: hello.ipynb\n")
    lab_server.request("POST", "/orch/pipelines", {"path": path.name})
    return UPSTREAM


def test_a_pipeline_built_with_triggers_runs_on_a_signed_webhook(lab: Lab, upstream: str) -> None:
    open_panel(lab).get_by_role("button", name="New pipeline", exact=True).click()
    builder = main_area(lab)
    builder.get_by_label("Name", exact=True).fill(NAME)
    builder.get_by_label("File", exact=True).fill(FILE)
    builder.get_by_role("button", name="Add step", exact=True).click()
    step = builder.get_by_role("group", name="Step 1", exact=True)
    step.get_by_label("Notebook", exact=True).fill("hello.ipynb")
    step.get_by_label("Step name", exact=True).fill("greet")

    # When the other pipeline succeeds: picked from those registered
    triggers = builder.get_by_role("group", name="Triggers", exact=True)
    expect(builder.get_by_role("heading", name="Schedule and triggers")).to_be_visible()
    new_kind = triggers.get_by_label("Kind of the new trigger", exact=True)
    new_kind.select_option(label="When another pipeline succeeds")
    triggers.get_by_role("button", name="Add trigger", exact=True).click()
    first = triggers.get_by_role("group", name="Trigger 1", exact=True)
    pipeline = first.get_by_label("Pipeline", exact=True)
    expect(pipeline.locator("option", has_text=upstream)).to_have_count(1)
    expect(pipeline.locator("option", has_text=NAME)).to_have_count(0)  # not itself
    pipeline.select_option(upstream)
    expect(first.locator(".jp-OrchTriggers-title")).to_have_text(
        f"When pipeline {upstream} succeeds"
    )

    # The webhook: its variable, the server's URL and a signed request to copy
    new_kind.select_option(label="Webhook (a signed request starts a run)")
    triggers.get_by_role("button", name="Add trigger", exact=True).click()
    hook = triggers.get_by_role("group", name="Trigger 2", exact=True)
    expect(new_kind.locator("option", has_text="Webhook")).to_be_disabled()  # one per pipeline
    secret = hook.get_by_label("Secret variable", exact=True)
    secret.fill("not a name")
    expect(hook).to_contain_text("not the secret")
    secret.fill(HOOK_SECRET_ENV)
    url = f"{lab.server.url}/orch/hooks/{NAME}"
    expect(hook.get_by_label("Webhook URL", exact=True)).to_have_value(url)
    example = hook.get_by_label("Signed request", exact=True)
    expect(example).to_contain_text(f'-hmac "${HOOK_SECRET_ENV}"')
    expect(example).to_contain_text(url)
    shown = example.inner_text()

    lab.page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    hook.get_by_role("button", name="Copy", exact=True).click()
    copied = lab.page.evaluate("navigator.clipboard.readText()")
    assert copied == shown

    expect(builder.get_by_text("Checking…")).to_have_count(0)
    expect(builder.locator(".jp-OrchBuilder-validity")).to_have_text("Valid")
    builder.get_by_role("button", name="Save", exact=True).click()
    expect(pipeline_row(lab, NAME)).to_be_visible()

    saved = load_yaml((lab.server.root / FILE).read_text(), typ="safe")
    assert saved["on"] == {
        "pipeline_succeeded": upstream,
        "webhook": {"secret_env": HOOK_SECRET_ENV},
    }
    registered: dict[str, Any] = lab.server.request("GET", f"/orch/pipelines/{NAME}")
    assert registered["on"]["pipeline_succeeded"] == [upstream]

    # The example, run as shown where the secret is set, starts a run
    sent = subprocess.run(
        ["bash", "-c", shown],
        env={**os.environ, HOOK_SECRET_ENV: HOOK_SECRET},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert sent.returncode == 0, sent.stdout + sent.stderr
    run = json.loads(sent.stdout)
    assert (run["pipeline"], run["trigger"]) == (NAME, "webhook")
    assert list(run["event"]) == ["webhook"]
    finished = wait_run(lab.server, run["id"], 60)
    assert finished["status"] == "succeeded", finished
    [listed] = lab.server.request("GET", f"/orch/runs?pipeline={NAME}")["runs"]
    assert listed["id"] == run["id"]

    # Signed with another secret, the same command is refused
    wrong = subprocess.run(
        ["bash", "-c", shown],
        env={**os.environ, HOOK_SECRET_ENV: "not-the-secret"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert wrong.returncode != 0
    assert "invalid signature" in wrong.stdout


WATCH = "trg-watch"
WATCH_FILE = """\
name: trg-watch
on:
  pipeline_failed: trg-upstream
  file: "incoming/*.csv"   # dropped here by the export job
  sql:
    - connection: warehouse
      query: select count(*) from users
      every: 1m
steps:
  - name: greet
    notebook: hello.ipynb
"""


def test_the_builder_edits_the_triggers_a_file_has(lab: Lab, upstream: str) -> None:
    path = lab.server.root / f"{WATCH}.pipeline.yaml"
    path.write_text(WATCH_FILE)
    lab.server.request("POST", "/orch/pipelines", {"path": path.name})
    found = open_panel(lab)
    found.get_by_role("button", name="Refresh", exact=True).click()
    pipeline_row(lab, WATCH).get_by_role("button", name=f"Edit {WATCH}", exact=True).click()
    triggers = main_area(lab).get_by_role("group", name="Triggers", exact=True)

    failed, files, query = (
        triggers.get_by_role("group", name=f"Trigger {n}", exact=True) for n in (1, 2, 3)
    )
    expect(failed.get_by_label("Pipeline", exact=True)).to_have_value(upstream)
    expect(failed).to_contain_text(f"When pipeline {upstream} fails")
    expect(files.get_by_label("File pattern", exact=True)).to_have_value("incoming/*.csv")
    connection = query.get_by_label("Connection", exact=True)
    expect(connection).to_have_value("warehouse")
    expect(query.get_by_label("Query", exact=True)).to_have_value("select count(*) from users")
    expect(query.get_by_label("Every", exact=True)).to_have_value("1m")

    # The server's problem with on.sql[0].connection shows under that trigger's connection
    connection.select_option(label="Other: ${VARIABLE} or URL…")
    query.get_by_label("Connection URL or variable", exact=True).fill("not a url")
    expect(query).to_contain_text("neither a connection name")
    connection.select_option("warehouse")
    query.get_by_label("Every", exact=True).fill("5m")
    failed.get_by_role("button", name="Remove trigger 1", exact=True).click()
    expect(triggers.get_by_role("group", name="Trigger 3", exact=True)).to_have_count(0)

    builder = main_area(lab)
    expect(builder.get_by_text("Checking…")).to_have_count(0)
    expect(builder.locator(".jp-OrchBuilder-validity")).to_have_text("Valid")
    builder.get_by_role("button", name="Save", exact=True).click()
    expect(builder.locator(".jp-OrchBuilder-dirty")).to_have_count(0)
    assert path.read_text() == WATCH_FILE.replace("  pipeline_failed: trg-upstream\n", "").replace(
        "every: 1m", "every: 5m"
    )
