"""``jupyter orch versions NAME``: a pipeline's history; ``diff NAME V1 V2``: what changed
between two versions of a pipeline;
``rollback NAME V``: that version's files back on disk, as a new version; ``compare A B``: two
runs side by side."""

from __future__ import annotations

import argparse
import json
import sys

from ..masking import mask_json, mask_text
from ..versions.actors import cli_actor
from .orchestrator import cli_connections, open_orchestrator
from .output import EXIT_OK, out


def cmd_diff(args: argparse.Namespace) -> int:
    from ..versions.diff import diff_json, diff_text, version_diff

    store = open_orchestrator(args).store
    diff = version_diff(store, args.name, args.old, args.new)  # NotFoundError: exit 2
    if args.json:
        print(json.dumps(mask_json(diff_json(diff)), indent=2))
        return EXIT_OK
    # Plain text: rich would read the diff's brackets as markup; colour only for a terminal
    sys.stdout.write(mask_text(diff_text(diff, color=sys.stdout.isatty())))
    return EXIT_OK


def cmd_versions(args: argparse.Namespace) -> int:
    from rich.markup import escape
    from rich.table import Table

    store = open_orchestrator(args).store
    versions = store.list_versions(args.name)  # NotFoundError: exit 2
    if args.json:
        rows = [
            {
                "version": v.version,
                "created_at": v.created_at.isoformat(),
                "created_by": v.created_by,
                "summary": v.summary,
                "files": [{"path": f.path, "kind": f.kind, "hash": f.digest} for f in v.files],
            }
            for v in versions
        ]
        print(json.dumps(mask_json(rows), indent=2))
        return EXIT_OK
    table = Table("version", "recorded", "by", "what changed", box=None, pad_edge=False)
    for v in versions:
        when = v.created_at.astimezone().strftime("%Y-%m-%d %H:%M")
        summary = escape(mask_text(v.summary or ""))
        table.add_row(str(v.version), when, escape(v.created_by or ""), summary)
    out.print(table)
    return EXIT_OK


def cmd_rollback(args: argparse.Namespace) -> int:
    from ..versions.rollback import rollback

    orch = open_orchestrator(args)
    done = rollback(
        orch.store, args.name, args.version, connections=cli_connections(), created_by=cli_actor()
    )
    if done.recorded_edits is not None:
        out.print(f"recorded the edits on disk first as version {done.recorded_edits}")
    for path in done.written:
        out.print(f"wrote {path}", markup=False, highlight=False)
    out.print(
        f"{args.name}: rolled back to version {args.version} as version {done.version.version}",
        markup=False,
        highlight=False,
    )
    return EXIT_OK


def cmd_compare(args: argparse.Namespace) -> int:
    from ..run_compare import compare_runs, compare_step_notebooks, compare_text, step_notebooks
    from ..versions.nbdiff import compare_notebooks

    store = open_orchestrator(args).store
    if args.step and args.json:
        print(json.dumps(compare_step_notebooks(store, args.a, args.b, args.step), indent=2))
        return EXIT_OK
    if args.step:
        pair = step_notebooks(store, args.a, args.b, args.step)
        [text] = compare_notebooks([pair], text=True, color=sys.stdout.isatty())
        sys.stdout.write(mask_text(text))
        return EXIT_OK
    comparison = compare_runs(store, args.a, args.b)
    if args.json:
        print(json.dumps(comparison, indent=2))
    else:
        sys.stdout.write(compare_text(comparison))
    return EXIT_OK


def cmd_lineage(args: argparse.Namespace) -> int:
    from ..lineage_views import lineage_graph, lineage_text

    store = open_orchestrator(args).store
    pipelines = {state.name for state in store.pipeline_states(history=False)}
    target = args.target
    if target in pipelines:
        graph = lineage_graph(store, pipeline=target)
    else:
        graph = lineage_graph(store, dataset=target)  # NotFoundError: exit 2
    if args.json:
        print(json.dumps(graph, indent=2))
    else:
        sys.stdout.write(lineage_text(graph))
    return EXIT_OK


def cmd_activity(args: argparse.Namespace) -> int:
    from rich.markup import escape
    from rich.table import Table

    from ..activity import activity_page

    store = open_orchestrator(args).store
    page = activity_page(
        store, pipeline=args.pipeline, actor=args.actor, since=args.since, limit=args.limit
    )
    if args.json:
        print(json.dumps(page["entries"], indent=2))
        return EXIT_OK
    table = Table(box=None)
    for column in ("when", "who", "from", "what", "pipeline", "run"):
        table.add_column(column, no_wrap=True)  # a run id is whole, or useless
    table.add_column("detail", overflow="fold")
    for entry in page["entries"]:
        detail = ", ".join(f"{k}={v}" for k, v in entry["detail"].items())
        table.add_row(
            entry["at"][:19].replace("T", " "),
            escape(entry["actor"] or "?"),
            entry["origin"],
            entry["action"],
            escape(entry["pipeline"] or ""),
            entry["run_id"] or "",
            escape(mask_text(detail)),
        )
    out.print(table)
    return EXIT_OK
