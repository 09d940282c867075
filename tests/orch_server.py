"""A real Jupyter Server with jupyter-orch enabled (pytest-jupyter), shared by the test modules
that talk to it: its configuration and fixtures (``started``, ``project``, ``hooked``), the
request helpers (``call``, ``poll_run``, ``deliver``) and the texts they send.

Loaded as a plugin by ``conftest.py``, so a module asks for the fixtures by name; a module that
needs another server configuration overrides ``jp_server_config`` (or ``scheduler_enabled``).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import time
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import HTTPResponse

from .conftest import write_notebook

PIPELINE = """\
name: hello
parameters: {who: world}
steps:
  - name: greet
    notebook: greet.ipynb
  - name: shout
    notebook: greet.ipynb
    needs: [greet]
    parameters: {who: "{{ steps.greet.outputs.greeting }}"}
"""


SECRET_ENV = "ORCH_TEST_HOOK_SECRET"


HOOKED = PIPELINE.replace(
    "name: hello", f"name: hooked\non: {{webhook: {{secret_env: {SECRET_ENV}}}}}"
)


#: The 322-byte document that took 45 s and 1.25 GB in `validate`: 9**9 strings once expanded.
ALIAS_BOMB = """\
name: p
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
steps: [{name: s, notebook: n.ipynb}]
"""


DEEP = (
    "name: p\nsteps: [{name: s, notebook: n.ipynb, parameters: {x: "
    + "[" * 600
    + "]" * 600
    + "}}]\n"
)


ROUTES = [
    ("GET", ("pipelines",)),
    ("POST", ("pipelines",)),
    ("POST", ("pipelines", "validate")),
    ("GET", ("pipelines", "hello")),
    ("PATCH", ("pipelines", "hello")),
    ("DELETE", ("pipelines", "hello")),
    ("GET", ("pipelines", "hello", "versions")),
    ("GET", ("pipelines", "hello", "versions", "1")),
    ("GET", ("pipelines", "hello", "versions", "1", "diff", "2")),
    ("POST", ("pipelines", "hello", "rollback")),
    ("POST", ("pipelines", "hello", "steps", "greet", "inputs")),
    ("GET", ("runs", "01ABC", "compare", "01ABD")),
    ("GET", ("runs", "01ABC", "compare", "01ABD", "steps", "greet", "notebooks")),
    ("POST", ("pipelines", "hello", "runs")),
    ("GET", ("runs",)),
    ("GET", ("runs", "01ABC")),
    ("GET", ("runs", "01ABC", "logs")),
    ("POST", ("runs", "01ABC", "cancel")),
    ("POST", ("runs", "01ABC", "rerun")),
    ("GET", ("health",)),
    ("POST", ("pipelines", "hello", "backfills")),
    ("GET", ("backfills",)),
    ("GET", ("backfills", "bf-01ABC")),
    ("POST", ("backfills", "bf-01ABC", "cancel")),
]


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The contract, written out here rather than imported: sha256=HMAC(secret, ts + "." + body)."""
    return (
        "sha256="
        + hmac.new(secret.encode(), timestamp.encode() + b"." + body, "sha256").hexdigest()
    )


@pytest.fixture
def started(jp_serverapp: Any, jp_asyncio_loop: Any) -> Any:
    """The server as `jupyter server` runs it: extensions started (the scheduler with them);
    pytest-jupyter's clean-up stops them."""
    jp_asyncio_loop.run_until_complete(jp_serverapp.extension_manager.start_all_extensions())
    return jp_serverapp


@pytest.fixture
def project(jp_root_dir: Path, started: Any) -> Path:
    folder = jp_root_dir / "project"
    write_notebook(
        folder / "greet.ipynb",
        "who = 'nobody'",
        "import jupyter_orch\ngreeting = f'hello {who}'\nprint(greeting)\n"
        "jupyter_orch.record('greeting', greeting)",
    )
    (folder / "pipeline.yaml").write_text(PIPELINE)
    return folder


@pytest.fixture
def hooked(
    jp_fetch: Any,
    project: Path,
    monkeypatch: pytest.MonkeyPatch,
    jp_asyncio_loop: Any,
) -> str:
    """The pipeline ``hooked`` registered, its webhook secret ``s3cret`` in the environment."""
    monkeypatch.setenv(SECRET_ENV, "s3cret")
    (project / "hooked.yaml").write_text(HOOKED)
    code, answer = jp_asyncio_loop.run_until_complete(
        call(jp_fetch, "POST", "pipelines", body={"path": "project/hooked.yaml"})
    )
    assert code == 201, answer
    assert answer["on"] == {"webhook": {"secret_env": SECRET_ENV}}
    return "hooked"


async def call(jp_fetch: Any, method: str, *path: str, body: Any = None, **kw: Any) -> Any:
    response: HTTPResponse = await jp_fetch(
        "orch",
        *path,
        method=method,
        body=json.dumps(body)
        if body is not None
        else (None if method in ("GET", "DELETE") else "{}"),
        raise_error=False,
        **kw,
    )
    data = json.loads(response.body) if response.body else None
    return response.code, data


async def register_project(jp_fetch: Any) -> None:
    """The ``project`` fixture's pipeline.yaml, registered as a client does: 201."""
    code, _ = await call(jp_fetch, "POST", "pipelines", body={"path": "project/pipeline.yaml"})
    assert code == 201


async def poll_run(jp_fetch: Any, run_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        code, run = await call(jp_fetch, "GET", "runs", run_id)
        assert code == 200
        if run["status"] in {"succeeded", "failed", "cancelled", "timed_out"}:
            return dict(run)
        assert asyncio.get_running_loop().time() < deadline, run
        await asyncio.sleep(0.2)


async def deliver(
    jp_fetch: Any,
    name: str,
    body: bytes,
    *,
    secret: str = "s3cret",
    delivery: str = "d-1",
    timestamp: int | None = None,
    drop: str | None = None,
    token: bool = False,
) -> tuple[int, Any]:
    """POST a delivery signed with ``secret``; no Jupyter token unless ``token``; ``drop``
    leaves one header out."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    headers = {
        "Content-Type": "application/json",
        "X-Orch-Timestamp": ts,
        "X-Orch-Delivery": delivery,
        "X-Orch-Signature": signature(secret, ts, body),
    }
    if drop:
        del headers[drop]
    if not token:
        headers["Authorization"] = ""
    response = await jp_fetch(
        "orch", "hooks", name, method="POST", body=body, headers=headers, raise_error=False
    )
    return response.code, json.loads(response.body) if response.body else None
