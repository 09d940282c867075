"""The tables a SQL text reads and writes, from sqlglot's parse: scopes resolve what each FROM
names, so a CTE's name is never taken for a table; the target of INSERT, UPDATE, MERGE, DELETE
and CREATE TABLE AS is written. Best effort: SQL sqlglot cannot parse yields nothing (lineage
never fails a step). Run where the query runs (the step's own process), not in the server."""

from __future__ import annotations

from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.scope import traverse_scope

#: The sqlglot dialect of each SQLAlchemy URL scheme's backend (``postgresql+psycopg`` ->
#: ``postgresql``); others are parsed with sqlglot's own.
DIALECTS = {
    "postgresql": "postgres",
    "postgres": "postgres",
    "mysql": "mysql",
    "mariadb": "mysql",
    "sqlite": "sqlite",
    "mssql": "tsql",
    "oracle": "oracle",
    "snowflake": "snowflake",
    "bigquery": "bigquery",
    "duckdb": "duckdb",
    "redshift": "redshift",
    "trino": "trino",
    "databricks": "databricks",
}


@dataclass(frozen=True)
class SqlDatasets:
    """Tables as the SQL names them (``schema.table``), in the order first named."""

    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()


def dialect_of(url: str) -> str | None:
    scheme = url.partition(":")[0].partition("+")[0].lower()
    return DIALECTS.get(scheme)


def sql_datasets(sql: str, dialect: str | None = None) -> SqlDatasets:
    """The tables ``sql`` (one or more statements) reads and writes."""
    try:
        statements = sqlglot.parse(sql, read=dialect)
    except (SqlglotError, RecursionError, ValueError):
        return SqlDatasets()
    inputs: dict[str, None] = {}
    outputs: dict[str, None] = {}
    for statement in statements:
        if statement is None:
            continue
        target = _target(statement)
        if target is not None:
            outputs[_name(target)] = None
        try:
            scopes = traverse_scope(statement)
        except (SqlglotError, RecursionError, ValueError):
            continue
        for scope in scopes:
            for source in scope.sources.values():
                if isinstance(source, exp.Table) and source.name:
                    inputs[_name(source)] = None
    return SqlDatasets(tuple(inputs), tuple(outputs))


def _target(statement: exp.Expr) -> exp.Table | None:
    """The table a statement writes, if it writes one."""
    creates = isinstance(statement, exp.Create) and statement.kind in ("TABLE", "VIEW")
    if not creates and not isinstance(statement, (exp.Insert, exp.Update, exp.Merge, exp.Delete)):
        return None
    found = statement.this
    if isinstance(found, exp.Schema):  # INSERT INTO t (a, b) / CREATE TABLE t (a int)
        found = found.this
    return found if isinstance(found, exp.Table) and found.name else None


def _name(table: exp.Table) -> str:
    return ".".join(part for part in (table.catalog, table.db, table.name) if part)
