"""Runs with real kernels through papermill: parameters, outputs, branches, retries, failures."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from jupyter_orch.records import AttemptStatus, RunStatus, StepStatus

from .conftest import run_pipeline, write_notebook, write_pipeline, write_steps

pytestmark = pytest.mark.slow


def test_parameters_round_trip_exactly_and_never_execute(orch, tmp_path: Path) -> None:
    values = {
        "quotes": 'it\'s "quoted" \'\'\'triple\'\'\' """too"""',
        "backslashes": "C:\\new\\table\\\\ end\\",
        "newlines": "line1\nline2\r\n\ttabbed",
        "unicode": "naïve café ✓ 日本語 \U0001f680",
        "braces": "{not} {{ a template }} {%raw%} f'{x}'",
        "nested": {"list": [1, 2.5, None, True, "x"], "dict": {"a": {"b": [False]}}},
        "none": None,
        "yes": True,
        "no": False,
        "floating": 0.1,
        "big": 10**20,
        "negative": -3.5e-7,
        "injection": "'); import os; os.system('touch PWNED'); ('",
        "injection2": '"""\nimport os\nos.system(\'touch PWNED2\')\n"""',
    }
    write_notebook(
        tmp_path / "echo.ipynb",
        "\n".join(f"{k} = 0" for k in values),
        "import json, jupyter_orch\n"
        f"jupyter_orch.record('reprs', {{k: repr(globals()[k]) for k in {sorted(values)!r}}})",
    )
    path = write_pipeline(
        tmp_path,
        "name: echo\nparameters:\n"
        + "".join(f"  {k}: {json.dumps(v)}\n" for k, v in values.items())
        + "steps:\n  - {name: echo, notebook: echo.ipynb}\n",
    )
    run = run_pipeline(orch, path)
    assert run.status is RunStatus.SUCCEEDED, run.to_dict()
    reprs = run.step("echo").outputs["reprs"]
    assert reprs == {k: repr(v) for k, v in values.items()}
    assert not list(tmp_path.rglob("PWNED*"))


def test_outputs_flow_into_parameters_and_conditions_with_types(orch, tmp_path: Path) -> None:
    write_notebook(
        tmp_path / "produce.ipynb",
        "n = 0",
        "import jupyter_orch\n"
        "jupyter_orch.record('count', 127)\n"
        "jupyter_orch.record('code', '0123')\n"
        "jupyter_orch.record('items', [1, 2])\n"
        "jupyter_orch.record('records_count', 127)",
    )
    write_notebook(
        tmp_path / "consume.ipynb",
        "count = None\ncode = None\nitems = None\nlabel = None\nrun_dir = None",
        "import jupyter_orch, os\n"
        "jupyter_orch.record('types', [type(count).__name__, type(code).__name__, type(items).__name__])\n"
        "jupyter_orch.record('label', label)\n"
        "jupyter_orch.record('run_dir_exists', os.path.isdir(run_dir))\n"
        "jupyter_orch.record('records_count', 98)",
    )
    path = write_pipeline(
        tmp_path,
        """
        name: flow
        steps:
          - name: produce
            notebook: produce.ipynb
          - name: consume
            notebook: consume.ipynb
            needs: [produce]
            if: "steps.produce.outputs.count > 100 and steps.produce.status == 'succeeded'"
            parameters:
              count: "{{ steps.produce.outputs.count }}"
              code: "{{ steps.produce.outputs.code }}"
              items: "{{ steps.produce.outputs.items }}"
              label: "n={{ steps.produce.outputs.count }} {{ steps.produce.outputs.items }}"
              run_dir: "{{ run.dir }}"
          - name: never
            notebook: consume.ipynb
            needs: [produce]
            if: "steps.produce.outputs.count < 100"
          - name: after_never
            notebook: consume.ipynb
            needs: [never]
        """,
    )
    run = run_pipeline(orch, path)
    assert run.status is RunStatus.SUCCEEDED, run.to_dict()
    consume = run.step("consume").outputs
    assert consume["types"] == ["int", "str", "list"]
    assert consume["label"] == "n=127 [1, 2]"
    assert consume["run_dir_exists"] is True
    assert run.step("never").status is StepStatus.SKIPPED
    assert run.step("after_never").status is StepStatus.SKIPPED
    logs = [ln.message for ln in orch.store.get_logs(run.id)]
    assert "Pipeline started" in logs and logs[-1] == "Pipeline completed successfully"
    assert "Step 2: consume succeeded (127 -> 98 records)" in logs


