"""``jupyter orch``: run, validate and inspect pipelines from a terminal.

Exit codes: 0 success, 1 a run failed, 2 invalid input, 130 interrupted (Ctrl-C),
143 terminated (SIGTERM).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import math
import os
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .durations import format_duration
from .errors import NotFoundError, SpecError, UserError
from .masking import mask_json, mask_text
from .records import RunRecord, RunStatus

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED, EXIT_TERMINATED = 0, 1, 2, 130, 143

STATUS_STYLE = {
    "succeeded": "green",
    "failed": "red",
    "timed_out": "red",
    "upstream_failed": "yellow",
    "cancelled": "magenta",
    "skipped": "dim",
    "running": "cyan",
    "retrying": "yellow",
    "queued": "dim",
    "pending": "dim",
}

err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)


def _styled(status: str) -> str:
    return f"[{STATUS_STYLE.get(status, 'white')}]{status}[/]"


def _display_path(path: str | None) -> str:
    if not path:
        return "-"
    try:
        return os.path.relpath(path) if Path(path).is_relative_to(Path.cwd()) else path
    except ValueError:
        return path


def parse_param(text: str) -> tuple[str, Any]:
    """``name=value`` with the value read as a YAML scalar (``7`` is an int; quote for text)."""
    from ruamel.yaml.error import YAMLError

    from jupyter_orch.inputs.yaml_load import load_yaml

    name, sep, raw = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected name=value, got {text!r}")
    from jupyter_orch.pipelines.loader import plain

    try:
        value = load_yaml(raw, "safe") if raw.strip() else ""
    except YAMLError as exc:
        raise argparse.ArgumentTypeError(f"value of {name!r} is not valid YAML: {exc}") from None
    return name.strip(), plain(value)


def count(maximum: int) -> Callable[[str], int]:
    """An argparse type: a whole number from 1 to ``maximum`` (argparse exits 2 otherwise)."""

    def parse(text: str) -> int:
        if not text.strip().isdigit() or len(text.strip()) > 9 or not 1 <= int(text) <= maximum:
            raise argparse.ArgumentTypeError(
                f"give a whole number from 1 to {maximum}, not {text!r}"
            )
        return int(text)

    return parse


#: The most rows a listing prints at once.
MAX_LISTING = 100_000
#: Seconds between scheduler rounds, at least and at most.
POLL_RANGE = (0.05, 3600.0)


def seconds_between(low: float, high: float) -> Callable[[str], float]:
    """An argparse type: a finite number of seconds within [low, high]."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not low <= value <= high:  # NaN fails too
            raise argparse.ArgumentTypeError(f"give seconds from {low} to {high}, not {text!r}")
        return value

    return parse


# --- commands ---------------------------------------------------------------------------------


def cmd_validate(args: argparse.Namespace) -> int:
    from jupyter_orch.pipelines.loader import load_pipeline

    try:
        loaded = load_pipeline(args.file, thorough=True)
    except SpecError as exc:
        if args.json:
            problems = [mask_json(p.__dict__) for p in exc.problems]
            out.print_json(data={"valid": False, "problems": problems})
        _print_problems(exc)
        return EXIT_USAGE
    if args.json:
        out.print_json(data={"valid": True, "problems": []})
    else:
        n = len(loaded.spec.steps)
        out.print(f"[green]ok[/]: pipeline {loaded.spec.name!r} ({n} step{'s' * (n != 1)})")
    return EXIT_OK


def _print_problems(exc: SpecError) -> None:
    count = len(exc.problems)
    err.print(f"[red]{escape(exc.file or 'pipeline')}: {count} problem{'s' * (count != 1)}[/]")
    for problem in exc.problems:
        err.print(f"  {escape(mask_text(str(problem)))}")


