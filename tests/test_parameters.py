"""What a pipeline and a run may be given: finite, small parameters; bounded names that are
not words the routes use. Refused where they enter, with one message, on every store."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from jupyter_orch.errors import ParameterError, SpecError
from jupyter_orch.inputs.parameters import MAX_PARAMETERS_BYTES, NON_FINITE, parameter_problems
from jupyter_orch.pipelines.loader import load_pipeline_text
from jupyter_orch.server import handlers, notebooks, openapi, webhooks
from jupyter_orch.service import Orchestrator, describe_pipeline
from jupyter_orch.spec import MAX_NAME, RESERVED_PIPELINE_NAMES
from jupyter_orch.store.repository import Store
from jupyter_orch.store.types import utcnow

from .conftest import write_notebook

BIG = "x" * MAX_PARAMETERS_BYTES  # with its quotes and name, just over the cap


def pipeline_text(name: str = "p", parameters: str = "{x: 1}", step: str = "a") -> str:
    return f"name: {name}\nparameters: {parameters}\nsteps:\n  - {{name: {step}, notebook: nb.ipynb}}\n"


def problems_of(tmp_path: Path, text: str) -> list[str]:
    write_notebook(tmp_path / "nb.ipynb", "x = 1", "y = x")
    with pytest.raises(SpecError) as caught:
        load_pipeline_text(text, tmp_path / "p.yaml")
    return [str(problem) for problem in caught.value.problems]


# --- NaN and Infinity ------------------------------------------------------------------------


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf", "[1, .nan]", "{a: .inf}"])
def test_a_file_with_nan_or_infinity_in_parameters_is_invalid(tmp_path: Path, value: str) -> None:
    problems = problems_of(tmp_path, pipeline_text(parameters=f"{{x: {value}}}"))
    assert problems == [f"{tmp_path / 'p.yaml'}:2: parameters.x: {NON_FINITE}"]


def test_a_step_with_nan_in_its_parameters_is_invalid(tmp_path: Path) -> None:
    text = "name: p\nsteps:\n  - name: a\n    notebook: nb.ipynb\n    parameters: {x: .nan}\n"
    problems = problems_of(tmp_path, text)
    assert problems == [f"{tmp_path / 'p.yaml'}:5: steps[0].parameters.x: {NON_FINITE}"]


def test_one_message_for_non_finite_values() -> None:
    assert NON_FINITE == "NaN and Infinity are not JSON values; give a finite number"
    assert parameter_problems({"x": float("nan"), "y": 1, "z": [float("-inf")]}) == [
        f"parameters.x: {NON_FINITE}",
        f"parameters.z: {NON_FINITE}",
    ]


@pytest.mark.parametrize("value", [float("nan"), float("inf"), [1.0, float("-inf")]])
def test_runs_with_nan_or_infinity_are_refused_and_not_stored(
    tmp_path: Path, any_store: Store, value: object
) -> None:
    orch = Orchestrator(any_store, tmp_path / "runs")
    write_notebook(tmp_path / "nb.ipynb", "x = 1", "y = x")
    orch.apply(load_pipeline_text(pipeline_text(), tmp_path / "p.yaml"))
    with pytest.raises(ParameterError) as caught:
        orch.trigger("p", parameters={"x": value})
    assert str(caught.value) == f"parameters.x: {NON_FINITE}"
    assert any_store.list_runs(pipeline="p") == []


# --- size ---------------------------------------------------------------------------------------


def test_a_run_parameter_over_64_kib_is_refused_naming_it(tmp_path: Path, any_store: Store) -> None:
    orch = Orchestrator(any_store, tmp_path / "runs")
    write_notebook(tmp_path / "nb.ipynb", "x = 1\nblob = ''", "y = x")
    text = pipeline_text(parameters="{x: 1, blob: ''}")
    orch.apply(load_pipeline_text(text, tmp_path / "p.yaml"))
    with pytest.raises(ParameterError) as caught:
        orch.trigger("p", parameters={"blob": "x" * (20 * 1024 * 1024)})
    message = str(caught.value)
    assert message.startswith("parameters: 20.0 MB of JSON;")
    assert "at most 64 KiB in all (the largest is 'blob', 20.0 MB)" in message
    assert any_store.list_runs(pipeline="p") == []
    # Just under the cap is fine: the cap is on the JSON, name and quotes included
    fits = "x" * (MAX_PARAMETERS_BYTES - len(json.dumps({"x": 1, "blob": ""})))
    run = orch.trigger("p", parameters={"blob": fits})
    assert any_store.get_run(run.id).parameters["blob"] == fits


def test_a_file_whose_parameters_exceed_64_kib_is_invalid(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, pipeline_text(parameters=f"{{x: 1, big: {BIG}}}"))
    assert len(problems) == 1
    assert ":2: parameters: " in problems[0] and "the largest is 'big'" in problems[0]
    text = (
        "name: p\nsteps:\n  - name: a\n    notebook: nb.ipynb\n    parameters:\n      big: " + BIG
    )
    (problem,) = problems_of(tmp_path, text + "\n")
    assert ": steps[0].parameters: " in problem and "the largest is 'big'" in problem


# --- names ----------------------------------------------------------------------------------------


def test_pipeline_names_longer_than_100_characters_are_invalid(tmp_path: Path) -> None:
    (problem,) = problems_of(tmp_path, pipeline_text(name="n" * (MAX_NAME + 1)))
    assert problem.endswith(f"name: pipeline name 'nnnnnnnnnnnnnnnnnnnn'... is 101 characters long; use at most {MAX_NAME}")  # fmt: skip


def test_step_names_longer_than_100_characters_are_invalid(tmp_path: Path) -> None:
    (problem,) = problems_of(tmp_path, pipeline_text(step="s" * (MAX_NAME + 1)))
    assert "steps[0].name: step name 'ssssssssssssssssssss'... is 101 characters long" in problem


def test_a_pipeline_named_after_a_route_word_is_invalid(tmp_path: Path) -> None:
    (problem,) = problems_of(tmp_path, pipeline_text(name="validate"))
    assert problem.endswith(
        "name: pipeline name 'validate' is a word the REST routes use "
        "(/orch/pipelines/validate); choose another name"
    )


def test_every_route_word_after_pipelines_is_a_reserved_name() -> None:
    """A new route such as /orch/pipelines/import must reserve its word, or it shadows (or is
    shadowed by) the pipeline of that name."""
    words = set()
    for module in (handlers, notebooks, webhooks, openapi):
        for pattern, _ in module.ROUTES:
            match = re.fullmatch(r"/orch/pipelines/([a-z0-9_-]+)(/.*)?", pattern)
            if match:
                words.add(match.group(1))
    assert "validate" in words  # the route table was read
    assert words <= RESERVED_PIPELINE_NAMES, words - RESERVED_PIPELINE_NAMES


def test_the_longest_names_register_and_run_on_every_store(
    tmp_path: Path, any_store: Store
) -> None:
    name, step = "n" * MAX_NAME, "s" * MAX_NAME
    write_notebook(tmp_path / "nb.ipynb", "x = 1", "y = x")
    orch = Orchestrator(any_store, tmp_path / "runs")
    loaded = load_pipeline_text(pipeline_text(name=name, step=step), tmp_path / "p.yaml")
    orch.apply(loaded)
    run = orch.trigger(name)
    assert any_store.get_run(run.id).steps[0].name == step
    # The run folder and its notebooks' names stay within a file system's 255-byte names
    assert max(len(part) for part in Path(run.run_dir).parts) <= MAX_NAME


def test_a_pipeline_stored_before_the_rules_still_lists(any_store: Store) -> None:
    """Rules added since a pipeline was registered must not make the listing unreadable."""
    definition = {"name": "validate", "steps": [{"name": "a", "notebook": "nb.ipynb"}]}
    any_store.register("validate", "/x/p.yaml", "name: validate\n", definition)
    (state,) = any_store.pipeline_states()
    assert describe_pipeline(state, "UTC", utcnow())["name"] == "validate"
