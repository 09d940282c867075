"""For-each steps with real kernels and papermill, on SQLite and PostgreSQL: one step run per
item (``report[0]``...) over a literal list or an upstream step's output, at most
``max_parallel`` at once, outputs as lists in item order, a failing item (default ``run_if``
and ``all_done``), retries per item, an empty list, too many items, and a rerun from the
failed step that runs only the failed item."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from jupyter_orch.catalog import Catalog
from jupyter_orch.errors import SpecError
from jupyter_orch.pipelines.loader import load_pipeline
from jupyter_orch.records import RunRecord, RunStatus, StepStatus
from jupyter_orch.service import Orchestrator
from jupyter_orch.store.repository import Store

from .conftest import execute, run_pipeline, write_notebook, write_steps
from .helpers import meet_a_peer

pytestmark = pytest.mark.slow


@pytest.fixture
def orch(tmp_path: Path, any_store: Store) -> Orchestrator:
    write_notebook(
        tmp_path / "regions.ipynb",
        None,
        "import jupyter_orch\njupyter_orch.record('regions', ['emea', 'apac', 'amer'])",
    )
    # Fails for the region named by the file `fail` (when it exists); logs when it ran
    write_notebook(
        tmp_path / "report.ipynb",
        "region = None\nposition = None\nout_dir = '.'",
        meet_a_peer(tmp_path / "started"),
        f"""
        import json, os, time, jupyter_orch
        time.sleep(0.5)
        fail = {str(tmp_path / "fail")!r}
        if os.path.exists(fail) and open(fail).read() == region:
            raise ValueError(f"no data for {{region}}")
        with open({str(tmp_path / "ran.jsonl")!r}, "a") as f:
            f.write(json.dumps([region, start, time.time()]) + "\\n")
        path = os.path.join(out_dir, f"{{region}}.md")
        with open(path, "w") as f:
            f.write(f"# {{region}} ({{position}})")
        jupyter_orch.record("path", path)
        jupyter_orch.record("position", position)
        """,
    )
    write_notebook(
        tmp_path / "combine.ipynb",
        "paths = None\nregions = None",
        "import jupyter_orch\njupyter_orch.record('got', {'paths': paths, 'regions': regions})",
    )
    return Orchestrator(any_store, tmp_path / "runs")


REPORT = """
- {name: regions, notebook: regions.ipynb}
- name: report
  needs: [regions]
  for_each: "{{ steps.regions.outputs.regions }}"
  max_parallel: 2
  notebook: report.ipynb
  parameters: {region: "{{ item }}", position: "{{ item_index }}", out_dir: "{{ run.dir }}"}
- name: combine
  needs: [report]
  notebook: combine.ipynb
  parameters: {paths: "{{ steps.report.outputs.path }}", regions: "{{ steps.report.items }}"}
"""


def steps(run: RunRecord) -> dict[str, Any]:
    return {s.name: s for s in run.steps}


def ran(folder: Path) -> list[list[Any]]:
    found = folder / "ran.jsonl"
    return [json.loads(line) for line in found.read_text().splitlines()] if found.exists() else []


def test_one_run_per_item_of_an_upstream_list_two_at_a_time_outputs_in_order(
    tmp_path: Path, orch: Orchestrator
) -> None:
    run = run_pipeline(orch, write_steps(tmp_path, "regional", REPORT), workers=3)

    assert run.status is RunStatus.SUCCEEDED
    by_name = steps(run)
    assert [s.name for s in run.steps] == [
        "regions",
        "report",
        "report[0]",
        "report[1]",
        "report[2]",
        "combine",
    ]
    items = [by_name[f"report[{i}]"] for i in range(3)]
    assert [(s.parent, s.item_index, s.item) for s in items] == [
        ("report", 0, "emea"),
        ("report", 1, "apac"),
        ("report", 2, "amer"),
    ]
    assert {s.status for s in items} == {StepStatus.SUCCEEDED}
    assert by_name["report"].status is StepStatus.SUCCEEDED
    notebooks = [Path(s.attempts[0].output_notebook or "").name for s in items]
    assert notebooks == ["report[0].ipynb", "report[1].ipynb", "report[2].ipynb"]
    assert [s.outputs["position"] for s in items] == [0, 1, 2]
    got = by_name["combine"].outputs["got"]
    assert got["regions"] == ["emea", "apac", "amer"]
    assert [Path(p).name for p in got["paths"]] == ["emea.md", "apac.md", "amer.md"]
    # At most two items at once (three workers were free), and two at once indeed
    moments = sorted([(r[1], 1) for r in ran(tmp_path)] + [(r[2], -1) for r in ran(tmp_path)])
    running = most = 0
    for _, change in moments:
        running += change
        most = max(most, running)
    assert most == 2
    record = run.to_dict()["steps"][3]
    assert (record["parent"], record["item_index"], record["item"]) == ("report", 1, "apac")
    assert "parent" not in run.to_dict()["steps"][1]


LITERAL = """
- name: report
  for_each: [emea, apac, amer]
  notebook: report.ipynb
  parameters: {region: "{{ item }}", out_dir: "{{ run.dir }}"}
