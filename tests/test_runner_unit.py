from __future__ import annotations

import pytest

from jupyter_orch.records import StepStatus as S
from jupyter_orch.run_policy import decide
from jupyter_orch.spec import RunIf


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
