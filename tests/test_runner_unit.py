from __future__ import annotations

import pytest

from jupyter_orch.records import StepStatus as S
from jupyter_orch.run_policy import Readiness, decide
from jupyter_orch.spec import PipelineSpec, RunIf


@pytest.mark.parametrize(
    ("run_if", "needs", "expected"),
    [
        (RunIf.ALL_SUCCEEDED, [S.SUCCEEDED, S.SUCCEEDED], None),
        (RunIf.ALL_SUCCEEDED, [S.SUCCEEDED, S.FAILED], S.UPSTREAM_FAILED),
        (RunIf.ALL_SUCCEEDED, [S.TIMED_OUT], S.UPSTREAM_FAILED),
        (RunIf.ALL_SUCCEEDED, [S.UPSTREAM_FAILED], S.UPSTREAM_FAILED),
        (RunIf.ALL_SUCCEEDED, [S.SUCCEEDED, S.SKIPPED], S.SKIPPED),
        (RunIf.ALL_SUCCEEDED, [S.SKIPPED, S.FAILED], S.UPSTREAM_FAILED),
        (RunIf.ALL_SUCCEEDED, [], None),
        (RunIf.ALL_DONE, [S.FAILED, S.SKIPPED, S.UPSTREAM_FAILED], None),
        (RunIf.ANY_FAILED, [S.SUCCEEDED, S.FAILED], None),
        (RunIf.ANY_FAILED, [S.TIMED_OUT], None),
        (RunIf.ANY_FAILED, [S.UPSTREAM_FAILED], None),
        (RunIf.ANY_FAILED, [S.SUCCEEDED, S.SKIPPED], S.SKIPPED),
        (RunIf.NONE_FAILED, [S.SUCCEEDED, S.SKIPPED], None),
        (RunIf.NONE_FAILED, [S.SUCCEEDED, S.FAILED], S.UPSTREAM_FAILED),
    ],
)
def test_run_if_decides_from_needs(run_if: RunIf, needs: list[S], expected: S | None) -> None:
    assert decide(run_if, needs) is expected


def _spec(steps: list[dict[str, object]]) -> PipelineSpec:
    return PipelineSpec.model_validate({"name": "p", "steps": steps})


def test_readiness_frees_the_dependents_of_finished_steps_in_file_order() -> None:
    spec = _spec(
        [
            {"name": "a", "python": "m:f"},
            {"name": "b", "python": "m:f", "needs": ["a"]},
            {"name": "c", "python": "m:f", "needs": ["a"]},
            {"name": "d", "python": "m:f", "needs": ["b"], "run_if": "all_succeeded"},
            {"name": "e", "python": "m:f", "needs": ["d"]},
        ]
    )
    state = {step.name: S.PENDING for step in spec.steps}
    ready = Readiness(spec, [s.name for s in spec.steps], state)
    assert ready.next() == (["a"], [])
    assert ready.next() == ([], [])  # nothing finished since
    state["a"] = S.SUCCEEDED
    ready.finished("a")
    assert ready.next() == (["b", "c"], [])
    state["b"] = S.FAILED
    ready.finished("b")
    # d never runs, and e with it: settled in one call, in order
    assert ready.next() == (
        [],
        [
            ("d", S.UPSTREAM_FAILED, "run_if all_succeeded"),
            ("e", S.UPSTREAM_FAILED, "run_if all_succeeded"),
        ],
    )


def test_a_step_is_found_by_name_in_a_copy_with_other_steps() -> None:
    spec = _spec([{"name": f"s{i}", "python": "m:f"} for i in range(3)])
    assert spec.step("s2").name == "s2"
    fewer = spec.model_copy(update={"steps": spec.steps[:1]})
    with pytest.raises(KeyError):
        fewer.step("s2")
    assert fewer.step("s0") is spec.steps[0]
