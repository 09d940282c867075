"""Tabular data in chunks: rows to Arrow batches, files (CSV, Parquet, JSON lines) read and
written batch by batch, batches loaded into a database table. Nothing here holds a whole data
set in memory."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import sqlalchemy as sa

#: Rows per chunk read from a database, a file, or sent to a database.
CHUNK_ROWS = 10_000


def file_format(path: str | Path) -> str:
    """``csv``, ``parquet`` or ``jsonl``, from the extension (checked when the pipeline loads)."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in ("csv", "parquet", "jsonl"):
        raise ValueError(f"{path}: the format comes from the extension: .csv, .parquet or .jsonl")
    return suffix


class BatchBuilder:
    """Rows (tuples) to Arrow record batches of one schema, the first chunk's.

    A column whose first chunk holds only NULLs is text: its later values are written as text.
    """

    def __init__(self, columns: Sequence[str]) -> None:
        self.columns = [str(c) for c in columns]
        self.schema: pa.Schema | None = None

    def batch(self, rows: Sequence[Sequence[Any]]) -> pa.RecordBatch:
        values = [[row[i] for row in rows] for i in range(len(self.columns))]
        if self.schema is None:
            arrays = [self._first(column) for column in values]
            self.schema = pa.schema(
                [pa.field(n, a.type) for n, a in zip(self.columns, arrays, strict=True)]
            )
            return pa.RecordBatch.from_arrays(arrays, schema=self.schema)
        arrays = [
            self._next(column, field) for column, field in zip(values, self.schema, strict=True)
        ]
        return pa.RecordBatch.from_arrays(arrays, schema=self.schema)

    @staticmethod
    def _first(values: list[Any]) -> pa.Array:
        array = pa.array(values, from_pandas=True)
        if pa.types.is_null(array.type):
            return pa.array([None] * len(values), type=pa.string())
        if pa.types.is_decimal(array.type):  # room for later values with more digits
            return array.cast(pa.decimal128(38, array.type.scale))
        return array

    @staticmethod
    def _next(values: list[Any], field: pa.Field) -> pa.Array:
        if pa.types.is_string(field.type):
            values = [None if v is None else str(v) for v in values]
        try:
            return pa.array(values, type=field.type, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError) as exc:
            raise ValueError(
                f"column {field.name!r}: later values do not fit the type of the first "
                f"{CHUNK_ROWS} rows ({field.type}): {exc}"
            ) from None


def read_batches(path: str | Path) -> Iterator[pa.RecordBatch]:
    """The file's records, a chunk at a time; a file without records gives one empty batch
    (its columns still say what a table made from it holds)."""
    fmt = file_format(path)
    if fmt == "parquet":
        import pyarrow.parquet as pq

        file = pq.ParquetFile(path)
        batches: Iterable[pa.RecordBatch] = file.iter_batches(batch_size=CHUNK_ROWS)
        schema = file.schema_arrow
    elif fmt == "csv":
        import pyarrow.csv as pcsv

        batches = reader = pcsv.open_csv(path)
        schema = reader.schema
    else:
        import pyarrow.json as pjson

        batches = reader = pjson.open_json(path)
        schema = reader.schema
    empty = True
    for batch in batches:
        empty = False
        yield batch
    if empty:
        yield pa.RecordBatch.from_pylist([], schema=schema)


