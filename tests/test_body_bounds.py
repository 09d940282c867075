"""Request bodies are parsed within bounds: JSON nested past 64 levels, numbers past 64 bits,
NaN and Infinity literals and lone surrogates are a 400 naming ``body``, never a 500 (a body
nested 900 deep raised RecursionError in every POST route and in signed webhooks)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jupyter_orch.errors import UserError
from jupyter_orch.inputs.json_body import parse_json_body, parse_json_object
from jupyter_orch.inputs.limits import MAX_JSON_DEPTH
from jupyter_orch.inputs.parameters import NON_FINITE
from jupyter_orch.scheduling.webhooks import parse_parameters
from jupyter_orch.server.openapi import document

from .orch_server import ALIAS_BOMB, DEEP, HOOKED, SECRET_ENV, call, deliver, register_project


def nested(depth: int) -> str:
    return '{"parameters": {"x": ' + "[" * depth + "]" * depth + "}}"


#: What a non-finite number gets wherever parameters enter (a file, -p, REST, a webhook)
NON_FINITE_X = f"parameters.x: {NON_FINITE}"
#: (body, what the 400 says after "body: ", or the field for a non-finite number)
REFUSED: list[tuple[str, str]] = [
    (nested(900), f"nested too deep (over {MAX_JSON_DEPTH} levels)"),
    ("[" * 100_000 + "]" * 100_000, "nested too deep"),
    ('{"parameters": {"x": 1e400}}', NON_FINITE_X),
    ('{"parameters": {"x": -1e400}}', NON_FINITE_X),
    ('{"parameters": {"x": 99999999999999999999999}}', "out of range (64-bit signed)"),
    ('{"parameters": {"x": ' + "9" * 5000 + "}}", "out of range (64-bit signed)"),
    ('{"parameters": {"x": NaN}}', NON_FINITE_X),
    ('{"parameters": {"x": -Infinity}}', NON_FINITE_X),
    ('{"parameters": {"x": "\\ud800"}}', "lone surrogate"),
]


@pytest.mark.parametrize(("body", "message"), REFUSED)
def test_bodies_past_a_bound_are_refused_naming_body(body: str, message: str) -> None:
    for parse in (parse_json_body, parse_json_object, parse_parameters):
        with pytest.raises(UserError) as caught:
            parse(body.encode())
        text = str(caught.value)
        assert text == message if message == NON_FINITE_X else text.startswith("body: ")
        assert message in text


def test_bodies_within_the_bounds_parse_as_before() -> None:
    inside = MAX_JSON_DEPTH - 2  # the object and "parameters" are two levels
    assert parse_json_object(nested(inside).encode())["parameters"]["x"] == _list(inside)
    with pytest.raises(UserError, match="nested too deep"):
        parse_json_object(nested(inside + 1).encode())
    edge = {"a": -(2**63), "b": 2**63 - 1, "c": 1e308, "d": "\U0001f680", "e": [None, True]}
    assert parse_json_body(json.dumps(edge).encode()) == edge
    with pytest.raises(UserError, match="give a JSON object"):
        parse_json_object(b"[1]")


def _list(depth: int) -> Any:
    value: Any = []
    for _ in range(depth - 1):
        value = [value]
    return value


# --- through a live server -------------------------------------------------------------------

SAMPLE = {"name": "hello", "run_id": "01ABC", "step": "greet", "backfill_id": "bf-01ABC"}


#: Routes whose handler reads no body (a cancel, Retry now and Fail now are bare POSTs).
NO_BODY = {
    "/orch/runs/{run_id}/cancel",
    "/orch/backfills/{backfill_id}/cancel",
    "/orch/runs/{run_id}/steps/{step}/retry-now",
    "/orch/runs/{run_id}/steps/{step}/fail-now",
}


def post_routes(*, reading_a_body: bool = False) -> list[tuple[str, str]]:
    """(method, path) of every POST/PATCH/PUT route but the webhook (signed: tested below)."""
    routes = []
    for path, item in document("/")["paths"].items():
        if path.startswith("/orch/hooks/") or (reading_a_body and path in NO_BODY):
            continue
        for method in ("post", "patch", "put"):
            if method in item:
                routes.append((method.upper(), path.format(**SAMPLE)))
    return routes


@pytest.mark.slow
async def test_every_route_with_a_body_answers_400_naming_body(
    jp_fetch: Any,
    project: Path,
) -> None:
    await register_project(jp_fetch)
    for method, path in post_routes(reading_a_body=True):
        for body, message in REFUSED:
            response = await jp_fetch(
                *path.strip("/").split("/"), method=method, body=body, raise_error=False
            )
            answer = json.loads(response.body)
            assert response.code == 400, (method, path, body[:80], response.code, answer)
            named = answer["error"] == message or answer["error"].startswith("body: ")
            assert named and message in answer["error"], answer


@pytest.mark.slow
async def test_a_signed_webhook_with_a_body_past_a_bound_is_400(
    jp_fetch: Any,
    project: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(SECRET_ENV, "s3cret")
    (project / "hooked.yaml").write_text(HOOKED)
    code, _ = await call(jp_fetch, "POST", "pipelines", body={"path": "project/hooked.yaml"})
    assert code == 201
    for number, (body, message) in enumerate(REFUSED):
        code, answer = await deliver(jp_fetch, "hooked", body.encode(), delivery=f"d-{number}")
        assert code == 400 and message in answer["error"], (body[:80], code, answer)


@pytest.mark.slow
async def test_validate_answers_yaml_past_a_bound_as_a_problem(
    jp_fetch: Any,
    project: Path,
) -> None:
    for text, message in ((ALIAS_BOMB, "aliases expand"), (DEEP, "nested too deep")):
        begun = time.monotonic()
        code, answer = await call(
            jp_fetch, "POST", "pipelines", "validate", body={"yaml": text, "path": "project/p.yaml"}
        )
        assert time.monotonic() - begun < 30  # a bound: it was 45 s and 1.25 GB
        assert code == 200 and answer["valid"] is False, answer
        assert message in answer["problems"][0]["message"], answer


# --- property: deep and huge bodies to every route never give a 500 -------------------------

_NUMBERS = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.integers(1, 5000).map(lambda n: "9" * n),
    st.integers(-500, 500).map(lambda e: f"1e{e}"),
    st.integers(-500, 500).map(lambda e: f"-2.5E{e}"),
    st.sampled_from(["NaN", "Infinity", "-Infinity", "1e400", "-0", "0.0"]),
)
_LEAF = st.one_of(_NUMBERS, st.just('"\\ud800"'), st.just('"x"'), st.just("null"))


def _wrap(depth: int, leaf: str, kinds: list[bool]) -> str:
    opened = "".join('{"a": ' if kinds[i % len(kinds)] else "[" for i in range(depth))
    closed = "".join("}" if kinds[i % len(kinds)] else "]" for i in reversed(range(depth)))
    return opened + leaf + closed


#: Around the bound, and deep enough to exhaust the stack of any code that recurses.
_DEPTHS = st.one_of(st.integers(0, MAX_JSON_DEPTH + 4), st.integers(500, 3000))
_VALUES = st.builds(_wrap, _DEPTHS, _LEAF, st.lists(st.booleans(), min_size=1))
BODIES = st.one_of(
    _VALUES.map(lambda v: '{"parameters": {"x": ' + v + "}}"),
    _VALUES.map(
        lambda v: (
            '{"path": "project/greet.ipynb", "schedule": "0 9 * * *", "parameters": {"x": '
            + v
            + "}}"
        )
    ),
    _VALUES.map(lambda v: '{"yaml": "name: p", "path": ' + v + "}"),
    _VALUES,
)


def _post(base_url: str, token: str, method: str, path: str, body: str) -> int:
    request = urllib.request.Request(
        base_url + path,
        data=body.encode("utf-8", "surrogatepass"),
        method=method,
        headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def _fuzz(base_url: str, token: str) -> list[str]:
    failures: list[str] = []

    @settings(
        max_examples=100,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(route=st.sampled_from(post_routes()), body=BODIES)
    def check(route: tuple[str, str], body: str) -> None:
        status = _post(base_url, token, *route, body)
        if status >= 500:
            failures.append(f"{route} {body[:120]!r} -> {status}")
        assert status < 500

    with contextlib.suppress(AssertionError):  # the failures are listed, with their bodies
        check()
    return failures


@pytest.mark.slow
@pytest.mark.usefixtures("project")
async def test_deep_and_huge_bodies_to_every_route_never_give_a_500(
    jp_fetch: Any, jp_serverapp: Any, jp_http_port: int, jp_base_url: str
) -> None:
    await register_project(jp_fetch)
    base_url = f"http://127.0.0.1:{jp_http_port}{jp_base_url.rstrip('/')}"
    token = jp_serverapp.identity_provider.token
    # In a thread: the server answers on this thread's event loop meanwhile.
    failures = await asyncio.to_thread(_fuzz, base_url, token)
    assert not failures, "\n".join(failures)