- name: combine
  needs: [report]
  notebook: combine.ipynb
  parameters: {paths: "{{ steps.report.outputs.path }}"}
- name: summary
  needs: [report]
  run_if: all_done
  notebook: combine.ipynb
  parameters: {paths: "{{ steps.report.outputs.path }}", regions: "{{ steps.report.items }}"}
"""


def test_a_failing_item_fails_its_step_all_done_gets_nulls_and_a_rerun_runs_only_it(
    tmp_path: Path, orch: Orchestrator
) -> None:
    (tmp_path / "fail").write_text("apac")
    pipeline = write_steps(tmp_path, "literal", LITERAL)
    run = run_pipeline(orch, pipeline)

    by_name = steps(run)
    assert run.status is RunStatus.FAILED
    assert [by_name[f"report[{i}]"].status for i in range(3)] == [
        StepStatus.SUCCEEDED,
        StepStatus.FAILED,
        StepStatus.SUCCEEDED,
    ]
    assert by_name["report"].status is StepStatus.FAILED
    assert by_name["combine"].status is StepStatus.UPSTREAM_FAILED
    got = by_name["summary"].outputs["got"]
    assert [Path(p).name if p else p for p in got["paths"]] == ["emea.md", None, "amer.md"]
    assert got["regions"] == ["emea", "apac", "amer"]
    error = by_name["report[1]"].attempts[0].error
    assert error is not None and error["evalue"] == "no data for apac"

    (tmp_path / "fail").unlink()
    before = len(ran(tmp_path))
    loaded, rerun = orch.create_rerun(run.id, from_failed=True)
    done = execute(orch, loaded, rerun)

    assert done.status is RunStatus.SUCCEEDED
    assert [r[0] for r in ran(tmp_path)[before:]] == ["apac"]  # only the failed item ran
    again = steps(done)
    assert again["report[0]"].reused_from == run.id == again["report[2]"].reused_from
    assert again["report[1]"].reused_from is None
    paths = again["combine"].outputs["got"]["paths"]
    assert [Path(p).name for p in paths] == ["emea.md", "apac.md", "amer.md"]


def test_retries_are_per_item(tmp_path: Path, orch: Orchestrator) -> None:
    write_notebook(
        tmp_path / "flaky.ipynb",
        "region = None",
        f"""
        import os
        marker = os.path.join({str(tmp_path)!r}, "tried-" + region)
        if region == "apac" and not os.path.exists(marker):
            open(marker, "w").close()
            raise RuntimeError("the API timed out")
        """,
    )
    pipeline = write_steps(
        tmp_path,
        "flaky",
        """
        - name: report
          for_each: [emea, apac]
          retries: 2
          retry_delay: 0
          notebook: flaky.ipynb
          parameters: {region: "{{ item }}"}
        """,
    )
    run = run_pipeline(orch, pipeline)

    assert run.status is RunStatus.SUCCEEDED
    by_name = steps(run)
    assert [a.status.value for a in by_name["report[0]"].attempts] == ["succeeded"]
    assert [a.status.value for a in by_name["report[1]"].attempts] == ["failed", "succeeded"]
    assert Path(by_name["report[1]"].attempts[1].output_notebook or "").name == (
        "report[1].attempt-2.ipynb"
    )


def test_an_empty_list_skips_the_step_and_too_many_items_fail_it_saying_so(
    tmp_path: Path, orch: Orchestrator
) -> None:
    write_notebook(
        tmp_path / "count.ipynb",
        "n = 0",
        "import jupyter_orch\njupyter_orch.record('ids', list(range(n)))",
    )
    pipeline = write_steps(
        tmp_path,
        "counted",
        """
        - {name: ids, notebook: count.ipynb, parameters: {n: "{{ params.n }}"}}
        - name: each
          needs: [ids]
          for_each: "{{ steps.ids.outputs.ids }}"
          notebook: count.ipynb
        """,
        head="parameters: {n: 0}",
    )
    empty = run_pipeline(orch, pipeline)
    assert empty.status is RunStatus.SUCCEEDED
    assert steps(empty)["each"].status is StepStatus.SKIPPED
    assert [s.name for s in empty.steps] == ["ids", "each"]
    # The run's answer says it is a for-each step, so the lab says why it was skipped
    answered = Catalog(orch, tmp_path).run(empty.id)["steps"]
    assert [(s["name"], s.get("for_each")) for s in answered] == [("ids", None), ("each", True)]

    many = run_pipeline(orch, pipeline, {"n": 1001})
    assert many.status is RunStatus.FAILED
    each = steps(many)["each"]
    assert each.status is StepStatus.FAILED
    error = each.attempts[0].error
    assert error is not None
    assert "for_each: 1,001 items; a step runs at most 1,000" in error["evalue"]
    assert [s.name for s in many.steps] == ["ids", "each"]  # no item was made


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ("for_each: [" + ", ".join(["x"] * 1001) + "]", "1,001 items; a step runs at most 1,000"),
        ("for_each: emea", "give a template that gives a list"),
        ("for_each: [a], max_parallel: 0", "greater than or equal to 1"),
        ("for_each: '{{ steps.later.outputs.x }}'", "step 'later' is not upstream of 'each'"),
        ("parameters: {r: '{{ item }}'}", "'item' is defined only in the parameters of a step"),
        ("for_each: '{{ item }}'", "'item' is defined only in the parameters of a step"),
        ("for_each: [a], if: '{{ item_index }}'", "'item_index' is defined only in"),
        ("for_each: [a], parameters: {r: '{{ items }}'}", "unknown name 'items'"),
    ],
)
def test_mistakes_are_refused_when_the_pipeline_is_validated(
    tmp_path: Path, step: str, message: str
) -> None:
    write_notebook(tmp_path / "n.ipynb", "r = None", "pass")
    pipeline = write_steps(
        tmp_path,
        "bad",
        f"- {{name: each, notebook: n.ipynb, {step}}}\n"
        "- {name: later, needs: [each], notebook: n.ipynb}",
    )
    with pytest.raises(SpecError) as caught:
        load_pipeline(pipeline)
    assert message in str(caught.value), str(caught.value)


def test_items_of_a_step_without_for_each_are_refused(tmp_path: Path) -> None:
    write_notebook(tmp_path / "n.ipynb", "r = None", "pass")
    pipeline = write_steps(
        tmp_path,
        "bad",
        """
        - {name: one, notebook: n.ipynb}
        - {name: two, needs: [one], notebook: n.ipynb, parameters: {r: "{{ steps.one.items }}"}}
        """,
    )
    with pytest.raises(SpecError, match=r"steps\.one has no 'items': it has no for_each"):
        load_pipeline(pipeline)


def test_function_and_query_steps_fan_out_too(tmp_path: Path, orch: Orchestrator) -> None:
    (tmp_path / "square.py").write_text("def square(n):\n    return {'square': n * n}\n")
    pipeline = write_steps(
        tmp_path,
        "kinds",
        f"""
        - name: squares
          for_each: [1, 2, 3]
          python: square.py:square
          parameters: {{n: "{{{{ item }}}}"}}
        - name: doubled
          needs: [squares]
          for_each: "{{{{ steps.squares.outputs.square }}}}"
          sql: SELECT :n * 2 AS doubled
          connection: "sqlite:///{tmp_path / "q.sqlite"}"
          parameters: {{n: "{{{{ item }}}}"}}
        """,
    )
    run = run_pipeline(orch, pipeline)

    assert run.status is RunStatus.SUCCEEDED, run.error
    by_name = steps(run)
    assert [by_name[f"squares[{i}]"].outputs["square"] for i in range(3)] == [1, 4, 9]
    assert [by_name[f"doubled[{i}]"].item for i in range(3)] == [1, 4, 9]
    assert [by_name[f"doubled[{i}]"].outputs["records_count"] for i in range(3)] == [1, 1, 1]
    assert Path(by_name["doubled[2]"].attempts[0].output_notebook or "").name == "doubled[2].ipynb"


def test_a_scheduler_killed_mid_items_resumes_keeping_what_ended(tmp_path: Path) -> None:
    """kill -9 while an item runs: the next scheduler fails that attempt as orphaned and
    retries it, runs the items not started, and the run succeeds with each item once."""
    from .helpers import long_step, no_orch_processes_left, read_json, wait_for
    from .test_scheduler import Cluster

    c = Cluster(tmp_path, f"sqlite:///{tmp_path / 'orch.sqlite'}")
    try:
        pids_file, _ = long_step(tmp_path)
        write_notebook(tmp_path / "quick.ipynb", "n = 0", "x = n")
        c.apply(
            "fanout",
            """
            - {name: first, for_each: [a], notebook: quick.ipynb}
            - name: each
              needs: [first]
              for_each: [1, 2, 3]
              max_parallel: 1
              retries: 1
              retry_delay: 1s
              notebook: long.ipynb
            """,
        )
        run_id = c.trigger("fanout")
        scheduler = c.scheduler()
        read_json(pids_file)  # each[0]'s first attempt is running
        scheduler.kill()
        scheduler.wait(10)
        restarted = c.scheduler()
        assert wait_for(lambda: c.run(run_id).status is RunStatus.SUCCEEDED, 120), c.logs()
        by_name = steps(c.run(run_id))
        attempts = [[a.status.value for a in by_name[f"each[{i}]"].attempts] for i in range(3)]
        assert attempts == [["failed", "succeeded"], ["succeeded"], ["succeeded"]]
        error = by_name["each[0]"].attempts[0].error
        assert error is not None and error["ename"] == "Orphaned"
        assert [a.status.value for a in by_name["first[0]"].attempts] == ["succeeded"]
        restarted.terminate()
        assert restarted.wait(30) == 0
        assert wait_for(lambda: no_orch_processes_left(tmp_path), 10)
    finally:
        c.close()


def test_testing_a_step_after_a_for_each_step_reuses_its_items(
    tmp_path: Path, orch: Orchestrator
) -> None:
    """``jupyter orch test --step combine``: the items' outputs of the last run serve again."""
    from jupyter_orch.develop.scratch import create_test_run

    pipeline = write_steps(tmp_path, "regional", REPORT)
    first = run_pipeline(orch, pipeline)
    assert first.status is RunStatus.SUCCEEDED
    before = len(ran(tmp_path))
    loaded = load_pipeline(pipeline)
    test = create_test_run(orch, loaded, orch.register(loaded).version, step="combine")
    done = execute(orch, loaded, test)

    assert done.status is RunStatus.SUCCEEDED
    assert len(ran(tmp_path)) == before  # no item ran again
    got = steps(done)["combine"].outputs["got"]
    assert got["regions"] == ["emea", "apac", "amer"]
    assert [Path(p).name for p in got["paths"]] == ["emea.md", "apac.md", "amer.md"]