class FileWriter:
    """Batches to a CSV, Parquet or JSON-lines file, written through a temporary file that
    replaces the target once complete (a reader never sees half a file)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.format = file_format(path)
        self.partial = self.path.with_name(f".{self.path.name}.partial")
        self._writer: Any = None
        self._jsonl: Any = None
        self.rows = 0

    def write(self, batch: pa.RecordBatch) -> None:
        if self.format == "jsonl":
            if self._jsonl is None:
                self._jsonl = open(self.partial, "w", encoding="utf-8")  # noqa: SIM115
            for record in batch.to_pylist():
                self._jsonl.write(json.dumps(record, default=_json_default) + "\n")
        else:
            if self._writer is None:
                self._writer = self._open(batch.schema)
            self._writer.write_batch(batch)
        self.rows += batch.num_rows

    def _open(self, schema: pa.Schema) -> Any:
        if self.format == "parquet":
            import pyarrow.parquet as pq

            return pq.ParquetWriter(self.partial, schema)
        import pyarrow.csv as pcsv

        return pcsv.CSVWriter(self.partial, schema)

    def close(self, schema: pa.Schema | None = None) -> None:
        """Finish the file (an empty result still makes one, with ``schema`` if known)."""
        if self._writer is None and self._jsonl is None:
            if self.format == "jsonl":
                self.partial.write_text("")
            else:
                self._writer = self._open(schema or pa.schema([]))
        for handle in (self._writer, self._jsonl):
            if handle is not None:
                handle.close()
        self.partial.replace(self.path)

    def abandon(self) -> None:
        for handle in (self._writer, self._jsonl):
            if handle is not None:
                handle.close()
        self.partial.unlink(missing_ok=True)


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    return str(value)


# --- into a table -------------------------------------------------------------------------------


def sql_type(arrow_type: pa.DataType, *, key: bool = False) -> sa.types.TypeEngine[Any]:
    """The column type a new table gets for an Arrow type (text keys get a length: MySQL
    cannot index TEXT)."""
    if pa.types.is_boolean(arrow_type):
        return sa.Boolean()
    if pa.types.is_integer(arrow_type):
        return sa.BigInteger()
    if pa.types.is_floating(arrow_type):
        return sa.Float()
    if pa.types.is_decimal(arrow_type):
        return sa.Numeric(arrow_type.precision, arrow_type.scale)
    if pa.types.is_timestamp(arrow_type):
        return sa.DateTime(timezone=arrow_type.tz is not None)
    if pa.types.is_date(arrow_type):
        return sa.Date()
    return sa.String(255) if key else sa.Text()


def split_table_name(name: str) -> tuple[str | None, str]:
    schema, dot, table = name.rpartition(".")
    return (schema if dot else None), table


def prepare_table(
    conn: sa.Connection, name: str, schema: pa.Schema, if_exists: str, key: Sequence[str]
) -> sa.Table:
    """The target table, created, replaced or reflected as ``if_exists`` says."""
    schema_name, table_name = split_table_name(name)
    missing = [k for k in key if k not in schema.names]
    if missing:
        raise ValueError(f"key column(s) {', '.join(missing)} not in the source's columns")
    exists = sa.inspect(conn).has_table(table_name, schema=schema_name)
    metadata = sa.MetaData(schema=schema_name)
    if exists and if_exists == "fail":
        raise ValueError(f"table {name} exists and the export says if_exists: fail")
    if exists and if_exists == "replace":
        sa.Table(table_name, metadata, autoload_with=conn).drop(conn)
        metadata = sa.MetaData(schema=schema_name)
        exists = False
    if exists:
        return sa.Table(table_name, metadata, autoload_with=conn)
    table = sa.Table(
        table_name,
        metadata,
        *(
            sa.Column(
                field.name,
                sql_type(field.type, key=field.name in key),
                primary_key=field.name in key,
                autoincrement=False,
            )
            for field in schema
        ),
    )
    table.create(conn)
    return table


def insert_statement(conn: sa.Connection, table: sa.Table, key: Sequence[str]) -> Any:
    """A plain insert, or with ``key`` the dialect's own upsert."""
    if not key:
        return table.insert()
    others = [c.name for c in table.columns if c.name not in key]
    dialect = conn.dialect.name
    if dialect in ("postgresql", "sqlite"):
        from sqlalchemy.dialects import postgresql, sqlite

        module: Any = postgresql if dialect == "postgresql" else sqlite
        statement = module.insert(table)
        if not others:
            return statement.on_conflict_do_nothing(index_elements=list(key))
        return statement.on_conflict_do_update(
            index_elements=list(key), set_={c: statement.excluded[c] for c in others}
        )
    if dialect in ("mysql", "mariadb"):
        from sqlalchemy.dialects import mysql

        upsert = mysql.insert(table)
        updates = {c: upsert.inserted[c] for c in others or list(key)}
        return upsert.on_duplicate_key_update(updates)
    raise ValueError(
        f"an export with `key` upserts with the database's own statement; {dialect} is not "
        "supported (PostgreSQL, SQLite, MySQL and MariaDB are)"
    )


def load_batches(
    conn: sa.Connection,
    name: str,
    batches: Iterable[pa.RecordBatch],
    if_exists: str,
    key: Sequence[str],
) -> int:
    """Load every batch into the table ``name`` (in the caller's transaction); rows sent."""
    table: sa.Table | None = None
    statement: Any = None
    count = 0
    for batch in batches:
        if table is None:
            table = prepare_table(conn, name, batch.schema, if_exists, key)
            statement = insert_statement(conn, table, key)
        if batch.num_rows:
            conn.execute(statement, batch.to_pylist())
            count += batch.num_rows
    if table is None:
        raise ValueError("the source file holds no records and no columns")
    return count
