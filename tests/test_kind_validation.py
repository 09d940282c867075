"""``validate`` on the mistakes of query, function and export steps: each names its field and
line and says what to fix; nothing connects to a database or runs the user's code."""

from __future__ import annotations

from pathlib import Path

import pytest

from jupyter_orch.connections import Connections
from jupyter_orch.errors import SpecError
from jupyter_orch.pipelines.loader import load_pipeline

from .conftest import write_steps

DEFINED = Connections({"warehouse": "sqlite:///w.db"}, environ={})


def problems(tmp_path: Path, steps: str, head: str = "") -> list[str]:
    path = write_steps(tmp_path, "p", steps, head)
    with pytest.raises(SpecError) as info:
        load_pipeline(path, connections=DEFINED)
    return [f"{p.line}: {p.path}: {p.message}" for p in info.value.problems]


FUNCTIONS = """
def per_day(path, minimum=0):
    return None

def strict(*, a, b=1):
    return None

def anything(**kwargs):
    return None

async def later():
    return None
"""


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        (
            "- {name: q, sql: select 1, connection: nowhere}",
            "3: steps[0].connection: connection 'nowhere' is not defined (defined: warehouse); "
            "set JUPYTER_ORCH_CONN_NOWHERE or c.OrchApp.connections",
        ),
        (
            "- {name: q, sql: {file: missing.sql}, connection: warehouse}",
            "3: steps[0].sql.file: sql file 'missing.sql' not found",
        ),
        (
            "- {name: q, sql: \"select * from t where d > '{{ params.x }}'\", connection: warehouse}",
            "3: steps[0].sql: templates are not allowed in SQL text (they would be pasted into "
            "the query); write :name and give its value under the step's parameters",
        ),
        (
            "- {name: q, sql: select * from t where a = :a, connection: warehouse}",
            "3: steps[0].sql: the SQL uses :a; give a value under `parameters`",
        ),
        (
            "- {name: q, sql: select 1}",
            "3: steps[0]: a `sql` step needs `connection` (a connection name or a URL)",
        ),
        (
            "- {name: q, sql: select 1, connection: 'postgresql://u:s3cret@h/db'}",
            "3: steps[0].connection: connection: a URL with a password would be stored with every "
            "version of the pipeline; define a named connection (JUPYTER_ORCH_CONN_<NAME> or "
            "c.OrchApp.connections) or give ${ENV_VAR}",
        ),
        (
            "- {name: f, python: 'functions.py:missing'}",
            "3: steps[0].python: functions.py defines no function 'missing' (at its top level)",
        ),
        (
            "- {name: f, python: 'nofile.py:f'}",
            "3: steps[0].python: python file 'nofile.py' not found",
        ),
        (
            "- {name: f, python: 'functions.py:per_day', parameters: {path: x, colour: red}}",
            "3: steps[0].python: per_day() takes no parameter 'colour' (it takes: path, minimum)",
        ),
        (
            "- {name: f, python: 'functions.py:per_day'}",
            "3: steps[0].python: per_day() needs 'path'; give them under `parameters`",
        ),
        (
            "- {name: f, python: 'functions.py:strict', parameters: {b: 2}}",
            "3: steps[0].python: strict() needs 'a'; give them under `parameters`",
        ),
        (
            "- {name: f, python: 'functions.py:later'}",
            "3: steps[0].python: later in functions.py is async; a function step calls a plain def",
        ),
        (
            "- {name: f, python: 'per_day'}",
            "3: steps[0].python: python 'per_day' must be FILE.py:FUNCTION (a file beside the "
            "pipeline) or package.module:function",
        ),
        (
            "- {name: x, notebook: a.ipynb, sql: select 1, connection: warehouse}",
            "3: steps[0]: a step runs exactly one of `notebook`, `sql`, `python`, `export` (this "
            "one has `notebook` and `sql`)",
        ),
        (
            "- {name: x, parameters: {a: 1}}",
            "3: steps[0]: a step runs exactly one of `notebook`, `sql`, `python`, `export` (this "
            "one has none)",
        ),
        (
            "- {name: e, export: {from: a.xlsx, to: {file: b.csv}}}",
            "3: steps[0].export.from: from 'a.xlsx' must end with .csv, .parquet, .jsonl (the "
            "format comes from the extension)",
        ),
        (
            "- {name: e, export: {from: a.csv, to: {table: t, connection: warehouse, if_exists: merge}}}",
            "3: steps[0].export.to.if_exists: 'merge' is not one of 'append', 'replace' or 'fail'",
        ),
        (
            "- {name: e, export: {from: a.csv, to: {table: t}}}",
            "3: steps[0].export.to: an export into a table needs `connection`",
        ),
        (
            "- {name: e, export: {from: a.csv, to: {table: t, connection: elsewhere}}}",
            "3: steps[0].export.to.connection: connection 'elsewhere' is not defined (defined: "
            "warehouse); set JUPYTER_ORCH_CONN_ELSEWHERE or c.OrchApp.connections",
        ),
        (
            "- {name: e, export: {from: a.csv, to: {file: ../../outside.csv}}}",
            "",  # inside the root: checked with a root below
        ),
    ],
)
def test_each_kinds_mistakes_are_named_with_field_and_line(
    tmp_path: Path, steps: str, expected: str
) -> None:
    (tmp_path / "functions.py").write_text(FUNCTIONS)
    if not expected:
        path = write_steps(tmp_path, "p", steps)
        load_pipeline(path, connections=DEFINED)  # no root: the CLI's files are its user's
        with pytest.raises(SpecError) as info:
            load_pipeline(path, connections=DEFINED, root=tmp_path)
        assert "outside the server's root folder" in info.value.problems[0].message
        return
    assert expected in problems(tmp_path, steps)


