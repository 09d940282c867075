"""Requests that create one run: webhooks (RELIABILITY case 21) and the Idempotency-Key (case 8),
in the store on SQLite and PostgreSQL under threads, in the signature code with an injected
clock, and through a real Jupyter Server (pytest-jupyter) with the scheduler and real kernels."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from jupyter_orch.errors import ConflictError, NotFoundError, SignatureError, UserError
from jupyter_orch.pipelines.loader import load_pipeline, load_pipeline_text
from jupyter_orch.records import RunStatus, Trigger
from jupyter_orch.scheduling.webhooks import MAX_BODY, WebhookReceiver, parse_secrets, verify
from jupyter_orch.service import Orchestrator
from jupyter_orch.spec import OnSpec
from jupyter_orch.store.repository import Store
from jupyter_orch.store.types import RequestKey, RequestKind

from .conftest import write_notebook, write_pipeline
from .orch_server import HOOKED, PIPELINE, SECRET_ENV, call, deliver, poll_run, signature

NOW = 1_800_000_000


def in_threads(count: int, fn: Callable[[], Any]) -> list[Any]:
    """``fn`` in ``count`` threads released at once; its results or exceptions."""
    barrier = threading.Barrier(count)

    def go() -> Any:
        barrier.wait()
        try:
            return fn()
        except Exception as exc:
            return exc

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(lambda _: go(), range(count)))


# --- the pipeline file ------------------------------------------------------------------------


def test_webhook_trigger_in_the_pipeline_file(tmp_path: Path) -> None:
    write_notebook(tmp_path / "greet.ipynb", "who = 'nobody'", "print(who)")
    on = load_pipeline_text(HOOKED, tmp_path / "p.yaml").spec.on
    assert on.webhook is not None and on.webhook.secret_env == SECRET_ENV
    assert not on.empty and not on.polled  # shown as a trigger; the leader has nothing to poll
    assert OnSpec().empty and OnSpec(file=("a/*.csv",)).polled


@pytest.mark.parametrize(
    ("webhook", "message"),
    [
        ("{secret_env: 'hunter2!xyz'}", "name of an environment variable"),
        ("{secret_env: 9LIVES}", "name of an environment variable"),
        ("{secret: abc}", "unknown key 'secret'"),
        ("{}", "missing required key 'secret_env'"),
    ],
)
def test_a_bad_webhook_trigger_is_refused_without_echoing_it(
    tmp_path: Path, webhook: str, message: str
) -> None:
    write_notebook(tmp_path / "greet.ipynb", "who = 'nobody'", "print(who)")
    text = PIPELINE.replace("name: hello", f"name: hooked\non: {{webhook: {webhook}}}")
    with pytest.raises(UserError) as caught:
        load_pipeline_text(text, tmp_path / "p.yaml")
    assert message in str(caught.value)
    assert "hunter2" not in str(caught.value)  # a secret pasted in by mistake is not repeated


# --- signatures, with an injected clock -------------------------------------------------------


def test_signatures_verify_only_with_the_secret_the_body_and_a_fresh_timestamp() -> None:
    body, ts = b'{"parameters": {"who": "hook"}}', str(NOW)
    good = signature("s3cret", ts, body)
    verify(["s3cret"], ts, good, body, NOW)
    verify(["s3cret"], ts, good.upper().replace("SHA256=", "sha256="), body, NOW)  # hex case
    verify(["s3cret"], ts, good, body, NOW + 300)  # the window's edges are inside it
    verify(["s3cret"], ts, good, body, NOW - 300)
    for secrets, timestamp, sig, data, now in [
        (["other"], ts, good, body, NOW),  # wrong secret
        (["s3cret"], ts, good, body + b" ", NOW),  # tampered body
        (["s3cret"], str(NOW + 1), good, body, NOW),  # tampered timestamp
        (["s3cret"], ts, good, body, NOW + 301),  # too old
        (["s3cret"], ts, good, body, NOW - 301),  # from the future
        (["s3cret"], ts, good[len("sha256=") :], body, NOW),  # no scheme
        (["s3cret"], ts, None, body, NOW),
        (["s3cret"], None, good, body, NOW),
        (["s3cret"], "1.8e9", good, body, NOW),
        ([], ts, good, body, NOW),  # no secret configured
        (["s3cret"], ts, "sha256=é", body, NOW),  # not ASCII: refused, not a crash
    ]:
        with pytest.raises(SignatureError) as caught:
            verify(secrets, timestamp, sig, data, now)
        assert "s3cret" not in str(caught.value)


def test_rotated_secrets_all_verify() -> None:
    assert parse_secrets(" new , old,,") == ["new", "old"] and parse_secrets(None) == []
    body, ts = b"{}", str(NOW)
    for secret in ("new", "old"):
        verify(parse_secrets("new,old"), ts, signature(secret, ts, body), body, NOW)
    with pytest.raises(SignatureError):
        verify(parse_secrets("new"), ts, signature("old", ts, body), body, NOW)


@pytest.fixture
def orch(tmp_path: Path, any_store: Store) -> Orchestrator:
    return Orchestrator(any_store, tmp_path / "runs")


def applied(orch: Orchestrator, folder: Path, text: str, name: str = "pipeline.yaml") -> str:
    write_notebook(folder / "greet.ipynb", "who = 'nobody'", "print(who)")
    loaded = load_pipeline(write_pipeline(folder, text, name))
    orch.apply(loaded)
    return loaded.spec.name


def test_receiver_answers_404_alike_and_refuses_paused_pipelines(
    orch: Orchestrator, tmp_path: Path
) -> None:
    applied(orch, tmp_path, HOOKED)
    applied(orch, tmp_path, PIPELINE, "plain.yaml")
    environ = {SECRET_ENV: "s3cret"}
    receiver = WebhookReceiver(orch, environ=environ, clock=lambda: NOW)
    body, ts = b'{"parameters": {"who": "hook"}}', str(NOW)
    headers = {
        "X-Orch-Timestamp": ts,
        "X-Orch-Delivery": "d-1",
        "X-Orch-Signature": signature("s3cret", ts, body),
    }
    answers = []
    for name, env in [("nobody", environ), ("hello", environ), ("hooked", {})]:
        with pytest.raises(NotFoundError) as caught:
            WebhookReceiver(orch, environ=env, clock=lambda: NOW).receive(name, headers, body)
        answers.append(str(caught.value))
    assert len(set(answers)) == 1  # which of the three it was is not said
    orch.pause("hooked")
    with pytest.raises(ConflictError, match="paused"):
        receiver.receive("hooked", headers, body)
    orch.pause("hooked", False)
    received = receiver.receive("hooked", headers, body)
    assert received.created and received.run.trigger is Trigger.WEBHOOK
    assert received.run.event == {"webhook": "d-1"}
    assert received.run.parameters == {"who": "hook"}
    orch.pause("hooked")  # a replay while paused still gets its run
    assert receiver.receive("hooked", headers, body).run.id == received.run.id
    resent = receiver.receive("hooked", {**headers, "X-Orch-Delivery": "d-2"}, body)
    assert not resent.created and resent.run.id == received.run.id


# --- the store: one run per key under concurrent requests (SQLite and PostgreSQL) -------------


def test_one_idempotency_key_creates_one_run_under_threads(
    orch: Orchestrator, tmp_path: Path
) -> None:
    name = applied(orch, tmp_path, PIPELINE)
    request = {"parameters": {"who": "once"}, "trigger": "api"}
    key = RequestKey.of(RequestKind.IDEMPOTENCY, "key-1", request)
    results = in_threads(
        20, lambda: orch.trigger_once(name, key, parameters={"who": "once"}, trigger=Trigger.API)
    )
    assert [r for r in results if isinstance(r, Exception)] == []
    assert len({r.run.id for r in results}) == 1
    assert sum(r.created for r in results) == 1
    assert len(orch.store.list_runs(pipeline=name)) == 1

    other = RequestKey.of(RequestKind.IDEMPOTENCY, "key-1", {**request, "trigger": "manual"})
    with pytest.raises(ConflictError, match="Idempotency-Key 'key-1'"):
        orch.trigger_once(name, other, parameters={"who": "once"}, trigger=Trigger.MANUAL)
    orch.trigger(name)  # runs without a key never collide
    orch.trigger(name)
    assert len(orch.store.list_runs(pipeline=name)) == 3


def test_one_delivery_id_creates_one_run_under_threads(orch: Orchestrator, tmp_path: Path) -> None:
    name = applied(orch, tmp_path, HOOKED)
    other = applied(orch, tmp_path, HOOKED.replace("name: hooked", "name: other"), "other.yaml")
    key = RequestKey.of(RequestKind.DELIVERY, "delivery-1", {"parameters": {"who": "hook"}})

    def deliver() -> Any:
        return orch.trigger_once(
            name,
            key,
            parameters={"who": "hook"},
            trigger=Trigger.WEBHOOK,
            event={"webhook": "delivery-1"},
        )

    results = in_threads(20, deliver)
    assert [r for r in results if isinstance(r, Exception)] == []
    assert len({r.run.id for r in results}) == 1 and sum(r.created for r in results) == 1
    assert len(orch.store.list_runs(pipeline=name)) == 1
    changed = RequestKey.of(RequestKind.DELIVERY, "delivery-1", {"parameters": {"who": "x"}})
    with pytest.raises(ConflictError, match="delivery 'delivery-1'"):
        orch.trigger_once(name, changed, parameters={"who": "x"}, trigger=Trigger.WEBHOOK)
    # Delivery ids belong to their pipeline.
    assert orch.trigger_once(
        other, key, parameters={"who": "hook"}, trigger=Trigger.WEBHOOK
    ).created

    # A pipeline whose runs have deliveries can still be deleted; its deliveries go with it.
    orch.store.update_run(results[0].run.id, status=RunStatus.SUCCEEDED)
    orch.store.delete_pipeline(name)
    with orch.store.engine.connect() as conn:
        left = conn.execute(sa.text("select count(*) from webhook_deliveries")).scalar()
    assert left == 1


@pytest.mark.parametrize("kind", list(RequestKind))
def test_a_request_that_loses_the_race_on_the_unique_index_gets_the_winners_run(
    orch: Orchestrator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: RequestKind
) -> None:
    """The backstop behind the pipeline lock: the lookup missed the winner, the insert fails."""
    import jupyter_orch.store.requests as requests

    name = applied(orch, tmp_path, HOOKED)
    key = RequestKey.of(kind, "k", {"parameters": {}}, signed_hash="0" * 64)
    first = orch.trigger_once(name, key)
    real_seen = requests._seen
    calls: list[int] = []

    def missed_once(*args: Any) -> Any:
        calls.append(1)
        return None if len(calls) == 1 else real_seen(*args)

    new, _ = orch._run_request(name, {}, Trigger.API, None)
    monkeypatch.setattr(requests, "_seen", missed_once)
    second = orch.store.queue_keyed_run(new, key)
    assert not second.created and second.run.id == first.run.id and len(calls) == 2
    assert len(orch.store.list_runs(pipeline=name)) == 1


def test_request_keys_must_be_short_visible_ascii() -> None:
    for value in ("", " ", "a b", "x" * 201, "ключ", "a\nb"):
        with pytest.raises(UserError, match="Idempotency-Key"):
            RequestKey.of(RequestKind.IDEMPOTENCY, value, {})
    assert RequestKey.of(RequestKind.DELIVERY, "x" * 200, {}).value == "x" * 200


def test_migrating_from_0002_keeps_runs_and_their_steps(store_url: str) -> None:
    from alembic import command
    from alembic.config import Config

    from jupyter_orch.store.engine import MIGRATIONS, make_engine

    engine = make_engine(store_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0002")
        conn.execute(
            sa.text(
                "insert into pipelines (id, name, path, latest_version, created_at, updated_at)"
                " values (1, 'p', '/p.yaml', 1, :t, :t)"
            ),
            {"t": "2026-01-01 00:00:00"},
        )
        conn.execute(
            sa.text(
                "insert into runs (id, pipeline_id, version, status, trigger, parameters,"
                " run_dir, created_at) values ('R1', 1, 1, 'succeeded', 'api', '{}', '/r', :t)"
            ),
            {"t": "2026-01-01 00:00:00"},
        )
        conn.execute(
            sa.text(
                "insert into step_runs (run_id, name, position, needs, status)"
                " values ('R1', 'a', 0, '[]', 'succeeded')"
            )
        )
    engine.dispose()
    store = Store.open(store_url)
    try:
        run = store.get_run("R1")
        assert [s.name for s in run.steps] == ["a"]
    finally:
        store.close()


# --- through the server -------------------------------------------------------------------------


async def run_ids(jp_fetch: Any, name: str) -> list[str]:
    code, page = await call(jp_fetch, "GET", "runs", params={"pipeline": name})
    assert code == 200
    return [r["id"] for r in page["runs"]]


def params(who: str) -> bytes:
    return json.dumps({"parameters": {"who": who}, "sender": {"extra": "ignored"}}).encode()


@pytest.mark.slow
async def test_a_signed_delivery_runs_the_pipeline_with_its_parameters(
    jp_fetch: Any, hooked: str
) -> None:
    now = int(time.time())
    code, run = await deliver(jp_fetch, hooked, params("webhook"), delivery="gh-123", timestamp=now)
    assert code == 202, run
    assert run["trigger"] == "webhook" and run["event"] == {"webhook": "gh-123"}
    assert run["parameters"] == {"who": "webhook"}
    done = await poll_run(jp_fetch, run["id"])
    assert done["status"] == "succeeded", done
    assert done["steps"][1]["attempts"][0]["outputs"] == {"greeting": "hello hello webhook"}
    # A delivery sent again (a sender's retry, signed anew) gets the same run, and no other.
    code, again = await deliver(jp_fetch, hooked, params("webhook"), delivery="gh-123")
    assert code == 200 and again["id"] == run["id"]
    code, answer = await deliver(jp_fetch, hooked, params("other"), delivery="gh-123")
    assert code == 409 and run["id"] in answer["error"]
    # The same signed request under a made-up delivery id (the signature does not cover it).
    code, resent = await deliver(jp_fetch, hooked, params("webhook"), delivery="x", timestamp=now)
    assert code == 200 and resent["id"] == run["id"]
    assert await run_ids(jp_fetch, hooked) == [run["id"]]


@pytest.mark.parametrize("scheduler_enabled", [False])
async def test_unsigned_tampered_and_stale_deliveries_create_no_run(
    jp_fetch: Any, hooked: str
) -> None:
    body = params("x")
    now = int(time.time())
    attempts: list[dict[str, Any]] = [
        {"secret": "wrong"},
        {"drop": "X-Orch-Signature"},
        {"drop": "X-Orch-Timestamp"},
        {"drop": "X-Orch-Delivery"},
        {"timestamp": -301},  # seconds from the clock as the attempt is sent
        {"timestamp": +301},
        {"secret": "wrong", "token": True},  # a Jupyter token does not replace the signature
    ]
    for attempt in attempts:
        if "timestamp" in attempt:  # read now: the attempts before may have taken seconds
            attempt = {"timestamp": int(time.time()) + attempt["timestamp"]}
        code, answer = await deliver(jp_fetch, hooked, body, **attempt)
        assert code == 401, (attempt, answer)
        assert "s3cret" not in json.dumps(answer)
    ts = str(now)
    tampered = await jp_fetch(
        "orch",
        "hooks",
        hooked,
        method="POST",
        body=body.replace(b'"x"', b'"y"'),
        headers={
            "Authorization": "",
            "X-Orch-Timestamp": ts,
            "X-Orch-Delivery": "d-2",
            "X-Orch-Signature": signature("s3cret", ts, body),
        },
        raise_error=False,
    )
    assert tampered.code == 401
    assert await run_ids(jp_fetch, hooked) == []


@pytest.mark.parametrize("scheduler_enabled", [False])
async def test_no_webhook_is_404_alike_and_bad_parameters_are_400(
    jp_fetch: Any, hooked: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = []
    for name in ("nobody", "hello"):  # unknown; registered without a webhook
        if name == "hello":
            await call(jp_fetch, "POST", "pipelines", body={"path": "project/pipeline.yaml"})
        code, answer = await deliver(jp_fetch, name, params("x"))
        answers.append((code, answer))
    monkeypatch.delenv(SECRET_ENV)  # its secret unset
    answers.append(await deliver(jp_fetch, hooked, params("x")))
    assert [code for code, _ in answers] == [404, 404, 404]
    assert len({json.dumps(answer) for _, answer in answers}) == 1

    monkeypatch.setenv(SECRET_ENV, "s3cret")
    code, answer = await deliver(jp_fetch, hooked, b'{"parameters": {"nope": 1}}')
    assert code == 400 and "nope" in answer["error"]
    for body in (b"{not json", b"\xff{}", b"[1]"):
        code, answer = await deliver(jp_fetch, hooked, body)
        assert code == 400 and answer["error"].startswith("body:"), (body, answer)
    assert await run_ids(jp_fetch, hooked) == []


@pytest.mark.parametrize("scheduler_enabled", [False])
async def test_bodies_over_one_megabyte_are_413(jp_fetch: Any, hooked: str) -> None:
    head = params("big")
    exactly = head + b" " * (MAX_BODY - len(head))  # JSON allows the trailing spaces
    code, run = await deliver(jp_fetch, hooked, exactly, delivery="at-the-cap")
    assert code == 202, run
    code, answer = await deliver(jp_fetch, hooked, exactly + b" ", delivery="over-the-cap")
    assert code == 413 and "1 MB" in answer["error"]

    async def chunks(write: Callable[[bytes], Any]) -> None:  # no Content-Length: counted
        for _ in range(17):
            await write(b" " * 65536)

    ts = str(int(time.time()))
    response = await jp_fetch(
        "orch", "hooks", hooked, method="POST", body_producer=chunks, raise_error=False,
        headers={
            "Authorization": "", "X-Orch-Timestamp": ts, "X-Orch-Delivery": "chunked",
            "X-Orch-Signature": signature("s3cret", ts, b" " * 17 * 65536),
        },
    )  # fmt: skip
    assert response.code == 413
    assert await run_ids(jp_fetch, hooked) == [run["id"]]


@pytest.mark.parametrize("scheduler_enabled", [False])
async def test_rotated_secrets_both_work_until_the_old_one_is_removed(
    jp_fetch: Any, hooked: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SECRET_ENV, "n3w,s3cret")
    code, first = await deliver(jp_fetch, hooked, params("a"), secret="s3cret", delivery="1")
    assert code == 202
    code, second = await deliver(jp_fetch, hooked, params("a"), secret="n3w", delivery="2")
    assert code == 202 and second["id"] != first["id"]
    monkeypatch.setenv(SECRET_ENV, "n3w")  # read at each request: no restart
    code, _ = await deliver(jp_fetch, hooked, params("a"), secret="s3cret", delivery="3")
    assert code == 401


@pytest.mark.parametrize("scheduler_enabled", [False])
async def test_only_the_webhook_route_is_open_and_it_wants_a_signature(
    jp_fetch: Any, hooked: str, jp_serverapp: Any
) -> None:
    """Case 19: no handler method but the webhook's skips Jupyter's authentication."""
    from jupyter_orch.server.app import OrchApp

    extension = jp_serverapp.extension_manager.extension_points["jupyter_orch"].app
    assert isinstance(extension, OrchApp)
    open_methods = [
        f"{handler.__name__}.{method}"
        for _, handler, *_ in extension.handlers
        for method in ("get", "post", "put", "patch", "delete")
        if getattr(getattr(handler, method, None), "__allow_unauthenticated", False)
    ]
    assert open_methods == ["WebhookHandler.post"]
    response = await jp_fetch(
        "orch", "hooks", hooked, method="POST", body=b"{}", headers={"Authorization": ""},
        raise_error=False,
    )  # fmt: skip
    assert response.code == 401
    assert "X-Orch-Signature" in response.headers["WWW-Authenticate"]
    response = await jp_fetch("orch", "hooks", hooked, method="GET", raise_error=False)
    assert response.code == 405  # nothing to read there, with or without a token


# --- case 8: Idempotency-Key over REST ----------------------------------------------------------


@pytest.mark.parametrize("scheduler_enabled", [False])
async def test_twenty_concurrent_requests_with_one_idempotency_key_make_one_run(
    jp_fetch: Any,
    project: Path,
) -> None:
    await call(jp_fetch, "POST", "pipelines", body={"path": "project/pipeline.yaml"})
    body = {"parameters": {"who": "once"}}
    headers = {"Idempotency-Key": "0b5b3c1e-9a7f-4f0a-8a55-3f0f7a1c2d9e"}
    answers = await asyncio.gather(
        *(call(jp_fetch, "POST", "pipelines", "hello", "runs", body=body, headers=headers)
          for _ in range(20))
    )  # fmt: skip
    assert {code for code, _ in answers} == {202}, answers
    assert len({run["id"] for _, run in answers}) == 1
    assert len(await run_ids(jp_fetch, "hello")) == 1

    code, answer = await call(
        jp_fetch, "POST", "pipelines", "hello", "runs", body={"parameters": {"who": "twice"}},
        headers=headers,
    )  # fmt: skip
    assert code == 409 and "Idempotency-Key" in answer["error"]
    code, answer = await call(
        jp_fetch, "POST", "pipelines", "hello", "runs", body=body,
        headers={"Idempotency-Key": "x" * 201},
    )  # fmt: skip
    assert code == 400 and answer["details"][0]["field"] == "Idempotency-Key"
    code, _ = await call(jp_fetch, "POST", "pipelines", "hello", "runs", body=body)
    assert code == 202  # without a key, each request is a new run
    assert len(await run_ids(jp_fetch, "hello")) == 2
