"""Query steps: SQL with bound parameters, in one transaction, rows streamed to Parquet.

``spec``: ``sql`` (the text), ``url`` (resolved; never shown unmasked), ``parameters`` (bound
as SQLAlchemy parameters, ``:name``; a list expands for ``IN :ids``), ``output`` (the Parquet
file), ``step``. Several statements run in one transaction; the last one that returns rows is
streamed, a chunk at a time, into ``output``. Outputs: ``records_count``, ``columns`` and
``path`` for rows; ``records_count`` (rows affected) otherwise.

A timeout or cancel interrupts the process (``KeyboardInterrupt``): the query is then cancelled
on the server from a second connection (PostgreSQL, MySQL, MariaDB), and the server's own
statement limit, set from the step's timeout, ends it should the process be killed first.
"""

from __future__ import annotations

import contextlib
from typing import Any

import pyarrow as pa
import sqlalchemy as sa

from ..connections import redact_url
from ..inputs.sql import bindable, returns_rows, split_statements
from .report import PREVIEW_ROWS, Report
from .tables import CHUNK_ROWS, BatchBuilder, FileWriter

#: Seconds past the step's timeout at which the server ends a statement by itself.
SERVER_LIMIT_MARGIN_S = 2.0


def bound(statement: str, parameters: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """The statement as a SQLAlchemy text clause, with the parameters it names."""
    text, names = bindable(statement)
    clause = sa.text(text)
    given = {k: v for k, v in parameters.items() if k in names}
    missing = set(names) - set(given)
    if missing:
        raise ValueError(
            f"the SQL uses :{', :'.join(sorted(missing))}; give them under the step's parameters"
        )
    expanding: list[Any] = [
        sa.bindparam(k, expanding=True) for k, v in given.items() if isinstance(v, list)
    ]
    return (clause.bindparams(*expanding) if expanding else clause), given


def run_query(spec: dict[str, Any], report: Report, timeout: float | None) -> dict[str, Any]:
    url = spec["url"]
    parameters = dict(spec.get("parameters") or {})
    report.markdown(f"Connection: `{redact_url(url)}`")
    report.code(spec["sql"], "sql")
    if parameters:
        report.values("bound parameters", parameters)
    report.save()
    engine = sa.create_engine(url, **_engine_options(url, spec.get("step", "")))
    try:
        with engine.connect() as conn:
            session = _session_id(conn)
            try:
                return _execute(conn, spec, parameters, report, timeout)
            except KeyboardInterrupt:
                _cancel(engine, session)
                raise
    finally:
        engine.dispose()


def _execute(
    conn: sa.Connection,
    spec: dict[str, Any],
    parameters: dict[str, Any],
    report: Report,
    timeout: float | None,
) -> dict[str, Any]:
    outputs: dict[str, Any] = {}
    affected = 0
    with conn.begin():
        _server_limit(conn, timeout)
        for text in split_statements(spec["sql"]):
            clause, values = bound(text, parameters)
            streams = returns_rows(text)
            options = {"stream_results": True, "max_row_buffer": CHUNK_ROWS} if streams else {}
            result = conn.execution_options(**options).execute(clause, values)
            if result.returns_rows:
                outputs = _stream(result, spec["output"], report)
            elif result.rowcount and result.rowcount > 0:
                affected += result.rowcount
    if not outputs:
        outputs = {"records_count": affected}
        report.values("rows affected", outputs)
    return outputs


def _stream(result: sa.CursorResult[Any], output: str, report: Report) -> dict[str, Any]:
    columns = list(result.keys())
    builder = BatchBuilder(columns)
    writer = FileWriter(output)
    preview: list[tuple[Any, ...]] = []
    try:
        for rows in result.partitions(CHUNK_ROWS):
            if len(preview) < PREVIEW_ROWS:
                preview.extend(tuple(r) for r in rows[: PREVIEW_ROWS - len(preview)])
            writer.write(builder.batch(rows))
        # An empty result still names its columns (as text: no value tells their type)
        writer.close(builder.schema or pa.schema([pa.field(c, pa.string()) for c in columns]))
    except BaseException:
        writer.abandon()
        raise
    report.rows(columns, preview, writer.rows)
    return {"records_count": writer.rows, "columns": columns, "path": output}


def _engine_options(url: str, step: str) -> dict[str, Any]:
    name = sa.make_url(url).get_backend_name()
    if name == "postgresql":
        # Named, so that an operator (and our tests) can tell our sessions apart.
        return {"connect_args": {"application_name": f"jupyter-orch {step}"[:63]}}
    return {}


def _session_id(conn: sa.Connection) -> Any:
    """The server's id of this session, to cancel its query from another one."""
    asks = {"postgresql": "SELECT pg_backend_pid()", "mysql": "SELECT CONNECTION_ID()"}
    ask = asks.get("mysql" if conn.dialect.name == "mariadb" else conn.dialect.name)
    if ask is None:
        return None
    try:
        return conn.exec_driver_sql(ask).scalar()
    except Exception:
        return None
    finally:
        conn.rollback()  # the statements run in a transaction of their own


def _server_limit(conn: sa.Connection, timeout: float | None) -> None:
    """The server ends the statement a little after the step's timeout, on its own."""
    if not timeout:
        return
    limit = timeout + SERVER_LIMIT_MARGIN_S
    name = conn.dialect.name
    if name == "postgresql":
        conn.exec_driver_sql(f"SET LOCAL statement_timeout = {int(limit * 1000)}")
    elif name in ("mysql", "mariadb"):
        mariadb = "mariadb" in str(conn.exec_driver_sql("SELECT VERSION()").scalar()).lower()
        if mariadb:
            conn.exec_driver_sql(f"SET SESSION max_statement_time = {limit:.3f}")
        else:
            conn.exec_driver_sql(f"SET SESSION max_execution_time = {int(limit * 1000)}")


def _cancel(engine: sa.Engine, session: Any) -> None:
    """Cancel the session's running statement from a second connection."""
    if session is None:
        return
    name = engine.dialect.name
    with contextlib.suppress(Exception), engine.connect() as other:
        if name == "postgresql":
            other.execute(sa.text("SELECT pg_cancel_backend(:pid)"), {"pid": int(session)})
        elif name in ("mysql", "mariadb"):
            other.exec_driver_sql(f"KILL QUERY {int(session)}")
