"""The tables a query step's SQL reads and writes (sqlglot's scopes: CTE names are not tables)."""

from __future__ import annotations

import pytest

from jupyter_orch.datasets.sql import SqlDatasets, dialect_of, sql_datasets


@pytest.mark.parametrize(
    ("sql", "dialect", "inputs", "outputs"),
    [
        (
            "WITH orders AS (SELECT * FROM raw.orders o JOIN customers c ON o.c = c.id) "
            "SELECT * FROM orders WHERE x IN (SELECT y FROM other)",
            "postgres",
            {"raw.orders", "customers", "other"},
            set(),
        ),
        (
            "INSERT INTO mart.daily (day, total) SELECT d, sum(t) FROM a "
            "JOIN (SELECT * FROM b) t ON a.id = t.id GROUP BY d",
            "postgres",
            {"a", "b"},
            {"mart.daily"},
        ),
        (
            "CREATE TABLE x AS WITH t AS (SELECT 1 AS n FROM src) SELECT * FROM t",
            "sqlite",
            {"src"},
            {"x"},
        ),
        ("UPDATE tgt SET a = s.a FROM src s WHERE tgt.id = s.id", "postgres", {"src"}, {"tgt"}),
        (
            "MERGE INTO tgt USING src ON tgt.id = src.id WHEN MATCHED THEN UPDATE SET a = src.a",
            "postgres",
            {"src"},
            {"tgt"},
        ),
        (
            "SELECT * FROM `shop`.`orders` WHERE id > 1; DELETE FROM stale WHERE id < 1",
            "mysql",
            {"shop.orders"},
            {"stale"},
        ),
    ],
)
def test_tables_read_and_written(
    sql: str, dialect: str, inputs: set[str], outputs: set[str]
) -> None:
    found = sql_datasets(sql, dialect)
    assert (set(found.inputs), set(found.outputs)) == (inputs, outputs)


def test_sql_that_does_not_parse_yields_nothing() -> None:
    assert sql_datasets("SELEC FROM WHERE ((", "postgres") == SqlDatasets()
    assert sql_datasets("SELECT " + "(" * 5000 + "1" + ")" * 5000) == SqlDatasets()


def test_the_dialect_of_a_connection_url() -> None:
    assert dialect_of("postgresql+psycopg://u@h/db") == "postgres"
    assert dialect_of("mysql+pymysql://root@127.0.0.1/test") == "mysql"
    assert dialect_of("sqlite:///x.db") == "sqlite"
    assert dialect_of("weird://x") is None
