"""YAML from users is loaded within bounds: alias expansion, nesting and size. A bound passed
is a problem that names it (`validate` answers it, the CLI exits 2), never a hang, a
RecursionError or gigabytes of memory; and no document makes `validate` raise or take long."""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from jupyter_orch.cli import main
from jupyter_orch.cli.args import parse_param
from jupyter_orch.errors import SpecError
from jupyter_orch.inputs.limits import MAX_YAML_CHARS, MAX_YAML_DEPTH, MAX_YAML_NODES
from jupyter_orch.inputs.yaml_load import load_yaml
from jupyter_orch.pipelines.loader import load_pipeline_text

from .conftest import write_notebook
from .orch_server import ALIAS_BOMB, DEEP

#: Nested through aliases only: each level is shallow, the expansion is not.
DEEP_BY_ALIASES = (
    "name: p\nl0: &l0 [1]\n"
    + "".join(f"l{i}: &l{i} [*l{i - 1}]\n" for i in range(1, 150))
    + "steps: [{name: s, notebook: n.ipynb}]\n"
)
SELF_ALIAS = "name: p\nsteps: &s [{name: s, notebook: n.ipynb, parameters: {x: *s}}]\n"
HUGE = "name: p\nsteps: [{name: s, notebook: n.ipynb}]\n#" + "x" * MAX_YAML_CHARS + "\n"

REFUSED = [
    (ALIAS_BOMB, f"aliases expand to over {MAX_YAML_NODES} nodes"),
    (DEEP, f"nested too deep (over {MAX_YAML_DEPTH} levels)"),
    (DEEP_BY_ALIASES, f"nested too deep (over {MAX_YAML_DEPTH} levels)"),
    (SELF_ALIAS, "an alias refers to a node that contains it"),
    (HUGE, "document too large (over 1 MiB)"),
]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    write_notebook(tmp_path / "n.ipynb", "x = 1")
    return tmp_path


@pytest.mark.parametrize(
    ("text", "message"), REFUSED, ids=["bomb", "deep", "aliases", "self", "huge"]
)
def test_yaml_past_a_bound_is_a_problem_naming_the_bound(
    folder: Path, text: str, message: str
) -> None:
    started = time.monotonic()
    with pytest.raises(SpecError) as caught:
        load_pipeline_text(text, folder / "p.yaml")
    assert time.monotonic() - started < 5  # a bound, not a speed test: it was 45 s
    [problem] = caught.value.problems
    assert message in problem.message, problem
    assert problem.file == str(folder / "p.yaml")


def test_anchors_and_aliases_within_the_bounds_keep_working(folder: Path) -> None:
    text = """\
    name: p
    steps:
      - name: a
        notebook: n.ipynb
        parameters: &shared {region: eu, days: [1, 2]}
      - name: b
        notebook: n.ipynb
        parameters:
          <<: *shared
          days: [3]
    """
    import textwrap

    loaded = load_pipeline_text(textwrap.dedent(text), folder / "p.yaml")
    a, b = loaded.spec.steps
    assert a.parameters == {"region": "eu", "days": [1, 2]}
    assert b.parameters == {"region": "eu", "days": [3]}


def test_the_cli_exits_2_with_the_bound(folder: Path) -> None:
    for name, (text, message) in zip(("bomb", "deep"), REFUSED[:2], strict=True):
        path = folder / f"{name}.yaml"
        path.write_text(text)
        result = subprocess.run(
            [sys.executable, "-m", "jupyter_orch.cli", "validate", str(path)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 2, result
        assert message in result.stderr, result.stderr
        assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("[" * 600 + "]" * 600, "nested too deep"),
        ("[&a [1,1,1,1,1,1,1,1,1,1], " + ", ".join(["*a"] * 20000) + "]", "aliases expand"),
        ("1" + "0" * 5000, "cannot be read"),
    ],
)
def test_cli_parameter_values_are_read_within_the_bounds(value: str, message: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=message):
        parse_param(f"x={value}")


def test_every_yaml_load_in_the_package_is_bounded() -> None:
    """A new ``YAML(...).load`` would bypass the bounds: only ``yaml_load`` may create one."""
    package = Path(__file__).parent.parent / "jupyter_orch"
    offenders = [
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if "YAML(" in path.read_text() and path.name != "yaml_load.py"
    ]
    assert offenders == []


