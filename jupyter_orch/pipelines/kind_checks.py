"""Static checks of query, function and export steps, as ``validate`` runs them.

Nothing here connects to a database or runs a line of the user's code: a function is found by
parsing its file (``ast``), a connection name by looking it up. Each check yields
``(field path, message)`` problems; the loader adds the lines.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from typing import Any

from jupyter_orch.connections import CONNECTION_NAME, Connections
from jupyter_orch.inputs.files import FileProblem, NamedPaths, PathError, read_text
from jupyter_orch.inputs.limits import MAX_YAML_FILE_BYTES
from jupyter_orch.inputs.sql import parameter_names
from jupyter_orch.spec_kinds import PYTHON_REF, has_template
from jupyter_orch.spec_notify import RUN_EVENTS

Problems = Iterator[tuple[tuple[Any, ...], str]]


def check_kinds(
    data: Mapping[str, Any],
    steps: list[tuple[int, Mapping[str, Any]]],
    paths: NamedPaths,
    connections: Connections,
) -> Problems:
    """Every problem of the pipeline's query, function and export steps and connection names."""
    names = data.get("connections")
    for index, name in enumerate(names if isinstance(names, list) else []):
        if isinstance(name, str):
            yield from _connection(connections, name, ("connections", index))
    on = data.get("on")
    sql = on.get("sql") if isinstance(on, Mapping) else None
    for index, trigger in enumerate(sql if isinstance(sql, list) else [sql]):
        if isinstance(trigger, Mapping) and isinstance(trigger.get("connection"), str):
            where = ("on", "sql", index) if isinstance(sql, list) else ("on", "sql")
            yield from _connection(connections, trigger["connection"], (*where, "connection"))
    yield from _channels(connections, data.get("notify"), ("notify",))
    files: dict[str, ast.Module | str] = {}  # each python file read and parsed once
    for index, step in steps:
        loc: tuple[Any, ...] = ("steps", index)
        yield from _channels(connections, step.get("notify"), (*loc, "notify"))
        parameters = step.get("parameters")
        given = set(parameters) if isinstance(parameters, Mapping) else set()
        if isinstance(step.get("connection"), str):
            yield from _connection(connections, step["connection"], (*loc, "connection"))
        sql = step.get("sql")
        if isinstance(sql, Mapping) and isinstance(sql.get("file"), str):
            yield from _sql_file(paths, sql["file"], (*loc, "sql", "file"))
        if isinstance(sql, str) and not has_template(sql):
            yield from _bound_names(sql, given, (*loc, "sql"))
        if isinstance(step.get("python"), str):
            yield from _function(paths, step["python"], given, (*loc, "python"), files)
        export = step.get("export")
        if isinstance(export, Mapping):
            yield from _export(paths, connections, export, (*loc, "export"))


def _connection(connections: Connections, name: str, loc: tuple[Any, ...]) -> Problems:
    if CONNECTION_NAME.fullmatch(name.strip()) and not connections.is_defined(name.strip()):
        defined = ", ".join(connections.names()) or "none"
        yield (
            loc,
            f"connection {name.strip()!r} is not defined (defined: {defined}); set "
            f"JUPYTER_ORCH_CONN_{name.strip().upper()} or c.OrchApp.connections",
        )


def _channels(connections: Connections, notify: Any, loc: tuple[Any, ...]) -> Problems:
    """Every channel a ``notify:`` names must be defined where the pipeline is checked."""
    if not isinstance(notify, Mapping):
        return
    for key, value in notify.items():
        if key not in RUN_EVENTS:  # reported as an unknown key
            continue
        where: tuple[Any, ...] = (*loc, key)
        if isinstance(value, Mapping):  # on_long_running: {after, to}
            value, where = value.get("to"), (*where, "to")
        yield from _channel_list(connections, value, where)


def _channel_list(connections: Connections, value: Any, where: tuple[Any, ...]) -> Problems:
    channels = connections.channels
    items = value if isinstance(value, list) else [value]
    for index, item in enumerate(items):
        name = item.get("channel") if isinstance(item, Mapping) else item
        at = (*where, index) if isinstance(value, list) else where
        if isinstance(name, str) and name and not channels.is_defined(name):
            yield (
                at,
                f"notification channel {name!r} is not defined (defined: "
                f"{', '.join(channels.names())}); set JUPYTER_ORCH_NOTIFY_"
                f"{name.upper().replace('-', '_')} or c.OrchApp.notify_channels",
            )


