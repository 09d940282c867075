"""Template evaluation is bounded: a template cannot exhaust the memory or the time of the
process evaluating it (the run coordinator, inside the Jupyter server). Each bomb is refused
with a TemplateError naming the template and the limit it passed."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from jupyter_orch.errors import SpecError, TemplateError
from jupyter_orch.expressions import build_context, evaluate_condition, render_value
from jupyter_orch.inputs.limits import MAX_TEMPLATE_SECONDS, MAX_TEMPLATE_VALUE
from jupyter_orch.pipelines.loader import load_pipeline_text
from jupyter_orch.records import RunStatus, StepStatus

from .conftest import run_pipeline, write_notebook, write_pipeline

TOO_LARGE = "value too large (over 1 MiB)"
#: Each would take gigabytes or minutes without the bounds; (template, what the error says).
BOMBS: list[tuple[str, str]] = [
    ("{{ [1]*10**8 }}", TOO_LARGE),
    ("{{ 'x'*10**9 }}", TOO_LARGE),
    # jinja's ** is left-associative: 10**10**8 is (10**10)**8, a small number
    ("{{ 10**(10**8) }}", "integer too large (over 4096 bits)"),
    ("{{ range(10**9)|list }}", "range too long (over 100,000 items)"),
    (
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
        "too many steps (over 100,000)",
    ),
    ("{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}", "output too large"),
    (
        "{% set ns = namespace(s='x') %}{% for i in range(60) %}"
        "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}",
        TOO_LARGE,
    ),
    (  # shared halves: tiny in memory, gigabytes once printed
        "{% set ns = namespace(s=[1]) %}{% for i in range(60) %}"
        "{% set ns.s = [ns.s, ns.s] %}{% endfor %}{{ ns.s }}",
        TOO_LARGE,
    ),
    ("{{ '%999999999d' % 1 }}", TOO_LARGE),
    ("{{ '{:>999999999}'.format(1) }}", TOO_LARGE),
    ("{{ 'x'|center(10**9) }}", TOO_LARGE),
    ("{{ 'x'.ljust(10**9) }}", TOO_LARGE),
    ("{{ ('x'*1000).replace('x', 'y'*10000) }}", TOO_LARGE),
    ("{{ ('x'*100000)|join('y'*100) }}", TOO_LARGE),
    ("{{ (1).to_bytes(10**9, 'big') }}", TOO_LARGE),
    ("{{ range(10)|slice(10**9)|list }}", TOO_LARGE),
    ("{{ ['']*10**8 }}", TOO_LARGE),  # empty items are not free
    ("{{ [[[[1]]]]|tojson(indent=10**9) }}", TOO_LARGE),
    ("{{ ([[[[1]]]]*10000)|tojson(1000) }}", TOO_LARGE),
    ("{{ ('a'*100000)|wordwrap(1, true, 'x'*100) }}", TOO_LARGE),
    ("{{ ([[1]]*100000)|sum(start=[]) }}", TOO_LARGE),
    ("{% macro f() %}{{ f() }}{{ f() }}{% endmacro %}{{ f() }}", "macros are not available"),
    ("{{ " + "(" * 500 + "1" + ")" * 500 + " }}", "nested too deep"),
    (  # few steps, each slow: the clock stops it
        "{% set a = [1]*50000 %}{% set b = [1]*50000 %}"
        "{% for i in range(100000) %}{% if a == b %}{% endif %}{% endfor %}",
        f"took too long (over {MAX_TEMPLATE_SECONDS:g} s)",
    ),
]
#: ``if:`` expressions (no braces) that would exhaust the process.
CONDITION_BOMBS: list[tuple[str, str]] = [
    ("[1]*10**8", TOO_LARGE),
    ("('x'*10**9)|length > 0", TOO_LARGE),
    ("10**(10**8) > 0", "integer too large"),
    ("range(10**9)|list|length > 0", "range too long"),
    ("{{ (range(10**5)|list|string * 100)|length > 0 }}", TOO_LARGE),
]

#: Runs in a child process with its memory capped, so that a bound that no longer holds fails
#: this test (MemoryError, or killed) instead of exhausting the machine running the tests.
CHILD = textwrap.dedent(
    """
    import json, sys, time
    from jupyter_orch.errors import TemplateError
    from jupyter_orch.expressions import build_context, evaluate_condition, render_value

    context = build_context({}, {}, {})
    results = []
    for kind, source in json.load(sys.stdin):
        started = time.monotonic()
        try:
            if kind == "template":
                render_value(source, context)
            else:
                evaluate_condition(source, context)
            outcome = "no error"
        except TemplateError as exc:
            outcome = "TemplateError: " + str(exc)
        except BaseException as exc:
            outcome = type(exc).__name__ + ": " + str(exc)[:200]
        results.append([outcome, time.monotonic() - started])
        print(json.dumps(results[-1]), file=sys.stderr, flush=True)
    print(json.dumps(results))
    """
)
CHILD_MEMORY = 1536 * 1024 * 1024


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY, CHILD_MEMORY))


def evaluate_in_child(cases: list[tuple[str, str]]) -> list[tuple[str, float]]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=_cap_memory,
    )
    assert done.returncode == 0, f"the evaluating process died: {done.stderr[-2000:]}"
    return [(outcome, seconds) for outcome, seconds in json.loads(done.stdout)]


@pytest.mark.slow
def test_templates_that_would_exhaust_the_process_are_refused_with_the_limit() -> None:
    cases = [("template", source) for source, _ in BOMBS]
    cases += [("condition", source) for source, _ in CONDITION_BOMBS]
    expected = [limit for _, limit in BOMBS + CONDITION_BOMBS]
    for (_, source), limit, (outcome, seconds) in zip(
        cases, expected, evaluate_in_child(cases), strict=True
    ):
        assert outcome.startswith("TemplateError: "), (source, outcome)
        shown = source if len(source) <= 200 else source[:200]
        assert repr(shown)[1:-1] in outcome or shown in outcome, (source, outcome)
        assert limit in outcome, (source, outcome)
        # Refused by the bounds, not by running to the end: a bound, not a speed test.
        assert seconds < MAX_TEMPLATE_SECONDS * 5, (source, seconds)


@pytest.fixture
def context() -> dict[str, Any]:
    return build_context(
        {"n": 3, "words": ["a", "b"], "table": {"x": 1, "y": 2}},
        {"extract": ("succeeded", {"count": 127})},
        {"id": "R1"},
    )


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ params.words|join(', ') }}", "a, b"),
        (
            "{% for w in params.words %}{{ loop.index }}/{{ loop.length }}:{{ w }} {% endfor %}",
            "1/2:a 2/2:b ",
        ),
        ("{% for k, v in params.table|dictsort %}{{ k }}={{ v }};{% endfor %}", "x=1;y=2;"),
        ("{{ '%d items' % 2000000 }}", "2000000 items"),
        ("{{ '{}-{:>4}'.format('a', 7) }}", "a-   7"),
        ("{{ range(100)|sum }}", 4950),
        ("{{ [[1], [2]]|sum(start=[]) }}", [1, 2]),
        (
            "{% set ns = namespace(t=0) %}{% for i in range(10) %}{% set ns.t = ns.t + i %}"
            "{% endfor %}{{ ns.t }}",
            "45",
        ),
        ("{% set x %}{{ params.n * 2 }}{% endset %}[{{ x }}]", "[6]"),
        ("{{ 'x' * 10 }}", "xxxxxxxxxx"),
        ("{{ 2 ** 64 }}", 2**64),
        ("{{ steps.extract.outputs.count * 1000 }}", 127000),
        ("{{ dict(a=[1, 2], b=(3,)) }}", {"a": [1, 2], "b": (3,)}),
        ("{{ params.table|tojson(2) }}", '{\n  "x": 1,\n  "y": 2\n}'),
        ("{{ 'a b'|wordwrap(1) }}", "a\nb"),
        ("{{ range(100000)|list|length }}", 100000),
    ],
)
def test_ordinary_templates_keep_working_under_the_bounds(
    context: dict[str, Any], template: str, expected: Any
) -> None:
    assert render_value(template, context) == expected


def test_a_value_at_the_limit_passes_and_one_past_it_is_refused(context: dict[str, Any]) -> None:
    assert len(render_value(f"{{{{ 'x' * {MAX_TEMPLATE_VALUE} }}}}", context)) == MAX_TEMPLATE_VALUE
    with pytest.raises(TemplateError, match=r"value too large \(over 1 MiB\)"):
        render_value(f"{{{{ 'x' * {MAX_TEMPLATE_VALUE + 1} }}}}", context)
    assert evaluate_condition(f"('x' * {MAX_TEMPLATE_VALUE})|length > 0", context)


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{ 1 / 0 }}", "ZeroDivisionError: division by zero"),
        ("{{ 'x'.encode('no-such-codec') }}", "LookupError: unknown encoding"),
        ("{{ 10.0 ** 400 }}", "OverflowError"),
        ("{{ lipsum(5) }}", "'lipsum' is undefined"),
    ],
)
def test_any_error_a_template_raises_is_a_template_error(
    context: dict[str, Any], template: str, message: str
) -> None:
    with pytest.raises(TemplateError, match=message):
        render_value(template, context)


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{% macro f() %}x{% endmacro %}{{ f() }}", "macros are not available"),
        ("{% for x in [1] recursive %}{{ loop([]) }}{% endfor %}", "recursive loops are not"),
        ("{{ " + "[" * 2000 + "]" * 2000 + " }}", "nested too deep"),
    ],
)
def test_validate_refuses_templates_that_cannot_be_bounded(
    tmp_path: Path, template: str, message: str
) -> None:
    write_notebook(tmp_path / "n.ipynb", "x = 1")
    text = f"name: p\nsteps:\n  - name: a\n    notebook: n.ipynb\n    parameters:\n      x: {json.dumps(template)}\n"
    with pytest.raises(SpecError) as caught:
        load_pipeline_text(text, tmp_path / "p.yaml")
    assert message in str(caught.value)


@pytest.mark.slow
def test_a_run_whose_template_passes_a_bound_fails_that_step_and_the_run(
    orch: Any, tmp_path: Path
) -> None:
    # 10**7 characters: over the bound, yet small enough that the test stays safe without it.
    write_notebook(tmp_path / "echo.ipynb", "x = 0", "print(len(str(x)))")
    path = write_pipeline(
        tmp_path,
        """\
        name: bombs
        steps:
          - name: big
            notebook: echo.ipynb
            parameters: {x: "{{ 'x' * 10**7 }}"}
          - name: long
            notebook: echo.ipynb
            if: "('x' * 10**7)|length > 0"
          - name: fine
            notebook: echo.ipynb
        """,
    )
    run = run_pipeline(orch, path)
    assert run.status is RunStatus.FAILED, run.to_dict()
    assert run.step("fine").status is StepStatus.SUCCEEDED
    for name in ("big", "long"):
        step = run.step(name)
        assert step.status is StepStatus.FAILED, step
        error = step.attempts[-1].error
        assert error is not None and error["ename"] == "TemplateError", error
        assert TOO_LARGE in error["evalue"], error