def test_pipeline_parameters_reach_only_notebooks_that_declare_them(orch, tmp_path: Path) -> None:
    write_notebook(
        tmp_path / "nb.ipynb",
        "days = 1\nlabel = 'default'",
        "import jupyter_orch\njupyter_orch.record('seen', [days, label, 'extra' in globals()])",
    )
    path = write_pipeline(
        tmp_path,
        """
        name: params
        parameters: {days: 7, extra: 1}
        steps:
          - {name: a, notebook: nb.ipynb}
          - {name: b, notebook: nb.ipynb, parameters: {days: 30, label: own}}
        """,
    )
    run = run_pipeline(orch, path, parameters={"days": 9})
    assert run.parameters == {"days": 9, "extra": 1}
    assert run.step("a").outputs["seen"] == [9, "default", False]
    assert run.step("b").outputs["seen"] == [30, "own", False]


def test_parallel_branches_overlap_in_time(orch, tmp_path: Path) -> None:
    write_notebook(tmp_path / "sleep.ipynb", "s = 0", "import time\ntime.sleep(s)")
    path = write_steps(
        tmp_path,
        "fan",
        """
        - {name: left, notebook: sleep.ipynb, parameters: {s: 3}}
        - {name: right, notebook: sleep.ipynb, parameters: {s: 3}}
        - {name: join, notebook: sleep.ipynb, needs: [left, right]}
        """,
    )
    run = run_pipeline(orch, path, workers=2)
    assert run.status is RunStatus.SUCCEEDED
    left, right = run.step("left").attempts[0], run.step("right").attempts[0]
    assert left.started_at < right.ended_at and right.started_at < left.ended_at
    join = run.step("join").attempts[0]
    assert join.started_at >= max(left.ended_at, right.ended_at)


def test_failure_marks_dependants_upstream_failed_while_other_branch_succeeds(
    orch, tmp_path: Path
) -> None:
    write_notebook(tmp_path / "ok.ipynb", None, "x = 1")
    write_notebook(
        tmp_path / "boom.ipynb", None, "a = 1", "raise ValueError('bad data in row 7')", "b = 2"
    )
    path = write_pipeline(
        tmp_path,
        """
        name: branches
        steps:
          - {name: boom, notebook: boom.ipynb}
          - {name: after_boom, notebook: ok.ipynb, needs: [boom]}
          - {name: other, notebook: ok.ipynb}
          - {name: after_other, notebook: ok.ipynb, needs: [other]}
          - {name: on_failure, notebook: ok.ipynb, needs: [after_boom], run_if: any_failed}
          - {name: cleanup, notebook: ok.ipynb, needs: [boom, other], run_if: all_done}
        """,
    )
    run = run_pipeline(orch, path)
    status = {s.name: s.status for s in run.steps}
    assert run.status is RunStatus.FAILED
    assert status == {
        "boom": StepStatus.FAILED,
        "after_boom": StepStatus.UPSTREAM_FAILED,
        "other": StepStatus.SUCCEEDED,
        "after_other": StepStatus.SUCCEEDED,
        "on_failure": StepStatus.SUCCEEDED,
        "cleanup": StepStatus.SUCCEEDED,
    }
    attempt = run.step("boom").attempts[0]
    assert attempt.error["ename"] == "ValueError"
    assert attempt.error["evalue"] == "bad data in row 7"
    assert attempt.error["cell_index"] == 1  # the index in the notebook as executed
    assert attempt.error["exec_count"] == 2
    assert any("ValueError" in line for line in attempt.error["traceback"])
    nb = nbformat.read(attempt.output_notebook, as_version=4)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors and errors[0].evalue == "bad data in row 7"
    assert run.error == "step boom failed"
    assert orch.store.get_logs(run.id)[-1].message == "Pipeline failed at step boom"


def test_step_that_fails_once_then_succeeds_under_retries(orch, tmp_path: Path) -> None:
    write_notebook(
        tmp_path / "flaky.ipynb",
        "marker = ''",
        "import os\n"
        "if not os.path.exists(marker):\n"
        "    open(marker, 'w').close()\n"
        "    raise RuntimeError('transient')",
    )
    marker = tmp_path / "marker"
    path = write_pipeline(
        tmp_path,
        f"""
        name: flaky
        steps:
          - name: flaky
            notebook: flaky.ipynb
            retries: 2
            retry_delay: 1s
            parameters: {{marker: "{marker}"}}
        """,
    )
    run = run_pipeline(orch, path)
    step = run.step("flaky")
    assert run.status is RunStatus.SUCCEEDED and step.status is StepStatus.SUCCEEDED
    assert [a.status for a in step.attempts] == [AttemptStatus.FAILED, AttemptStatus.SUCCEEDED]
    first, second = step.attempts
    assert first.output_notebook.endswith("/flaky.ipynb")
    assert second.output_notebook.endswith("/flaky.attempt-2.ipynb")
    assert (second.started_at - first.ended_at).total_seconds() >= 1.0
    assert any(
        "retrying in 1.0s (attempt 2 of 3)" in ln.message for ln in orch.store.get_logs(run.id)
    )