def test_a_rerun_whose_list_changed_runs_a_changed_item_anew_without_its_old_attempt(
    tmp_path: Path, orch: Orchestrator
) -> None:
    """Rerun from failed with the file edited: a kept item that is another item now is run
    again (with the new item), not passed off with the old item's outputs."""
    (tmp_path / "square.py").write_text(
        "import os\n"
        "def square(n):\n"
        f"    if n == 2 and os.path.exists({str(tmp_path / 'fail')!r}):\n"
        "        raise ValueError('two fails')\n"
        "    return {'square': n * n}\n"
    )
    step = "- {{name: sq, for_each: {items}, python: square.py:square, parameters: {{n: '{{{{ item }}}}'}}}}"
    (tmp_path / "fail").write_text("")
    pipeline = write_steps(tmp_path, "edited", step.format(items="[1, 2, 3]"))
    run = run_pipeline(orch, pipeline)
    assert run.status is RunStatus.FAILED
    (tmp_path / "fail").unlink()
    write_steps(tmp_path, "edited", step.format(items="[5, 2, 3]"))
    loaded, rerun = orch.create_rerun(run.id, from_failed=True)
    done = execute(orch, loaded, rerun)

    assert done.status is RunStatus.SUCCEEDED
    by_name = steps(done)
    assert [by_name[f"sq[{i}]"].item for i in range(3)] == [5, 2, 3]
    first = by_name["sq[0]"]
    assert first.reused_from is None and len(first.attempts) == 1
    assert first.attempts[0].number == 1 and first.outputs["square"] == 25
    assert by_name["sq[2]"].reused_from == run.id
    assert by_name["sq"].status is StepStatus.SUCCEEDED
