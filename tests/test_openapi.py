"""The OpenAPI document is kept true: valid OpenAPI 3.1, the same routes and methods as the
running server (path parameter patterns included), the server's auth as documented, and a
schemathesis run against a live server finds no 500 and no answer the document does not allow."""

from __future__ import annotations

import asyncio
import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import tornado.web
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from tornado.routing import PathMatches

from jupyter_orch.server.openapi import document

from .orch_server import PIPELINE, call, poll_run

METHODS = ("get", "post", "put", "patch", "delete")
#: One groups level deep is enough for our route regexes.
GROUP = re.compile(r"\(\?P<(\w+)>((?:[^()\\]|\\.|\([^()]*\))*)\)")
#: Values for path parameters when a request only needs to reach its handler.
SAMPLE = {
    "name": "hello",
    "run_id": "01ABC",
    "number": "1",
    "step": "greet",
    "a": "1",
    "b": "1",
    "other": "01ABD",
    "notebook": "greet.ipynb",
    "backfill_id": "bf-01ABC",
}


def operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in doc["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method.upper(), item[method]


def documented_path_parameters(doc: dict[str, Any], path: str) -> dict[str, str]:
    item = doc["paths"][path]
    declared = [*item.get("parameters", [])]
    for method in METHODS:
        declared += item.get(method, {}).get("parameters", [])
    return {p["name"]: p["schema"]["pattern"] for p in declared if p["in"] == "path"}


# --- the document on its own -----------------------------------------------------------------


def test_the_document_is_valid_openapi_3_1() -> None:
    doc = document("/")
    schemathesis.openapi.from_dict(copy.deepcopy(doc)).validate()
    broken = copy.deepcopy(doc)
    del broken["paths"]["/orch/runs/{run_id}"]["parameters"][0]["required"]
    with pytest.raises(Exception, match="required"):  # validate() does check
        schemathesis.openapi.from_dict(broken).validate()

    refs = set(re.findall(r'"\$ref": "#/components/schemas/(\w+)"', json.dumps(doc)))
    assert refs <= set(doc["components"]["schemas"]), refs - set(doc["components"]["schemas"])
    ids = [op["operationId"] for _, _, op in operations(doc)]
    assert len(ids) == len(set(ids))
    for path, method, op in operations(doc):
        templated = set(re.findall(r"{(\w+)}", path))
        assert templated == set(documented_path_parameters(doc, path)), (method, path)
        if path.startswith("/orch/hooks/"):
            assert op["security"] == [], "the webhook is the one route open without a token"
            assert "403" not in op["responses"]
        else:
            assert "security" not in op, "every other route takes the token (top-level)"
            assert "403" in op["responses"], (method, path)


def test_the_servers_url_is_the_base_url() -> None:
    assert document("/")["servers"][0]["url"] == "/"
    assert document("/a%40b/")["servers"][0]["url"] == "/a%40b"


# --- the document against the running server -------------------------------------------------


def registered_routes(web_app: tornado.web.Application) -> list[tuple[str, type[Any]]]:
    """Our routes as the server matches them: (regex after the base URL, handler class)."""
    routes: list[tuple[str, type[Any]]] = []

    def walk(router: Any) -> None:
        for rule in getattr(router, "rules", ()):
            target = rule.target
            if not (isinstance(target, type) and issubclass(target, tornado.web.RequestHandler)):
                walk(target)  # a nested router (one per host pattern)
            elif isinstance(rule.matcher, PathMatches) and "/orch/" in rule.matcher.regex.pattern:
                pattern = rule.matcher.regex.pattern
                routes.append((pattern[pattern.index("/orch/") :].removesuffix("$"), target))

    walk(web_app.default_router)
    return routes


def as_template(pattern: str) -> tuple[str, dict[str, str]]:
    """``/orch/runs/(?P<run_id>[0-9A-Za-z]{1,32})`` -> ``/orch/runs/{run_id}``, its groups."""
    groups = {name: regex for name, regex in GROUP.findall(pattern)}
    path = re.sub(r"\\(.)", r"\1", GROUP.sub(lambda m: "{" + m.group(1) + "}", pattern))
    assert not re.search(r"[\\()\[\]*+?|^$]", path), f"cannot read the route {pattern!r}"
    return path, groups


def implemented_methods(handler: type[Any]) -> set[str]:
    base = tornado.web.RequestHandler
    return {m.upper() for m in METHODS if getattr(handler, m) is not getattr(base, m)}


def test_every_route_is_documented_and_every_documented_route_is_served(
    jp_serverapp: Any, jp_base_url: str
) -> None:
    doc = document(jp_base_url)
    served: set[tuple[str, str]] = set()
    for pattern, handler in registered_routes(jp_serverapp.web_app):
        path, groups = as_template(pattern)
        served |= {(method, path) for method in implemented_methods(handler)}
        if path in doc["paths"]:
            patterns = {name: f"^{regex}$" for name, regex in groups.items()}
            assert documented_path_parameters(doc, path) == patterns, path
    documented = {(method, path) for path, method, _ in operations(doc)}
    missing = sorted(documented - served)
    undocumented = sorted(served - documented)
    assert not missing and not undocumented, (
        f"documented but not served: {missing}; served but not documented: {undocumented}"
    )


async def test_the_document_is_served_with_the_base_url(jp_fetch: Any, jp_base_url: str) -> None:
    code, doc = await call(jp_fetch, "GET", "openapi.json")
    assert code == 200 and doc == document(jp_base_url)
    code, answer = await call(jp_fetch, "GET", "openapi.json", headers={"Authorization": ""})
    assert code == 403 and set(answer) == {"error", "details"}


async def test_documented_security_is_what_the_server_does(jp_fetch: Any, jp_base_url: str) -> None:
    """Without a token every documented operation answers 403, except the webhook."""
    for path, method, op in operations(document(jp_base_url)):
        parts = path.format(**SAMPLE).strip("/").split("/")[1:]
        code, answer = await call(jp_fetch, method, *parts, headers={"Authorization": ""})
        if op.get("security") == []:
            assert code != 403 and str(code) in op["responses"], (method, path, code)
        else:
            assert code == 403 and set(answer) == {"error", "details"}, (method, path, code)


# --- schemathesis against a live server ------------------------------------------------------

RESPONSE_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
#: Invalid input may miss every route (a path parameter off its pattern); Jupyter Server's own
#: 404 page answers then, so only the status is checked.
NEGATIVE_CHECKS = [not_a_server_error, status_code_conformance]
HYPOTHESIS = settings(
    max_examples=12,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
NOTEBOOK = "project/greet.ipynb"
#: Positive cases that also reach stored things (besides the path parameters of ``known``).
REACH: dict[str, dict[str, Any]] = {
    "POST /orch/pipelines": {"body": {"path": "project/pipeline.yaml"}},
    "GET /orch/notebooks/parameters": {"query": {"path": NOTEBOOK}},
    "POST /orch/notebooks/schedule": {"body": {"path": NOTEBOOK, "schedule": "0 9 * * 1-5"}},
    "GET /orch/schedules/preview": {"query": {"cron": "0 9 * * 1-5"}},
    "POST /orch/pipelines/{name}/rollback": {"body": {"version": 1}},
    # "hello" has no schedule: backfill "daily", over the range its backfill below covered
    "POST /orch/pipelines/{name}/backfills": {
        "path_parameters": {"name": "daily"},
        "body": {"from": "2024-01-01", "to": "2024-01-02", "dry_run": True},
    },
}
#: Unreachable with generated data: a webhook needs a signature; a delete waits for the runs
#: the fuzzing queued; Retry now and Fail now need a step waiting for a retry.
NO_SUCCESS_NEEDED = {
    "POST /orch/hooks/{name}",
    "DELETE /orch/pipelines/{name}",
    "POST /orch/runs/{run_id}/steps/{step}/retry-now",
    "POST /orch/runs/{run_id}/steps/{step}/fail-now",
}


def artifact_reach(known: dict[str, str]) -> dict[str, dict[str, Any]]:
    """The files the test writes into its run's artifacts folder (``known["artifacts"]``)."""
    folder = known.get("artifacts", "")
    return {
        "GET /orch/runs/{run_id}/artifacts/preview": {"query": {"path": f"{folder}/table.csv"}},
        "GET /orch/runs/{run_id}/artifacts/image": {"query": {"path": f"{folder}/chart.png"}},
    }


def plans(op: Any, positive: bool, known: dict[str, str]) -> list[dict[str, Any]]:
    """Keyword arguments of ``as_strategy``: everything generated, then with stored things."""
    names = {p.name for p in op.path_parameters}
    reach: dict[str, Any] = {"path_parameters": {k: known[k] for k in names}} if names else {}
    if positive:
        reach |= REACH.get(op.label, {}) | artifact_reach(known).get(op.label, {})
    return [{}, reach] if reach else [{}]


def explore(
    strategy: Any, checks: list[Any], base_url: str, headers: dict[str, str], seen: set[int]
) -> None:
    """Send the strategy's cases; raise on the first answer a check refuses."""

    @HYPOTHESIS
    @given(strategy)
    def check(case: schemathesis.Case) -> None:
        response = case.call(base_url=base_url, headers=headers, timeout=20)
        seen.add(response.status_code)
        case.validate_response(response, checks=checks, headers=headers)

    check()


def fuzz(doc: dict[str, Any], base_url: str, token: str, known: dict[str, str]) -> list[str]:
    """Every operation with positive and negative data; changes, then deletes, last. The failures, and every
    operation no positive case got a 2xx from."""
    schema = schemathesis.openapi.from_dict(doc, config=schemathesis.Config())
    ops = [result.ok() for result in schema.get_all_operations()]
    # changes last: a PATCH may archive the pipeline (then triggers answer 409), a DELETE forgets it
    ops.sort(key=lambda op: {"PATCH": 1, "DELETE": 2}.get(op.method.upper(), 0))
    headers = {"Authorization": f"token {token}"}
    failures = []
    for op in ops:
        succeeded: set[int] = set()
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):
            checks = RESPONSE_CHECKS if mode.is_positive else NEGATIVE_CHECKS
            for plan in plans(op, mode.is_positive, known):
                seen: set[int] = set()
                try:
                    explore(
                        op.as_strategy(generation_mode=mode, **plan),
                        checks,
                        base_url,
                        headers,
                        seen,
                    )
                except (Exception, schemathesis.errors.FailureGroup) as exc:
                    failures.append(f"{op.label} ({mode.value}, {plan}):\n{exc}")
                if mode.is_positive:
                    succeeded |= {code for code in seen if 200 <= code < 300}
        if not succeeded and op.label not in NO_SUCCESS_NEEDED:
            failures.append(f"{op.label}: no positive case was answered with a 2xx")
    return failures


@pytest.mark.slow
@pytest.mark.usefixtures("project")
async def test_schemathesis_finds_no_500_and_nothing_undocumented(
    jp_fetch: Any, jp_serverapp: Any, jp_http_port: int, jp_root_dir: Path
) -> None:
    code, _ = await call(jp_fetch, "POST", "pipelines", body={"path": "project/pipeline.yaml"})
    assert code == 201
    code, run = await call(jp_fetch, "POST", "pipelines", "hello", "runs", body={})
    assert (await poll_run(jp_fetch, run["id"]))["status"] == "succeeded"
    daily = PIPELINE.replace("name: hello", "name: daily\nschedule: {cron: '0 2 * * *'}")
    (jp_root_dir / "project" / "daily.yaml").write_text(daily)
    code, _ = await call(jp_fetch, "POST", "pipelines", body={"path": "project/daily.yaml"})
    assert code == 201
    body = {"from": "2024-01-01", "to": "2024-01-02"}
    code, backfill = await call(jp_fetch, "POST", "pipelines", "daily", "backfills", body=body)
    assert code == 201, backfill
    code, doc = await call(jp_fetch, "GET", "openapi.json")
    base_url = f"http://127.0.0.1:{jp_http_port}{doc['servers'][0]['url']}"
    known = {
        "name": "hello",
        "run_id": run["id"],
        "number": "1",
        "step": "greet",
        "a": "1",
        "b": "1",
        "other": run["id"],
        "backfill_id": backfill["id"],
    }
    known["artifacts"] = f"{run['run_dir']}/artifacts"
    code, detail = await call(jp_fetch, "GET", "runs", run["id"])
    known["notebook"] = detail["steps"][0]["attempts"][-1]["output_notebook_name"]
    folder = jp_root_dir / known["artifacts"]
    (folder / "table.csv").write_text("a,b\n1,2\n")
    (folder / "chart.png").write_bytes(bytes.fromhex("89504e470d0a1a0a"))
    token = jp_serverapp.identity_provider.token
    # In a thread: the server answers on this thread's event loop meanwhile.
    failures = await asyncio.to_thread(fuzz, doc, base_url, token, known)
    assert not failures, "\n\n".join(failures)
