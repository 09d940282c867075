"""What a step runs: the fields of the four step kinds (part of the pipeline file contract).

A step has exactly one of ``notebook`` (a transform), ``sql`` (a query), ``python`` (a
function) and ``export``; ``spec.StepSpec`` holds them and checks that. Pure data and the rules
of a single value; files and connections are checked by ``pipelines.kind_checks``.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Annotated, Any

from pydantic import (
    BeforeValidator,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .connections import check_connection_ref
from .spec_base import SpecModel, stored
from .spec_notify import Targets

#: The kinds, by the key that names what a step runs.
KIND_KEYS = {"notebook": "notebook", "sql": "query", "python": "function", "export": "export"}
#: ``FILE.py:FUNCTION`` or ``package.module:function``.
PYTHON_REF = re.compile(r"^(?P<target>[^:]+?):(?P<function>[A-Za-z_][A-Za-z0-9_]*)$")
#: File formats an export reads and writes, by extension.
FILE_FORMATS = (".csv", ".parquet", ".jsonl")
TABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$")


def has_template(text: str) -> bool:
    return "{{" in text or "{%" in text


def connection_field(value: str, info: ValidationInfo) -> str:
    """A step's or trigger's ``connection``: a name, ``${ENV}`` or a URL without a password."""
    return check_connection_ref(value, allow_password=stored(info))


class SqlFile(SpecModel):
    """``sql: {file: queries/new_users.sql}``: the SQL is read from a file as the step starts."""

    file: str = Field(min_length=1)


def _sql_text(value: Any) -> Any:
    if isinstance(value, str):
        if not value.strip():
            raise ValueError("the SQL is empty; write a statement or {file: path.sql}")
        if has_template(value):
            raise ValueError(
                "templates are not allowed in SQL text (they would be pasted into the query); "
                "write :name and give its value under the step's parameters"
            )
    return value


SqlSource = Annotated[str | SqlFile, BeforeValidator(_sql_text)]


class IfExists(str, Enum):
    """What an export into a table does when the table is there."""

    APPEND = "append"
    REPLACE = "replace"
    FAIL = "fail"


def _as_tuple(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


class ExportTarget(SpecModel):
    """``to:`` of an export: a table (with its connection), a file, or notification channels
    (``notify:``, with a ``subject``)."""

    table: str | None = None
    connection: str | None = None
    if_exists: IfExists = IfExists.APPEND
    #: Columns identifying a row: rows with the same key are updated (an upsert).
    key: Annotated[tuple[str, ...], BeforeValidator(_as_tuple)] = ()
    file: str | None = None
    notify: Targets = ()
    subject: str | None = Field(None, min_length=1, max_length=1000)

    _connection = field_validator("connection")(connection_field)

    @field_validator("table")
    @classmethod
    def _table(cls, value: str | None) -> str | None:
        if value is not None and not TABLE_NAME.match(value):
            raise ValueError(
                f"table {value!r} is not a table name (letters, digits, _; schema.table allowed)"
            )
        return value

    @field_validator("file")
    @classmethod
    def _file(cls, value: str | None) -> str | None:
        if value is not None:
            check_format(value, "to.file")
        return value

    @model_validator(mode="after")
    def _one_target(self) -> ExportTarget:
        given = [self.table is not None, self.file is not None, bool(self.notify)]
        if sum(given) != 1:
            raise ValueError(
                "give one of `table` (with `connection`), `file` or `notify` (channels)"
            )
        if self.subject is not None and not self.notify:
            raise ValueError("`subject` goes with `notify`")
        if self.table is not None and not self.connection:
            raise ValueError("an export into a table needs `connection`")
        if self.file is not None and (self.connection or self.key):
            raise ValueError("`connection` and `key` go with `table`, not with `file`")
        if self.key and self.if_exists is IfExists.REPLACE:
            raise ValueError("`key` upserts into the table; it does not go with if_exists: replace")
        return self


def check_format(path: str, field: str) -> str:
    """``path`` if its extension names a format we read and write (a template that ends
    otherwise is checked once rendered, as the step starts)."""
    if not path.lower().endswith(FILE_FORMATS) and not path.rstrip().endswith(("}}", "%}")):
        raise ValueError(
            f"{field} {path!r} must end with {', '.join(FILE_FORMATS)} (the format comes from "
            "the extension)"
        )
    return path


class ExportSpec(SpecModel):
    """``export: {from: <file>, to: {...}}``: a CSV, Parquet or JSON-lines file, loaded into a
    table or written as a file; or a message (``message``, files to ``attach``) sent to
    notification channels (``to: {notify: [...], subject: ...}``)."""

    from_: str | None = Field(None, alias="from", min_length=1)
    to: ExportTarget
    message: str | None = Field(None, max_length=100_000)
    attach: Annotated[tuple[str, ...], BeforeValidator(_as_tuple)] = Field((), max_length=20)

    @field_validator("from_")
    @classmethod
    def _from(cls, value: str | None) -> str | None:
        return None if value is None else check_format(value, "from")

    @model_validator(mode="after")
    def _what(self) -> ExportSpec:
        if self.to.notify:
            if self.message is None:
                raise ValueError("a message to `notify` needs `message` (its text)")
            if self.from_ is not None:
                raise ValueError("a message to `notify` takes files under `attach`, not `from`")
        else:
            if self.from_ is None:
                raise ValueError("an export needs `from` (the file it reads)")
            if self.message is not None or self.attach:
                raise ValueError("`message` and `attach` go with `to: {notify: ...}`")
        return self


def check_python_ref(value: str) -> str:
    """``FILE.py:FUNCTION`` (relative to the pipeline file) or ``package.module:function``."""
    match = PYTHON_REF.match(value.strip())
    if match is None:
        raise ValueError(
            f"python {value!r} must be FILE.py:FUNCTION (a file beside the pipeline) or "
            "package.module:function"
        )
    target = match.group("target")
    if not target.endswith(".py") and not all(part.isidentifier() for part in target.split(".")):
        raise ValueError(f"python {value!r}: {target!r} is neither a .py file nor a module path")
    return value.strip()


def python_target(value: str) -> tuple[str, str]:
    """(the file or module, the function) of a checked ``python:`` value."""
    match = PYTHON_REF.match(value)
    assert match is not None
    return match.group("target"), match.group("function")


def names_list(value: Any) -> Any:
    return _as_tuple(value)


NameList = Annotated[tuple[str, ...], BeforeValidator(names_list)]
