"""Browser tests: a real `jupyter lab` subprocess (the server extension and the built front end)
driven by Python playwright in Debian's Chromium.

Skips when Chromium or the playwright package is missing, unless JUPYTER_ORCH_REQUIRE_BROWSER=1
(set by .ci/run, which installs Chromium) makes that a failure. Never `playwright install`: the
tests use the system's /usr/bin/chromium.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ..test_reliability import wait_for
from ..test_scheduler import no_orch_processes_left
from ..test_server_process import Server

# The notebooks under fixtures/ are inputs of the UI tests, not tests for nbval.
collect_ignore_glob = ["fixtures/*"]

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().with_name("fixtures")
#: Written by the tests on every run (README shows them), so they show the UI as it is.
SCREENSHOTS = REPO / "docs" / "screenshots"
CHROMIUM = os.environ.get("JUPYTER_ORCH_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1366, "height": 800}
#: The browser's zone: schedules made in the UI default to it, e.g. "(Europe/Berlin)".
BROWSER_TIMEZONE = "Europe/Berlin"

#: Lab settings that keep the page quiet: no "fetch Jupyter news?" toast, no update check.
QUIET_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


def unavailable(reason: str) -> None:
    if os.environ.get("JUPYTER_ORCH_REQUIRE_BROWSER") == "1":
        pytest.fail(f"JUPYTER_ORCH_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


class LabServer(Server):
    """tests/test_server_process.py's ``Server`` running ``jupyter lab`` (front end included),
    with a random token, in its own session so that teardown can end the whole group; ``env``
    adds to its environment (e.g. a ``JUPYTER_ORCH_CONN_<NAME>`` connection)."""

    def __init__(
        self,
        base: Path,
        extra_args: tuple[str, ...] = (),
        env: dict[str, str] | None = None,
    ) -> None:
        root = base / "root"
        root.mkdir()
        super().__init__(root, f"sqlite:///{base / 'orch.sqlite'}", env=env)
        self.base = base
        self.extra_args = extra_args
        self.token = secrets.token_hex(16)
        self.log_path = base / "lab.log"

    def start(self, *, wait: bool = True) -> None:
        settings = self.base / "user-settings"
        for name, values in QUIET_SETTINGS.items():
            path = settings / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        env = {
            **os.environ,
            **self.env,
            "JUPYTER_CONFIG_DIR": str(self.base / "config"),  # no user config of this machine
            "JUPYTER_RUNTIME_DIR": str(self.base / "runtime"),
        }
        log = open(self.log_path, "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                *self.command("jupyterlab", max_workers=2),
                "--LabApp.news_url=None",
                "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                f"--LabApp.user_settings_dir={settings}",
                f"--LabApp.workspaces_dir={self.base / 'workspaces'}",
                *self.extra_args,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.root,
            env=env,
            start_new_session=True,
        )
        log.close()
        if wait and not wait_for(lambda: self.process.poll() is not None or self.up(), 90):
            raise AssertionError(f"jupyter lab did not start; see {self.log_path}")
        if self.process.poll() is not None:
            raise AssertionError(
                f"jupyter lab exited ({self.process.returncode}); see {self.log_path}"
            )

    def shutdown(self) -> None:
        """SIGTERM and wait; the process group is killed if the server is stuck."""
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
        with contextlib.suppress(ProcessLookupError):  # anything of the group still alive
            os.killpg(process.pid, signal.SIGKILL)

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@pytest.fixture(autouse=True)
def jp_asyncio_loop() -> Iterator[None]:
    """pytest-jupyter's autouse loop fixture (tests/conftest.py loads the plugin) would take, then
    close, the event loop that playwright's sync API keeps running: not for these tests."""
    yield None


@pytest.fixture(autouse=True)
def jp_server_cleanup() -> Iterator[None]:
    """pytest-jupyter's cleanup of its in-process server, which these tests do not start."""
    yield None


#: A variable the UI tests' server holds a webhook secret in (test_triggers_ui.py signs with it).
HOOK_SECRET_ENV = "UI_TESTS_HOOK_SECRET"
HOOK_SECRET = secrets.token_hex(16)


def warehouse_path(server: LabServer) -> Path:
    """The SQLite file of the connection named ``warehouse`` that the UI tests' server defines
    (outside its root folder, as a real database would be)."""
    return server.base / "warehouse.sqlite"