def cmd_run(args: argparse.Namespace) -> int:
    def prepare() -> tuple[Any, Any, RunRecord]:
        from jupyter_orch.pipelines.loader import load_pipeline

        loaded = load_pipeline(args.file)
        orch = _orchestrator(args)
        version = orch.register(loaded, replace=args.replace)
        run = orch.create_run(loaded, version.version, parameters=run_parameters(args))
        return orch, loaded, run

    return _execute(args, prepare)


def cmd_rerun(args: argparse.Namespace) -> int:
    def prepare() -> tuple[Any, Any, RunRecord]:
        orch = _orchestrator(args)
        loaded, run = orch.create_rerun(args.run_id, from_failed=args.from_failed)
        return orch, loaded, run

    return _execute(args, prepare)


class _OneLine(logging.Formatter):
    """Log records without their traceback: a terminal user is told what happened (the run
    log says it too); the traceback is for a server's log."""

    def format(self, record: logging.LogRecord) -> str:
        # The masking filter may already have put the (masked) traceback into the message
        lines = super().format(record).splitlines()
        return lines[0] if lines else ""

    def formatException(self, ei: Any) -> str:
        return ""


def _warnings_in_one_line() -> None:
    """Warnings and errors of ours (a store refusing writes, an internal error) on stderr,
    one line each."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_OneLine("jupyter-orch %(levelname)s: %(message)s"))
    handler.setLevel(logging.WARNING)
    logger = logging.getLogger("jupyter_orch")
    logger.addHandler(handler)
    logger.propagate = False


def _execute(args: argparse.Namespace, prepare: Callable[[], tuple[Any, Any, RunRecord]]) -> int:
    """Start the workers first (they boot and warm kernels while we validate), then run."""
    from jupyter_orch.scheduling.scheduler import RunHost

    from .executors.local import LocalExecutor
    from .settings import resolve_executor_settings

    workers, idle_ttl = resolve_executor_settings()
    started: dict[str, Any] = {}
    _warnings_in_one_line()

    def show(line: Any) -> None:
        err.print(f"[dim]{line.ts.astimezone():%H:%M:%S}[/] {escape(line.message)}")

    async def main() -> RunRecord:
        # SIGTERM (a supervisor stopping us) cancels like Ctrl-C does: kernels die, records say so.
        main_task = asyncio.current_task()
        assert main_task is not None
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main_task.cancel)
        executor = LocalExecutor(max_workers=workers, idle_ttl=idle_ttl)
        host: RunHost | None = None
        try:
            await executor.prestart(1)  # boots while we validate
            orch, loaded, run = prepare()
            started.update(orch=orch, run=run)
            # Everything imported so far lives as long as the process: keep the collector from
            # walking it again and again (full collections were 100 ms pauses between steps).
            gc.freeze()
            host = RunHost(orch, executor, kind="cli", observer=show)
            await host.start()
            run, mine = await _admitted(host, run)
            if not mine and run.status is RunStatus.RUNNING:
                return await _follow(host, run, show)
            if not mine:
                return run
            width = min(loaded.spec.width, executor.max_workers)
            await executor.warm(width, depth=2 if width == 1 else 1)
            err.print(
                f"Running pipeline [bold]{escape(run.pipeline)}[/] version {run.version}, "
                f"run {run.id}"
            )
            task = host.start_run(loaded, run)
            try:
                return await task
            except asyncio.CancelledError:
                if run.id not in host.cancelled_on_request:
                    raise  # Ctrl-C or SIGTERM
                # `jupyter orch cancel` from elsewhere: the run ended cancelled, we did not.
                return await host.call(orch.store.get_run, run.id)
        finally:
            if host is not None:
                await host.stop()
            await executor.close()

    try:
        final = asyncio.run(main())
    except (KeyboardInterrupt, asyncio.CancelledError) as exc:
        if "run" not in started:
            return EXIT_INTERRUPTED
        final = started["orch"].store.get_run(started["run"].id)
        _summary(final, args)
        return EXIT_INTERRUPTED if isinstance(exc, KeyboardInterrupt) else EXIT_TERMINATED
    _summary(final, args)
    return EXIT_OK if final.status is RunStatus.SUCCEEDED else EXIT_FAILED


async def _admitted(host: Any, run: RunRecord) -> tuple[RunRecord, bool]:
    """Wait until the concurrency limits let the run start (the same admission as scheduled
    runs): ``(run, True)`` once this process claimed it. ``(run, False)`` when it ended while
    it waited (cancelled), or when a scheduler sharing the store claimed it first: it runs
    there, and must not run here too."""
    from jupyter_orch.scheduling.reaper import reap

    from .settings import resolve_max_concurrent_runs
    from .store.types import utcnow

    limit = resolve_max_concurrent_runs()
    said = reaped = False
    while not await host.call(
        host.store.claim_run, run.id, host.id, global_limit=limit, now=utcnow()
    ):
        run = await host.call(host.store.get_run, run.id)
        if run.status is not RunStatus.QUEUED:
            return run, False
        if not reaped:
            # Slots held by runs whose process died are freed first (a scheduler would too).
            await host.call(reap, host.store, utcnow(), stale_after=30.0, me=host.id)
            reaped = True
            continue
        if not said:
            err.print(
                f"run {run.id} is queued: the concurrency limits are reached "
                f"(max_concurrent_runs); it starts when a slot frees"
            )
            said = True
        await asyncio.sleep(1.0)
    return await host.call(host.store.get_run, run.id), True


async def _follow(host: Any, run: RunRecord, show: Callable[[Any], None]) -> RunRecord:
    """Print the log of a run another scheduler executes until it ends; Ctrl-C cancels it
    there, as it would here."""
    from .records import FINISHED_RUN_STATUSES
    from .store.types import utcnow

    err.print(
        f"run {run.id} was claimed by a scheduler sharing this store (a Jupyter server or "
        "`jupyter orch scheduler`): following it there"
    )
    last = 0
    try:
        while True:
            for line in await host.call(host.store.get_logs, run.id, after_id=last):
                show(line)
                last = line.id or last
            if run.status in FINISHED_RUN_STATUSES:
                return run
            await asyncio.sleep(0.5)
            run = await host.call(host.store.get_run, run.id)
    except asyncio.CancelledError:
        await host.call(host.store.request_cancel, run.id, utcnow())
        raise


def _summary(run: RunRecord, args: argparse.Namespace) -> None:
    console = err if args.json else out
    table = Table(show_edge=False)
    for column in ("step", "status", "attempts", "duration"):
        table.add_column(column, no_wrap=True)
    table.add_column("output notebook", overflow="fold")
    for step in run.steps:
        last = step.last_attempt
        data = last.to_dict() if last else {}
        notebook = last.output_notebook if last else None
        if notebook and Path(notebook).parent == Path(run.run_dir):
            notebook = Path(notebook).name  # the folder is printed once, below
        else:
            notebook = _display_path(notebook)
        reused = " (reused)" if step.reused_from else ""
        table.add_row(
            step.name,
            _styled(step.status.value) + reused,
            str(len(step.attempts)),
            format_duration(data.get("duration_s")),
            escape(notebook),
        )
    console.print(table)
    console.print(f"output notebooks in {escape(_display_path(run.run_dir))}/")
    record = mask_json(run.to_dict())
    line = f"{_styled(run.status.value)} in {format_duration(record['duration_s'])}"
    if run.error:
        line += f": {escape(mask_text(run.error))}"
    console.print(f"Pipeline {escape(run.pipeline)} {line} (run {run.id})")
    for step in run.steps:
        attempt = step.last_attempt
        if attempt is not None and attempt.error and step.status.value != "succeeded":
            _print_error(console, step.name, attempt)
    if args.json:
        print(json.dumps(record, indent=2))


def _print_error(console: Console, name: str, attempt: Any) -> None:
    error = mask_json(attempt.error or {})
    cell = error.get("cell_index")
    where = f" in cell {cell}" if cell is not None else ""
    console.print(
        f"[red]{escape(name)}[/]{where}: {escape(str(error.get('ename')))}: {escape(str(error.get('evalue')))}"
    )
    if attempt.output_notebook:
        console.print(f"  see {escape(_display_path(attempt.output_notebook))}")


def cmd_runs(args: argparse.Namespace) -> int:
    runs = _orchestrator(args).store.list_runs(
        pipeline=args.pipeline, status=args.status, limit=args.limit
    )
    if args.json:
        print(json.dumps([mask_json(r.to_dict()) for r in runs], indent=2))
        return EXIT_OK
    table = Table(show_edge=False)
    # Run ids whole whatever the width (a pipe is 80 columns): scripts read them
    table.add_column("run", no_wrap=True, min_width=max((len(r.id) for r in runs), default=3))
    for column in ("pipeline", "version", "status", "trigger", "started", "duration"):
        table.add_column(column)
    for run in runs:
        data = run.to_dict()
        started = f"{run.started_at.astimezone():%Y-%m-%d %H:%M:%S}" if run.started_at else "-"
        table.add_row(
            run.id,
            escape(run.pipeline),
            str(run.version),
            _styled(run.status.value),
            run.trigger.value,
            started,
            format_duration(data["duration_s"]),
        )
    out.print(table if runs else "no runs")
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    run = _orchestrator(args).store.get_run(args.run_id)
    data = mask_json(run.to_dict())
    if args.json:
        print(json.dumps(data, indent=2))
        return EXIT_OK
    out.print(
        f"[bold]run {run.id}[/]  pipeline {escape(run.pipeline)} v{run.version}  {_styled(run.status.value)}"
    )
    out.print(f"trigger {run.trigger.value}  parameters {escape(json.dumps(data['parameters']))}")
    out.print(
        f"started {data['started_at']}  ended {data['ended_at']}  duration {format_duration(data['duration_s'])}"
    )
    if run.rerun_of:
        out.print(f"rerun of {run.rerun_of}")
    if run.error:
        out.print(f"error: {escape(data['error'])}")
    for step in run.steps:
        needs = f" (needs {', '.join(step.needs)})" if step.needs else ""
        reused = f" reused from {step.reused_from}" if step.reused_from else ""
        out.print(
            f"\n[bold]{escape(step.name)}[/]{escape(needs)}: {_styled(step.status.value)}{reused}"
        )
        for attempt in step.attempts:
            a = mask_json(attempt.to_dict())
            out.print(
                f"  attempt {attempt.number}: {_styled(attempt.status.value)} in {format_duration(a['duration_s'])}"
            )
            if attempt.outputs:
                out.print(f"    outputs: {escape(json.dumps(a['outputs']))}")
            if attempt.output_notebook:
                out.print(f"    output notebook: {escape(_display_path(attempt.output_notebook))}")
            if attempt.error:
                _print_error(out, "    error", attempt)
                for tb_line in (a["error"].get("traceback") or [])[-6:]:
                    out.print(f"      {escape(tb_line.rstrip())}")
    return EXIT_OK


def cmd_logs(args: argparse.Namespace) -> int:
    lines = _orchestrator(args).store.get_logs(args.run_id)
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "ts": ln.ts.isoformat(),
                        "step": ln.step,
                        "stream": ln.stream,
                        "message": mask_text(ln.message),
                    }
                    for ln in lines
                ],
                indent=2,
            )
        )
        return EXIT_OK
    for ln in lines:
        where = f" [{ln.step}]" if ln.step and ln.stream != "orch" else ""
        stream = "" if ln.stream == "orch" else f" {ln.stream}"
        out.print(
            f"{ln.ts.astimezone():%Y-%m-%d %H:%M:%S}{escape(where)}{stream} - "
            f"{escape(mask_text(ln.message))}"
        )
    return EXIT_OK


def _orchestrator(args: argparse.Namespace) -> Any:
    from .service import Orchestrator
    from .settings import check_all, resolve_db_url, resolve_runs_dir
    from .store.repository import Store

    check_all()  # an invalid setting stops the command before it changes anything
    url = resolve_db_url(args.db)
    try:
        store = Store.open(url)
    except Exception as exc:  # a wrong URL, port or database, a missing driver: say which
        from .store.engine import failure_reason

        raise UserError(
            f"cannot open the store {failure_reason(exc, url)} "
            "(set --db, JUPYTER_ORCH_DB_URL or c.OrchApp.db_url)"
        ) from None
    return Orchestrator(store, resolve_runs_dir(args.runs_dir))


# --- parser -----------------------------------------------------------------------------------


def add_param_option(parser: argparse.ArgumentParser) -> None:
    """Parameters as papermill takes them: ``-f`` files, then ``-p`` values, then ``-r`` raw
    strings, later ones winning."""
    parser.add_argument(
        "-p",
        "--param",
        action="append",
        type=parse_param,
        default=[],
        metavar="NAME=VALUE",
        help="parameter value, read as YAML (7 is a number; quote for text)",
    )
    parser.add_argument(
        "-f",
        "--parameters-file",
        action="append",
        default=[],
        metavar="FILE",
        help="a YAML file of parameters (name: value), as papermill's -f",
    )
    parser.add_argument(
        "-r",
        "--param-raw",
        action="append",
        nargs=2,
        default=[],
        metavar=("NAME", "VALUE"),
        help="a parameter whose value is taken as text, as papermill's -r",
    )


def run_parameters(args: argparse.Namespace) -> dict[str, Any]:
    """The parameters a command was given: ``-f`` files in order, then ``-p``, then ``-r``."""
    values: dict[str, Any] = {}
    for path in args.parameters_file:
        values.update(_parameters_file(path))
    values.update(dict(args.param))
    values.update({name: value for name, value in args.param_raw})
    return values


def _parameters_file(path: str) -> dict[str, Any]:
    from ruamel.yaml.error import YAMLError

    from jupyter_orch.inputs.files import FileProblem, read_text
    from jupyter_orch.inputs.limits import MAX_YAML_FILE_BYTES
    from jupyter_orch.inputs.yaml_load import load_yaml
    from jupyter_orch.pipelines.loader import plain

    try:
        data = load_yaml(read_text(Path(path), MAX_YAML_FILE_BYTES), "safe")
    except FileProblem as exc:
        raise UserError(f"-f {path}: the parameters file {exc.reason}") from None
    except YAMLError as exc:
        raise UserError(f"-f {path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UserError(f"-f {path}: give a YAML mapping of name: value")
    return {str(name): value for name, value in plain(data).items()}


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db",
        help="store URL (default: c.OrchApp.db_url in the Jupyter config, JUPYTER_ORCH_DB_URL, "
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
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("validate", parents=[common], help="report every problem in a pipeline file")
    p.add_argument("file")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("runs", parents=[common], help="list runs, newest first")
    p.add_argument("--pipeline")
    p.add_argument("--status", choices=[s.value for s in RunStatus])
    p.add_argument("--limit", type=count(MAX_LISTING), default=20)
    p.set_defaults(func=cmd_runs)

    p = sub.add_parser("show", parents=[common], help="one run: steps, attempts, outputs, errors")
    p.add_argument("run_id")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("logs", parents=[common], help="the run log")
    p.add_argument("run_id")
    p.set_defaults(func=cmd_logs)

    p = sub.add_parser("rerun", parents=[common], help="run again the same version and parameters")
    p.add_argument("run_id")
    p.add_argument(
        "--from-failed", action="store_true", help="reuse steps that succeeded; run only the rest"
    )
    p.set_defaults(func=cmd_rerun)

    from .cli_schedule import add_commands

    add_commands(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from .executors.worker import skip_slow_optional_imports

    skip_slow_optional_imports()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except SpecError as exc:
        _print_problems(exc)
        return EXIT_USAGE
    except (UserError, NotFoundError) as exc:
        err.print(f"[red]error:[/] {escape(mask_text(str(exc)))}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