def _inside(paths: NamedPaths, named: str, what: str, loc: tuple[Any, ...]) -> Problems:
    """A path that is not a template must resolve inside the root."""
    if has_template(named):
        return
    try:
        paths.resolve(named, what)
    except PathError as exc:
        yield (loc, str(exc))


def _sql_file(paths: NamedPaths, named: str, loc: tuple[Any, ...]) -> Problems:
    try:
        read_text(paths.resolve(named, "sql file"), MAX_YAML_FILE_BYTES)
    except PathError as exc:
        yield (loc, str(exc))
    except FileProblem as exc:
        yield (loc, f"sql file {named!r} {'not found' if exc.missing else exc.reason}")


def _bound_names(sql: str, given: set[str], loc: tuple[Any, ...]) -> Problems:
    try:
        names = parameter_names(sql)
    except Exception:  # sqlparse cannot read it; the database will say why
        return
    missing = [name for name in names if name not in given]
    if missing:
        yield (loc, f"the SQL uses :{', :'.join(missing)}; give a value under `parameters`")


def _function(
    paths: NamedPaths,
    ref: str,
    given: set[str],
    loc: tuple[Any, ...],
    files: dict[str, ast.Module | str],
) -> Problems:
    match = PYTHON_REF.match(ref.strip())
    if match is None or not match.group("target").endswith(".py"):
        return  # a module path is found when the step runs (importing it runs its code)
    target, name = match.group("target"), match.group("function")
    if target not in files:
        files[target] = _parse(paths, target)
    tree = files[target]
    if isinstance(tree, str):
        yield (loc, tree)
        return
    found = [
        node
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name
    ]
    if not found:
        yield (loc, f"{target} defines no function {name!r} (at its top level)")
        return
    yield from _arguments(found[-1], given, target, loc)


def _parse(paths: NamedPaths, target: str) -> ast.Module | str:
    """The file's syntax tree, or the problem reading it."""
    try:
        source = read_text(paths.resolve(target, "python file"), MAX_YAML_FILE_BYTES)
    except PathError as exc:
        return str(exc)
    except FileProblem as exc:
        return f"python file {target!r} {'not found' if exc.missing else exc.reason}"
    try:
        return ast.parse(source)
    except SyntaxError as exc:
        return f"{target} line {exc.lineno}: {exc.msg}"


def _arguments(
    function: ast.FunctionDef | ast.AsyncFunctionDef,
    given: set[str],
    target: str,
    loc: tuple[Any, ...],
) -> Problems:
    args = function.args
    if isinstance(function, ast.AsyncFunctionDef):
        yield (loc, f"{function.name} in {target} is async; a function step calls a plain def")
    named = [a.arg for a in args.args + args.kwonlyargs]
    unknown = sorted(given - set(named))
    if unknown and args.kwarg is None:
        yield (
            loc,
            f"{function.name}() takes no parameter {', '.join(map(repr, unknown))} "
            f"(it takes: {', '.join(named) or 'none'})",
        )
    positional = args.args
    required = [a.arg for a in positional[: len(positional) - len(args.defaults)]]
    required += [a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is None]
    missing = [name for name in required if name not in given]
    if missing:
        yield (
            loc,
            f"{function.name}() needs {', '.join(map(repr, missing))}; give them under "
            "`parameters`",
        )


def _export(
    paths: NamedPaths, connections: Connections, export: Mapping[str, Any], loc: tuple[Any, ...]
) -> Problems:
    if isinstance(export.get("from"), str):
        yield from _inside(paths, export["from"], "from", (*loc, "from"))
    target = export.get("to")
    if not isinstance(target, Mapping):
        return
    if isinstance(target.get("file"), str):
        yield from _inside(paths, target["file"], "to.file", (*loc, "to", "file"))
    if isinstance(target.get("connection"), str):
        yield from _connection(connections, target["connection"], (*loc, "to", "connection"))
    if target.get("notify"):
        yield from _channel_list(connections, target["notify"], (*loc, "to", "notify"))
    attach = export.get("attach")
    for index, named in enumerate(attach if isinstance(attach, list) else [attach]):
        if isinstance(named, str):
            where = (*loc, "attach", index) if isinstance(attach, list) else (*loc, "attach")
            yield from _inside(paths, named, "attach", where)