@contextlib.contextmanager
def serving(server: LabServer, what: str) -> Iterator[LabServer]:
    """``server`` started, then shut down, its kernels and workers checked gone (``what`` names
    it in the failure)."""
    server.start()
    try:
        yield server
    finally:
        server.shutdown()
    assert wait_for(lambda: no_orch_processes_left(server.root), 15), (
        f"kernels or workers of {what} are still running"
    )


@pytest.fixture(scope="package")
def lab_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """One `jupyter lab` for tests/ui, stopped after its last test; each test uses pipelines and
    folders of its own in it. It defines the connection ``warehouse`` (``warehouse_path``) and
    holds ``HOOK_SECRET`` in ``HOOK_SECRET_ENV``."""
    base = tmp_path_factory.mktemp("lab")
    env = {
        "JUPYTER_ORCH_CONN_WAREHOUSE": f"sqlite:///{base / 'warehouse.sqlite'}",
        HOOK_SECRET_ENV: HOOK_SECRET,
    }
    server = LabServer(base, env=env)
    shutil.copytree(REPO / "example_notebooks" / "daily_report", server.root / "daily_report")
    shutil.copytree(FIXTURES, server.root, dirs_exist_ok=True)
    with serving(server, "the UI tests' server"):
        yield server


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the Python package playwright is not installed (pip install -e '.[test]')")
    if not os.access(CHROMIUM, os.X_OK):
        unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as p:
        # A launched (not persistent) browser gets a fresh temporary profile.
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


class Lab:
    """A JupyterLab page in a fresh browser context, in a workspace of its own."""

    def __init__(self, page: Any, server: LabServer) -> None:
        self.page = page
        self.server = server
        self.workspace = f"ui-{secrets.token_hex(4)}"
        self.console: list[str] = []
        page.on("console", lambda msg: self.console.append(f"{msg.type}: {msg.text}"))
        page.on("pageerror", lambda exc: self.console.append(f"pageerror: {exc}"))

    def goto(self, path: str = "") -> None:
        """Loads JupyterLab; with ``path`` (relative to the root) that file opens in it."""
        tree = f"/tree/{path}" if path else ""
        self.page.goto(
            f"{self.server.url}/lab/workspaces/{self.workspace}{tree}?token={self.server.token}"
        )
        self.page.locator("#jupyterlab-splash").wait_for(state="detached", timeout=60_000)
        self.orchestration_tab.wait_for(state="visible", timeout=30_000)

    @property
    def orchestration_tab(self) -> Any:
        # JupyterLab renders a sidebar widget's caption as its tab's title attribute.
        return self.page.locator('.jp-SideBar.jp-mod-left .lm-TabBar-tab[title^="Orchestration"]')

    def screenshot(self, name: str, locator: Any = None) -> Path:
        """docs/screenshots/<name>.png of the page (or of ``locator``), without the transient
        toasts and the blinking caret, so that a rerun changes it only when the UI changed."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.mouse.move(VIEWPORT["width"] - 1, VIEWPORT["height"] - 1)  # no hover effects
        (locator or self.page).screenshot(
            path=str(path),
            animations="disabled",
            caret="hide",
            style=".Toastify { display: none !important; }",
        )
        return path


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@contextlib.contextmanager
def open_lab(browser: Any, server: LabServer, request: pytest.FixtureRequest) -> Iterator[Lab]:
    """JupyterLab of ``server`` in a fresh browser context; on failure, what the page showed."""
    lab_server = server
    context = browser.new_context(viewport=VIEWPORT, timezone_id=BROWSER_TIMEZONE, locale="en-US")
    context.set_default_timeout(20_000)
    page = context.new_page()
    lab = Lab(page, lab_server)
    try:
        lab.goto()
        yield lab
    finally:
        failed = any(
            getattr(getattr(request.node, f"report_{when}", None), "failed", False)
            for when in ("setup", "call")
        )
        if failed or not hasattr(request.node, "report_call"):
            # What the page looked like, its console and the server's log, for the failure.
            shot = lab_server.base / f"failure-{request.node.name}.png"
            try:
                page.screenshot(path=str(shot))
            except Exception:  # best effort
                shot = None
            print(f"\n--- page at failure: {shot}")
            print("--- browser console:\n" + "\n".join(lab.console[-30:]))
            print(f"--- {lab_server.log_path} (tail):\n{lab_server.tail()}")
        context.close()


@pytest.fixture
def lab(browser: Any, lab_server: LabServer, request: pytest.FixtureRequest) -> Iterator[Lab]:
    with open_lab(browser, lab_server, request) as opened:
        yield opened
