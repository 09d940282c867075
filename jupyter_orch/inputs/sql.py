"""SQL text as a query step binds it: statements, their ``:name`` parameters, and the text
SQLAlchemy is given.

SQLAlchemy's ``text()`` takes any ``:word`` for a parameter, inside a string literal or a
comment too. Here the SQL is read with sqlparse: only real placeholders are parameters;
comments are dropped and every other colon is escaped (``\\:``), so ``'10:30'``, ``' :x'``
and ``-- uses :since`` stay what they are.
"""

from __future__ import annotations

# sqlparse is imported by the functions that read SQL: a pipeline without SQL needs none of it

#: Statements whose first word says they return rows (streamed with a server-side cursor).
ROW_STATEMENTS = frozenset({"SELECT"})


def split_statements(sql: str) -> list[str]:
    """The statements of ``sql``, comments and empty statements left out."""
    import sqlparse

    found = []
    for statement in sqlparse.split(sql):
        if sqlparse.format(statement, strip_comments=True).strip().rstrip(";").strip():
            found.append(statement)
    return found


def bindable(statement: str) -> tuple[str, list[str]]:
    """The statement as SQLAlchemy's ``text()`` must be given it, and the names of its
    ``:name`` parameters, in order of first use."""
    import sqlparse
    from sqlparse import tokens

    parts: list[str] = []
    names: list[str] = []
    for token in sqlparse.parse(statement)[0].flatten():
        if token.ttype in tokens.Comment:
            parts.append(" " if token.ttype is tokens.Comment.Multiline else "\n")
        elif token.ttype is tokens.Name.Placeholder and token.value.startswith(":"):
            name = token.value[1:]
            if name.isidentifier() and name not in names:
                names.append(name)
            parts.append(token.value)
        else:
            parts.append(token.value.replace(":", "\\:"))
    return "".join(parts), names


def returns_rows(statement: str) -> bool:
    """Whether the statement is a query (``SELECT``, ``WITH ... SELECT``)."""
    import sqlparse

    return sqlparse.parse(statement)[0].get_type() in ROW_STATEMENTS


def parameter_names(sql: str) -> list[str]:
    """Every ``:name`` the statements of ``sql`` use."""
    names: list[str] = []
    for statement in split_statements(sql):
        names += [n for n in bindable(statement)[1] if n not in names]
    return names
