from __future__ import annotations

import pytest

from jupyter_orch.errors import TemplateError
from jupyter_orch.expressions import (
    build_context,
    evaluate_condition,
    parse_references,
    render_value,
)


@pytest.fixture
def ctx() -> dict:
    return build_context(
        {"days": 7, "text": "123", "tags": ["a", "b"]},
        {
            "load": (
                "succeeded",
                {"records_count": 98, "items": 5, "path": "/d/x.csv", "meta": {"k": [1, 2]}},
            )
        },
        {"id": "R1", "dir": "/runs/p/R1/artifacts", "started_at": "2026-01-01T00:00:00+00:00"},
    )


def test_single_expression_keeps_its_type(ctx: dict) -> None:
    assert render_value("{{ params.days }}", ctx) == 7
    assert render_value("{{ params.text }}", ctx) == "123"  # a string stays a string
    assert render_value("{{ params.tags }}", ctx) == ["a", "b"]
    assert render_value(" {{ steps.load.outputs.meta }} ", ctx) == {"k": [1, 2]}
    assert render_value("{{ params.days > 3 }}", ctx) is True


def test_mixed_text_renders_strings_as_is_and_others_as_json(ctx: dict) -> None:
    assert render_value("n={{ params.days }} t={{ params.text }}", ctx) == "n=7 t=123"
    assert render_value("{{ params.tags }}!", ctx) == '["a", "b"]!'
    assert render_value("{{ run.dir }}/out.csv", ctx) == "/runs/p/R1/artifacts/out.csv"


def test_render_walks_lists_and_dicts_and_leaves_plain_values(ctx: dict) -> None:
    value = {
        "a": ["{{ params.days }}", 1.5, None],
        "b": {"c": "{{ steps.load.status }}"},
        "d": "plain",
    }
    assert render_value(value, ctx) == {"a": [7, 1.5, None], "b": {"c": "succeeded"}, "d": "plain"}


def test_names_resolve_to_user_values_not_python_attributes(ctx: dict) -> None:
    assert render_value("{{ steps.load.outputs.items }}", ctx) == 5


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{ steps.load.outputs.nope }}", "steps.load.outputs has no 'nope'"),
        ("{{ params.missing }}", "params has no 'missing'"),
        ("x {{ params.missing }} y", "params has no 'missing'"),
        ("{{ [params.missing] }}", "params has no 'missing'"),
        ("{{ nothing }}", "'nothing' is undefined"),
        ("{{ steps.other.outputs.x }}", "steps has no 'other'"),
    ],
)
def test_unknown_names_fail_with_the_name(ctx: dict, template: str, message: str) -> None:
    with pytest.raises(TemplateError, match=message.replace("[", r"\[")):
        render_value(template, ctx)


@pytest.mark.parametrize(
    "template",
    [
        "{{ params.text.__class__.__mro__ }}",
        "{{ ''.__class__.__subclasses__() }}",
        "{{ params.tags.append(1) }}",
        "{{ cycler.__init__.__globals__ }}",
    ],
)
def test_sandbox_refuses_python_internals(ctx: dict, template: str) -> None:
    with pytest.raises(TemplateError):
        render_value(template, ctx)


def test_conditions(ctx: dict) -> None:
    assert evaluate_condition("steps.load.outputs.records_count > 0", ctx) is True
    assert evaluate_condition("{{ params.days < 3 }}", ctx) is False
    assert evaluate_condition("steps.load.status == 'succeeded' and params.text == '123'", ctx)
    with pytest.raises(TemplateError, match="has no 'x'"):
        evaluate_condition("steps.load.outputs.x > 0", ctx)


def test_parse_references() -> None:
    refs = parse_references(
        "{{ steps.a.outputs.n }} {{ params['p'] }} {{ run.id }}", expression=False
    )
    keys = {(r.root, r.key, r.field) for r in refs if r.key}
    assert ("steps", "a", "outputs") in keys
    assert ("params", "p", None) in keys
    assert ("run", "id", None) in keys
    loop = parse_references("{% for x in params.l %}{{ x }}{% endfor %}", expression=False)
    assert {r.root for r in loop} == {"params"}
    with pytest.raises(TemplateError, match="syntax error"):
        parse_references("steps.a.outputs.n >", expression=True)
