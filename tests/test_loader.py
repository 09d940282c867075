from __future__ import annotations

import json
from pathlib import Path

import pytest

from jupyter_orch.errors import SpecError
from jupyter_orch.pipelines.loader import load_pipeline, validate_pipeline_file

from .conftest import write_notebook, write_pipeline


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    write_notebook(tmp_path / "nb.ipynb", "n = 1", "print(n)")
    return tmp_path


def problems(path: Path) -> list[str]:
    return [f"{p.line}|{p.path}|{p.message}" for p in validate_pipeline_file(path)]


def test_valid_pipeline_loads_with_policies(folder: Path) -> None:
    path = write_pipeline(
        folder,
        """
        name: daily-report
        description: demo
        parameters: {days: 7, label: "x"}
        defaults: {retries: 2, retry_delay: 30s, timeout: 1h}
        limits: {max_parallel_steps: 2, max_duration: 2h}
        steps:
          - name: load
            notebook: nb.ipynb
          - name: report
            notebook: nb.ipynb
            needs: [load]
            if: "steps.load.outputs.n > 0"
            run_if: all_done
            retries: 0
            retry_backoff: 3
            parameters: {n: "{{ steps.load.outputs.n }}", d: "{{ params.days }}", out: "{{ run.dir }}/x"}
        """,
    )
    loaded = load_pipeline(path)
    spec = loaded.spec
    assert [s.name for s in spec.steps] == ["load", "report"]
    report = spec.step("report")
    assert report.if_ == "steps.load.outputs.n > 0"
    policy = spec.policy(report)
    assert (policy.retries, policy.retry_delay, policy.timeout, policy.retry_backoff) == (
        0,
        30,
        3600,
        3,
    )
    assert spec.policy(spec.step("load")).retries == 2
    assert spec.limits.max_duration == 7200
    assert loaded.resolve(report.notebook) == (folder / "nb.ipynb").resolve()


def test_yaml_12_reads_on_and_yes_as_strings(folder: Path) -> None:
    path = write_pipeline(
        folder,
        """
        name: p
        parameters: {on: yes, no: off}
        steps: [{name: a, notebook: nb.ipynb}]
        """,
    )
    assert load_pipeline(path).spec.parameters == {"on": "yes", "no": "off"}


def test_every_problem_reported_at_once_with_lines(folder: Path) -> None:
    (folder / "corrupt.ipynb").write_text("{not json")
    (folder / "v3.ipynb").write_text(
        json.dumps({"nbformat": 3, "nbformat_minor": 0, "worksheets": []})
    )
    write_notebook(folder / "nokernel.ipynb", "x = 1", kernel=None)
    path = write_pipeline(
        folder,
        """\
        name: Bad Name
        descripton: typo
        parameters: {days: 3, class: 1, 2x: 0}
        defaults: {retry_delay: 5x}
        steps:
          - name: load
            notebook: nb.ipynb
            needs: [transfrom]
          - name: transform
            notebook: missing.ipynb
            needs: [load]
            run_if: any_failled
            parameters:
              n: "{{ steps.report.outputs.x }}"
              m: "{{ params.dayz }}"
          - name: report
            notebook: corrupt.ipynb
            if: "steps.load.outputs.count > "
          - name: report
            notebook: v3.ipynb
            retires: 2
          - name: other
            notebook: nokernel.ipynb
            timeout: soon
        """,
    )
    found = problems(path)
    expected = [
        "1|name|pipeline name 'Bad Name' must be lower case",
        "2|descripton|unknown key 'descripton' (did you mean 'description'?)",
        "3|parameters.class|parameter name 'class' is a Python keyword",
        "3|parameters.2x|parameter name '2x' is not an identifier",
        "4|defaults.retry_delay|'5x' is not a duration",
        "8|steps[0].needs[0]|unknown step 'transfrom' (did you mean 'transform'?)",
        "10|steps[1].notebook|notebook not found",
        "12|steps[1].run_if|'any_failled' is not one of",
        "14|steps[1].parameters.n|step 'report' is not upstream of 'transform'; add it to needs",
        "15|steps[1].parameters.m|unknown parameter 'dayz'",
        "17|steps[2].notebook|is not valid JSON (line 1",
        "18|steps[2].if|syntax error",
        "19|steps[3].name|duplicate step name 'report'",
        "20|steps[3].notebook|is nbformat 3",
        "21|steps[3].retires|unknown key 'retires' (did you mean 'retries'?)",
        "23|steps[4].notebook|has no kernelspec",
        "24|steps[4].timeout|'soon' is not a duration",
    ]
    for item in expected:
        line, field, message = item.split("|")
        assert any(f.startswith(f"{line}|{field}|") and message in f for f in found), (
            f"missing {item!r} in:\n" + "\n".join(found)
        )
    assert len(found) == len(expected), "\n".join(found)


