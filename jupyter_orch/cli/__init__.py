"""``jupyter orch``: run, validate and inspect pipelines from a terminal.

Exit codes: 0 success, 1 a run failed, 2 invalid input, 130 interrupted (Ctrl-C),
143 terminated (SIGTERM).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from importlib import import_module
from typing import Any

from rich.markup import escape

from ..activity import Actor, acting
from ..errors import NotFoundError, SpecError, UserError
from ..masking import mask_text
from ..records import RunStatus, Trigger
from ..store.backfill_types import MAX_PARALLEL
from ..versions.actors import cli_actor
from .args import MAX_LISTING, POLL_RANGE, add_param_option, count, seconds_between
from .output import EXIT_INTERRUPTED, EXIT_USAGE, err, print_problems

Command = Callable[[argparse.Namespace], int]


def lazy(target: str) -> Command:
    """The command ``module:function`` of this package, imported when it runs: a command
    pays only for the modules it uses (``runs`` never imports papermill or the loader)."""
    module, _, function = target.partition(":")

    def run(args: argparse.Namespace) -> int:
        return int(getattr(import_module(f"{__name__}.{module}"), function)(args))

    run.__name__ = run.__qualname__ = function
    return run


def command(
    sub: Any,
    common: argparse.ArgumentParser,
    name: str,
    text: str,
    func: Callable[..., int],
    *positionals: str,
) -> None:
    """A command whose arguments are the common options and ``positionals``."""
    p = sub.add_parser(name, parents=[common], help=text)
    for positional in positionals:
        p.add_argument(positional)
    p.set_defaults(func=func)


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db",
        help="store URL (default: JUPYTER_ORCH_DB_URL, c.OrchApp.db_url in the Jupyter config, "
        "then the Jupyter data dir)",
    )
    common.add_argument(
        "--runs-dir", help="folder for output notebooks and artifacts (default: ./orch-runs)"
    )
    common.add_argument("--json", action="store_true", help="print JSON on stdout")

    parser = argparse.ArgumentParser(
        prog="jupyter orch", description="Notebook pipelines: run, validate, inspect."
    )
    from jupyter_orch import __version__

    parser.add_argument("--version", action="version", version=f"jupyter-orch {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("run", parents=[common], help="validate, register and run a pipeline file")
    p.add_argument("file")
    add_param_option(p)
    p.add_argument(
        "--replace",
        action="store_true",
        help="take over a pipeline name registered from another file",
    )
    p.set_defaults(func=lazy("pipelines:cmd_run"))

    p = sub.add_parser(
        "test",
        parents=[common],
        help="test a pipeline file, or one step of it, in a scratch folder (a `test` run: not "
        "listed by default, no notifications, events or stats)",
    )
    p.add_argument("file")
    p.add_argument(
        "--step",
        metavar="NAME",
        help="run only this step, on its upstream steps' outputs from the last run in which "
        "they succeeded",
    )
    add_param_option(p)
    p.add_argument(
        "--replace",
        action="store_true",
        help="take over a pipeline name registered from another file",
    )
    p.set_defaults(func=lazy("pipelines:cmd_test"))

    command(
        sub,
        common,
        "validate",
        "report every problem in a pipeline file",
        lazy("validate:cmd_validate"),
        "file",
    )

    p = sub.add_parser("runs", parents=[common], help="list runs, newest first")
    p.add_argument("--pipeline")
    p.add_argument("--status", choices=[s.value for s in RunStatus])
    p.add_argument("--limit", type=count(MAX_LISTING), default=20)
    p.add_argument(
        "--trigger",
        choices=[t.value for t in Trigger],
        help="only runs of this trigger (test runs are listed only so)",
    )
    p.set_defaults(func=lazy("runs:cmd_runs"))

    command(
        sub,
        common,
        "show",
        "one run: steps, attempts, outputs, errors",
        lazy("runs:cmd_show"),
        "run_id",
    )
    command(sub, common, "logs", "the run log", lazy("runs:cmd_logs"), "run_id")

    p = sub.add_parser(
        "rerun",
        parents=[common],
        help="run again with the same parameters: the files as they are now, or --exact",
    )
    p.add_argument("run_id")
    p.add_argument(
        "--from-failed", action="store_true", help="reuse steps that succeeded; run only the rest"
    )
    p.add_argument(
        "--exact",
        action="store_true",
        help="replay the run's own version byte for byte (its YAML, notebooks, SQL and Python)",
    )
    p.set_defaults(func=lazy("pipelines:cmd_rerun"))

    add_schedule_commands(sub, common)
    add_backfill_commands(sub, common)
    return parser


def add_schedule_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "apply", parents=[common], help="register pipeline files and activate their schedules"
    )
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument(
        "--replace", action="store_true", help="take over names registered from other files"
    )
    p.set_defaults(func=lazy("schedule:cmd_apply"))

    p = sub.add_parser("pipelines", parents=[common], help="list pipelines and their schedules")
    p.add_argument("--all", action="store_true", help="archived pipelines too")
    p.set_defaults(func=lazy("schedule:cmd_pipelines"))

    p = sub.add_parser(
        "stats", parents=[common], help="durations, memory and failures over the last runs"
    )
    p.add_argument("name")
    p.add_argument("--last", type=count(1000), default=20, help="runs to count (default 20)")
    p.set_defaults(func=lazy("stats:cmd_stats"))

    p = sub.add_parser(
        "versions", parents=[common], help="a pipeline's versions: who, when, what changed"
    )
    p.add_argument("name")
    p.set_defaults(func=lazy("versions:cmd_versions"))

    p = sub.add_parser(
        "diff", parents=[common], help="what changed between two versions of a pipeline"
    )
    p.add_argument("name")
    p.add_argument("old", type=count(2**31 - 1), metavar="V1", help="the older version")
    p.add_argument("new", type=count(2**31 - 1), metavar="V2", help="the newer version")
    p.set_defaults(func=lazy("versions:cmd_diff"))

    p = sub.add_parser(
        "rollback",
        parents=[common],
        help="write a version's files back to disk and record them as a new version",
    )
    p.add_argument("name")
    p.add_argument("version", type=count(2**31 - 1), metavar="V", help="the version to restore")
    p.set_defaults(func=lazy("versions:cmd_rollback"))

    p = sub.add_parser(
        "lineage",
        parents=[common],
        help="the datasets a pipeline (or the steps a dataset) reads and writes, across pipelines",
    )
    p.add_argument("target", metavar="NAME|DATASET", help="a pipeline, or a dataset's name")
    p.set_defaults(func=lazy("versions:cmd_lineage"))

    p = sub.add_parser(
        "activity", parents=[common], help="who did what and when: the activity log, newest first"
    )
    p.add_argument("--pipeline", help="only this pipeline's entries")
    p.add_argument("--actor", help="only this actor's (a user, scheduler, token:..., webhook:...)")
    p.add_argument("--since", help="a duration back from now (7d, 12h) or an ISO 8601 time")
    p.add_argument("--limit", type=count(500), default=50, help="entries (default 50, ≤ 500)")
    p.set_defaults(func=lazy("versions:cmd_activity"))

    p = sub.add_parser("compare", parents=[common], help="two runs side by side")
    p.add_argument("a", metavar="RUN_A")
    p.add_argument("b", metavar="RUN_B")
    p.add_argument("--step", help="compare this step's output notebooks cell by cell (nbdime)")
    p.set_defaults(func=lazy("versions:cmd_compare"))

    p = sub.add_parser("ticks", parents=[common], help="a schedule's fired and missed slots")
    p.add_argument("name")
    p.add_argument("--limit", type=count(MAX_LISTING), default=50)
    p.set_defaults(func=lazy("schedule:cmd_ticks"))

    for name, text in (
        ("pause", "stop firing (schedule and triggers)"),
        ("resume", "fire again, from now on"),
        ("archive", "stop firing, cancel its backfills, hide from listings; runs stay"),
        ("unarchive", "undo archive"),
    ):
        command(sub, common, name, text, lazy("schedule:cmd_pause"), "name")

    p = sub.add_parser("trigger", parents=[common], help="queue a run now (a scheduler starts it)")
    p.add_argument("name")
    add_param_option(p)
    p.set_defaults(func=lazy("schedule:cmd_trigger"))

    command(
        sub,
        common,
        "cancel",
        "stop a running run or drop a queued one (a backfill's id: all of its runs)",
        lazy("runs:cmd_cancel"),
        "run_id",
    )
    for name, text in (
        ("retry-now", "a retrying step's next attempt now, not after its wait"),
        ("fail-now", "give up a retrying step's remaining attempts"),
    ):
        command(sub, common, name, text, lazy("runs:cmd_wake"), "run_id", "step")
    for name, text in (("pin", "keep a run whatever retention says"), ("unpin", "undo pin")):
        command(sub, common, name, text, lazy("retention:cmd_pin"), "run_id")

    p = sub.add_parser(
        "prune", parents=[common], help="delete the runs retention lets go, rows and files"
    )
    p.add_argument("--pipeline", help="this pipeline only")
    p.add_argument("--older-than", help="also every run created longer ago (e.g. 30d)")
    p.add_argument("--dry-run", action="store_true", help="say what would go; delete nothing")
    p.set_defaults(func=lazy("retention:cmd_prune"))

    for name, text, func in (
        (
            "connections",
            "the named database connections (never a password); `test NAME` connects",
            lazy("connections:cmd_connections"),
        ),
        (
            "channels",
            "the notification channels and their kinds (never a URL); `test NAME` sends a test",
            lazy("connections:cmd_channels"),
        ),
    ):
        p = sub.add_parser(name, parents=[common], help=text)
        p.add_argument("action", nargs="?", choices=["list", "test"], default="list")
        p.add_argument("name", nargs="?")
        p.set_defaults(func=func)

    p = sub.add_parser(
        "scheduler", parents=[common], help="run the scheduler (fires schedules, executes runs)"
    )
    p.add_argument(
        "--max-concurrent-runs",
        type=count(10_000),
        help="runs at once across all schedulers on this store (default 8)",
    )
    p.add_argument(
        "--poll-interval",
        type=seconds_between(*POLL_RANGE),
        default=1.0,
        help="seconds between rounds",
    )
    p.add_argument("-v", "--verbose", action="store_true")
    p.set_defaults(func=lazy("scheduler:cmd_scheduler"))


def add_backfill_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "backfill",
        parents=[common],
        help="run a registered pipeline once per slot of its schedule between two dates",
    )
    p.add_argument("name")
    p.add_argument(
        "--from",
        dest="start",
        required=True,
        metavar="DATE",
        help="first day (2024-03-01) or time (2024-03-01T02:00), in the schedule's zone",
    )
    p.add_argument(
        "--to", dest="end", required=True, metavar="DATE", help="last day or time, included"
    )
    p.add_argument(
        "--max-parallel",
        type=count(MAX_PARALLEL),
        default=1,
        help="runs at once (default 1, oldest first)",
    )
    p.add_argument(
        "--rerun-succeeded",
        action="store_true",
        help="also run the slots that already have a succeeded run",
    )
    p.add_argument(
        "--queue",
        action="store_true",
        help="leave the runs to the schedulers sharing the store and return at once",
    )
    add_param_option(p)
    p.set_defaults(func=lazy("backfill:cmd_backfill"))

    p = sub.add_parser("backfills", parents=[common], help="list backfills, newest first")
    p.add_argument("--pipeline")
    p.add_argument("--status", choices=["running", "succeeded", "failed", "cancelled"])
    p.add_argument("--limit", type=count(1000), default=20)
    p.set_defaults(func=lazy("backfill:cmd_backfills"))


def main(argv: Sequence[str] | None = None) -> int:
    from ..executors.base import skip_slow_optional_imports

    skip_slow_optional_imports()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with acting(Actor(cli_actor(), "cli")):  # what it changes is the OS user's doing
            return int(args.func(args))
    except SpecError as exc:
        print_problems(exc)
        return EXIT_USAGE
    except (UserError, NotFoundError) as exc:
        err.print(f"[red]error:[/] {escape(mask_text(str(exc)))}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