def test_a_function_file_is_parsed_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    (tmp_path / "f.py").write_text(
        f"import pathlib\npathlib.Path({str(marker)!r}).write_text('1')\ndef f():\n    pass\n"
    )
    load_pipeline(write_steps(tmp_path, "p", "- {name: f, python: 'f.py:f'}"))
    assert not marker.exists()


def test_connection_names_of_the_pipeline_and_its_triggers_must_be_defined(
    tmp_path: Path,
) -> None:
    found = problems(
        tmp_path,
        "- {name: q, sql: select 1, connection: warehouse}",
        head="connections: [warehouse, crm]\non:\n  sql: {connection: ledger, query: select 1}",
    )
    assert any(p.startswith("2: connections[1]: connection 'crm' is not defined") for p in found)
    assert any(p.startswith("4: on.sql.connection: connection 'ledger'") for p in found), found


def test_a_variable_defines_a_connection_name(tmp_path: Path) -> None:
    path = write_steps(tmp_path, "p", "- {name: q, sql: select 1, connection: ledger}")
    env = {"JUPYTER_ORCH_CONN_LEDGER": "sqlite:///l.db"}
    loaded = load_pipeline(path, connections=Connections({}, environ=env))
    assert loaded.spec.steps[0].kind == "query"
    assert Connections({}, environ=env).names() == ["ledger"]


def test_secrets_are_names_never_values(tmp_path: Path) -> None:
    found = problems(
        tmp_path, "- {name: f, python: 'functions.py:anything'}", head="secrets: ['xoxb-1234 5']"
    )
    assert any("list the names of environment variables" in p for p in found), found
    assert not any("xoxb" in p for p in found)


def test_colons_in_comments_and_literals_are_not_parameters(tmp_path: Path) -> None:
    steps = """
    - name: q
      connection: warehouse
      sql: |
        -- new users since :since (a comment)
        SELECT '10:30', x::int FROM t
    """
    loaded = load_pipeline(write_steps(tmp_path, "p", steps), connections=DEFINED)
    assert loaded.spec.steps[0].kind == "query"