def test_spec_error_message_names_file_and_lines(folder: Path) -> None:
    path = write_pipeline(
        folder, "name: p\nsteps:\n  - {name: a, notebook: nb.ipynb, needs: [b]}\n"
    )
    with pytest.raises(SpecError) as info:
        load_pipeline(path)
    assert f"{path}:3: steps[0].needs[0]: unknown step 'b'" in str(info.value)


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ("[{name: a, notebook: nb.ipynb, needs: [a]}]", "step 'a' needs itself"),
        (
            "[{name: a, notebook: nb.ipynb, needs: [c]}, {name: b, notebook: nb.ipynb, needs: [a]},"
            " {name: c, notebook: nb.ipynb, needs: [b]}]",
            "cycle: a -> c -> b -> a",
        ),
        ("[{name: a, notebook: nb.ipynb, needs: [zz]}]", "unknown step 'zz'"),
        ("[{name: 1a, notebook: nb.ipynb}]", "step name '1a' is not an identifier"),
        ("[{name: for, notebook: nb.ipynb}]", "step name 'for' is a Python keyword"),
        (
            "[{name: a}]",
            "a step runs exactly one of `notebook`, `sql`, `python`, `export` (this one has none)",
        ),
        ("[]", "a pipeline needs at least one step"),
        ("[{name: a, notebook: nb.ipynb, kernel: nosuchkernel}]", "kernel 'nosuchkernel'"),
        ("[{name: a, notebook: nb.ipynb, if: 'foo.bar'}]", "unknown name 'foo'"),
        ("[{name: a, notebook: nb.ipynb, parameters: {x: '{{ run.nope }}'}}]", "unknown run field"),
        (
            "[{name: a, notebook: nb.ipynb, parameters: {x: '{{ steps.a.outputs.n }}'}}]",
            "its own outputs",
        ),
    ],
)
def test_graph_and_name_problems(folder: Path, steps: str, message: str) -> None:
    path = write_pipeline(folder, f"name: p\nsteps: {steps}\n")
    found = problems(path)
    assert any(message in f for f in found), found


def test_bad_yaml_and_missing_file(folder: Path) -> None:
    path = write_pipeline(folder, "name: p\nsteps: [\n")
    [problem] = validate_pipeline_file(path)
    assert "invalid YAML" in problem.message and problem.line is not None
    dup = write_pipeline(folder, "name: p\nname: q\nsteps: []\n", "dup.yaml")
    assert "duplicate key" in validate_pipeline_file(dup)[0].message
    [missing] = validate_pipeline_file(folder / "nope.yaml")
    assert missing.message == "file not found"
    listing = write_pipeline(folder, "- a\n- b\n", "list.yaml")
    assert "YAML mapping" in validate_pipeline_file(listing)[0].message


def test_large_pipeline_validates(folder: Path) -> None:
    lines = ["name: big", "steps:"]
    for i in range(500):
        needs = f"[s{i - 1}]" if i else "[]"
        param = f"{{x: '{{{{ steps.s{i - 1}.outputs.n }}}}'}}" if i else "{}"
        lines.append(f"  - {{name: s{i}, notebook: nb.ipynb, needs: {needs}, parameters: {param}}}")
    path = write_pipeline(folder, "\n".join(lines) + "\n")
    assert len(load_pipeline(path).spec.steps) == 500