# --- any document through validate -----------------------------------------------------------

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
)
_DATA = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
#: Pieces of YAML syntax, so that generated text reaches the parser's corners (anchors,
#: aliases, tags, merge keys, flow and block collections, directives, documents).
_TOKENS = st.sampled_from(
    [
        "name: p\n",
        "steps:\n",
        "  - ",
        "name: s",
        "notebook: n.ipynb",
        "parameters: ",
        "\n",
        "  ",
        "- ",
        ": ",
        "? ",
        "[",
        "]",
        "{",
        "}",
        ", ",
        "&a ",
        "*a",
        "&b ",
        "*b",
        "<<: ",
        "!!str ",
        "!!int ",
        "!!float ",
        "!!timestamp ",
        "!!binary ",
        "!!set ",
        "!!omap ",
        "!!python/name:os.system ",
        "!custom ",
        "|\n",
        ">\n",
        "'",
        '"',
        "#",
        "---\n",
        "...\n",
        "%YAML 1.1\n",
        "%TAG ! x\n",
        "{{ params.x }}",
        "{% for %}",
        "1e400",
        ".nan",
        ".inf",
        "0x",
        "2020-13-45",
        "\t",
        "\\",
        "99999999999999999999999",
        "\ud7ff",
        "\x00",
        "\ufeff",
        "~",
        "null",
        "true",
        "on",
    ]
)
_PIPELINES = st.fixed_dictionaries(
    {
        "name": st.one_of(st.just("p"), st.text(max_size=10)),
        "steps": st.lists(
            st.fixed_dictionaries(
                {"name": st.text(max_size=6), "notebook": st.just("n.ipynb")},
                optional={
                    "parameters": st.dictionaries(st.text(max_size=5), _DATA, max_size=3),
                    "needs": st.lists(st.text(max_size=4), max_size=2),
                    "if": st.text(max_size=15),
                    "retries": _SCALARS,
                    "timeout": _SCALARS,
                },
            ),
            max_size=3,
        ),
    },
    optional={
        "parameters": st.dictionaries(st.text(max_size=5), _DATA, max_size=3),
        "schedule": _DATA,
    },
)


def _dumped(data: Any) -> str:
    out = io.StringIO()
    YAML(typ="safe", pure=True).dump(data, out)
    return out.getvalue()


def _nested(depth: int, open_: str, close: str) -> str:
    return "x: " + open_ * depth + close * depth + "\n"


def _bomb(width: int, levels: int) -> str:
    lines = ["a0: &a0 [" + ", ".join(["x"] * width) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


YAML_DOCUMENTS = st.one_of(
    st.text(max_size=200),
    st.lists(_TOKENS, max_size=40).map("".join),
    _DATA.map(_dumped),
    _PIPELINES.map(_dumped),
    st.builds(
        _nested, st.integers(1, 3000), st.sampled_from(["[", "{a: "]), st.sampled_from(["]", "}"])
    ),
    st.builds(_bomb, st.integers(1, 12), st.integers(1, 12)),
)
#: CPU seconds one document may cost: the time of the thread that reads it, which other test
#: workers sharing the CPUs do not stretch as they stretch wall time, and which other threads of
#: this worker (a kernel client's zmq I/O thread left by an earlier test) do not add to as they add
#: to the process's time. Stop 31's CI failed a trivial document at 1.04 s of process time that
#: took milliseconds when hypothesis ran it again. A bomb costs seconds to minutes.
EXAMPLE_SECONDS = 1.0
PROPERTY = settings(
    max_examples=300,
    deadline=None,  # timed below, per example, without hypothesis' first-run allowance
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@contextlib.contextmanager
def within_a_cpu_second(text: str) -> Iterator[None]:
    """Fail unless the block costs this thread under EXAMPLE_SECONDS of CPU. The cyclic
    collector waits outside the block: a full collection of a worker's heap, which 1,400 tests
    grew, is not the document's work."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        started = time.thread_time()
        yield
        spent = time.thread_time() - started
    finally:
        if enabled:
            gc.enable()
    assert spent < EXAMPLE_SECONDS, text[:300]


def for_any_yaml_document(test: Callable[..., None]) -> Callable[..., None]:
    """``test(text, ...)`` as a property of the documents YAML_DOCUMENTS draws, run as
    PROPERTY says."""
    return PROPERTY(given(text=YAML_DOCUMENTS)(test))


@for_any_yaml_document
def test_any_yaml_document_validates_or_is_a_spec_error_within_a_second(
    text: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = _notebook_folder(tmp_path_factory)
    with within_a_cpu_second(text):
        try:
            load_pipeline_text(text, folder / "p.yaml", thorough=True)
        except SpecError as exc:
            assert exc.problems and all(p.message for p in exc.problems)


@for_any_yaml_document
def test_any_yaml_document_through_the_cli_exits_0_or_2_within_a_second(
    text: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = _notebook_folder(tmp_path_factory)
    path = folder / "cli.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    with (
        within_a_cpu_second(text),
        contextlib.redirect_stdout(io.StringIO()),
        contextlib.redirect_stderr(io.StringIO()),
    ):
        code = main(["validate", str(path), "--json"])
    assert code in (0, 2)


_FOLDER: list[Path] = []


def _notebook_folder(factory: pytest.TempPathFactory) -> Path:
    """One folder with the notebook, shared by every example (hypothesis reruns the test)."""
    if not _FOLDER:
        folder = factory.mktemp("yaml-property")
        write_notebook(folder / "n.ipynb", "x = 1")
        _FOLDER.append(folder)
    return _FOLDER[0]


def test_load_yaml_refuses_before_reading_a_document_past_the_size() -> None:
    with pytest.raises(Exception, match="document too large"):
        load_yaml("x" * (MAX_YAML_CHARS + 1))
    assert load_yaml(json.dumps({"a": [1, 2]})) == {"a": [1, 2]}
