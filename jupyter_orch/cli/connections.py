"""``jupyter orch connections`` and ``jupyter orch channels``: what pipelines name and
configuration defines (database connections, notification channels), and whether one works."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.markup import escape
from rich.table import Table

from ..connections import describe_connections, try_connection
from ..errors import UserError
from .orchestrator import cli_connections
from .output import EXIT_FAILED, EXIT_OK, err, out


def cmd_connections(args: argparse.Namespace) -> int:
    """List the names with dialect, host and database (never a password); ``test NAME``
    connects and says what failed."""
    connections = cli_connections()
    if args.action == "test":
        if not args.name:
            raise UserError("connections test: give the connection's name")
        try:
            problem = try_connection(connections, args.name)
        except ValueError as exc:
            raise UserError(str(exc)) from None
        if args.json:
            out.print_json(data={"name": args.name, "ok": problem is None, "error": problem})
        elif problem is None:
            out.print(f"[green]ok[/]: connected to {escape(args.name)}")
        else:
            err.print(f"[red]failed[/]: {escape(args.name)}: {escape(problem)}")
        return EXIT_OK if problem is None else EXIT_FAILED
    described = describe_connections(connections)
    if args.json:
        out.print_json(data=described)
        return EXIT_OK
    if not described:
        out.print("no connections defined; set JUPYTER_ORCH_CONN_<NAME> or c.OrchApp.connections")
        return EXIT_OK
    table = Table("name", "dialect", "host", "database", "defined by")
    for entry in described:
        where = entry.get("problem") or entry.get("host") or ""
        table.add_row(
            escape(entry["name"]),
            escape(str(entry.get("dialect") or "")),
            escape(str(where)),
            escape(str(entry.get("database") or "")),
            escape(entry["defined_by"]),
        )
    out.print(table)
    return EXIT_OK


def cmd_channels(args: argparse.Namespace) -> int:
    """List the notification channels with their kinds (never a URL); ``test NAME`` sends a
    test message and prints what the channel answered."""
    from ..config import CliConfig, runs_path
    from ..notify.delivery import send_test_message
    from ..notify.senders import SendError
    from ..run_folders import local_folder

    config = CliConfig(runs_dir=args.runs_dir)
    channels = config.named_connections().channels
    if args.action == "test":
        if not args.name:
            raise UserError("channels test: give the channel's name")
        outbox = local_folder(str(runs_path(config.runs_dir, Path.cwd()) / "_outbox" / "tests"))
        try:
            answer, problem = (
                send_test_message(channels, args.name, outbox, config.delivery_settings()),
                None,
            )
        except ValueError as exc:
            raise UserError(str(exc)) from None
        except SendError as exc:
            answer, problem = None, str(exc)
        from ..activity import note
        from .orchestrator import open_orchestrator

        note(open_orchestrator(args).store, "channel_test", channel=args.name, ok=problem is None)
        if args.json:
            out.print_json(
                data={"name": args.name, "ok": problem is None, "answer": answer, "error": problem}
            )
        elif problem is None:
            out.print(f"[green]sent[/]: {escape(args.name)} answered {escape(str(answer))}")
        else:
            err.print(f"[red]failed[/]: {escape(args.name)}: {escape(problem)}")
        return EXIT_OK if problem is None else EXIT_FAILED
    described = channels.describe()
    if args.json:
        out.print_json(data=described)
        return EXIT_OK
    table = Table("name", "kind", "defined by")
    for entry in described:
        signed = " (signed)" if entry.get("signed") else ""
        table.add_row(
            escape(entry["name"]), escape(entry["kind"]) + signed, escape(entry["defined_by"])
        )
    out.print(table)
    return EXIT_OK