def test_template_error_fails_the_step_with_the_name_and_no_retry(orch, tmp_path: Path) -> None:
    write_notebook(
        tmp_path / "nb.ipynb", "x = 0", "import jupyter_orch\njupyter_orch.record('a', 1)"
    )
    path = write_pipeline(
        tmp_path,
        """
        name: tmpl
        steps:
          - {name: first, notebook: nb.ipynb}
          - {name: second, notebook: nb.ipynb, needs: [first], retries: 3, parameters: {x: "{{ steps.first.outputs.b }}"}}
        """,
    )
    run = run_pipeline(orch, path)
    second = run.step("second")
    assert second.status is StepStatus.FAILED and len(second.attempts) == 1
    assert second.attempts[0].error["ename"] == "TemplateError"
    assert "steps.first.outputs has no 'b'" in second.attempts[0].error["evalue"]


def test_step_output_goes_to_run_log_with_a_cap(orch, tmp_path: Path) -> None:
    write_notebook(
        tmp_path / "loud.ipynb",
        None,
        "print('hello from the step')\nimport sys\nprint('warned', file=sys.stderr)",
        "for i in range(40000):\n    print('x' * 40)",
    )
    path = write_pipeline(tmp_path, "name: loud\nsteps: [{name: loud, notebook: loud.ipynb}]\n")
    run = run_pipeline(orch, path)
    assert run.status is RunStatus.SUCCEEDED
    logs = orch.store.get_logs(run.id)
    lines = [(ln.stream, ln.message) for ln in logs if ln.step == "loud"]
    assert ("stdout", "hello from the step") in lines and ("stderr", "warned") in lines
    logged = sum(len(m) + 1 for s, m in lines if s == "stdout")
    assert logged <= 1024 * 1024
    assert any("[output truncated:" in m for _, m in lines)


def test_max_parallel_steps_serialises_and_max_duration_times_the_run_out(
    orch, tmp_path: Path
) -> None:
    write_notebook(tmp_path / "sleep.ipynb", "s = 0", "import time\ntime.sleep(s)")
    path = write_pipeline(
        tmp_path,
        """
        name: limited
        limits: {max_parallel_steps: 1, max_duration: 8s}
        steps:
          - {name: a, notebook: sleep.ipynb, parameters: {s: 1}}
          - {name: b, notebook: sleep.ipynb, parameters: {s: 1}}
          - {name: long, notebook: sleep.ipynb, needs: [a, b], parameters: {s: 120}}
          - {name: after, notebook: sleep.ipynb, needs: [long]}
        """,
    )
    run = run_pipeline(orch, path, workers=2)
    a, b = run.step("a").attempts[0], run.step("b").attempts[0]
    assert a.ended_at <= b.started_at or b.ended_at <= a.started_at  # never at the same time
    assert run.status is RunStatus.TIMED_OUT
    assert run.error == "the run exceeded its max_duration of 8.0s"
    assert run.step("long").status is StepStatus.CANCELLED
    assert run.step("long").attempts[0].status is AttemptStatus.CANCELLED
    assert run.step("after").status is StepStatus.CANCELLED
    assert (run.ended_at - run.started_at).total_seconds() < 8 + 20


@pytest.mark.slow
def test_braces_in_folder_and_notebook_names_are_plain_characters(orch, tmp_path: Path) -> None:
    """papermill formats paths with the parameters; ours are passed so that `{x}` stays text
    (RELIABILITY case 20: `{`/`}` in paths)."""
    folder = tmp_path / "a{b}"
    write_notebook(folder / "r{x}.ipynb", "x = 1", "print(x * 2)")
    write_notebook(folder / "r5.ipynb", "x = 1", "raise RuntimeError('the wrong notebook ran')")
    path = write_pipeline(
        folder,
        """
        name: braces
        parameters: {x: 5}
        steps:
          - {name: a, notebook: "r{x}.ipynb"}
        """,
    )
    run = run_pipeline(orch, path)
    assert run.status.value == "succeeded", run.steps[0].attempts[-1].error
    assert run.steps[0].attempts[0].output_notebook.endswith("/a.ipynb")
