"""The printed report (details, an aligned table, a markdown table) and the --json file."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench_context import ORPHAN_GRACE_S, Row, check_row

HEADERS = ("scenario", "ours", "peer", "ours/peer", "target", "result")
ORPHAN_CHECK = "No orphaned kernel after any benchmark (check)"


def _cells(row: Row) -> tuple[str, ...]:
    return (row.scenario, row.ours, row.peer, row.ratio, row.target, row.result)


def aligned(rows: Sequence[Row]) -> list[str]:
    table = [HEADERS, *(_cells(row) for row in rows)]
    widths = [max(len(line[index]) for line in table) for index in range(len(HEADERS))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True))
        for line in table
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return [line.rstrip() for line in lines]


def markdown(rows: Sequence[Row]) -> list[str]:
    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    lines += ["| " + " | ".join(_cells(row)) + " |" for row in rows]
    return lines


def orphan_row(scenario: str, orphans: Sequence[dict[str, Any]]) -> Row:
    """PASS when nothing the benchmark started outlived its process by the grace period."""
    kernels = sum(1 for orphan in orphans if orphan["kind"] == "kernel")
    return check_row(
        scenario,
        f"{kernels} kernel(s), {len(orphans) - kernels} other process(es) left",
        f"none alive {ORPHAN_GRACE_S:g} s after exit",
        not orphans,
    )


def orphan_check(results: Sequence[dict[str, Any]]) -> Row:
    orphans = [orphan for result in results for orphan in result["orphans"]]
    return orphan_row(ORPHAN_CHECK, orphans)


def _print_scenario(result: dict[str, Any]) -> None:
    print(f"== {result['number']}. {result['title']}")
    if not result["rows"]:
        print("  not measured")
    for line in result["details"]:
        print(f"  {line}")
    for orphan in result["orphans"]:
        print(
            f"  ORPHANED {orphan['kind']} pid {orphan['pid']} ({orphan['found_by']}): {orphan['cmdline']}"
        )
        print(f"    left by: {orphan['left_by']}")
    for kernel in result["foreign_kernels"]:
        print(f"  note, not counted: kernel started meanwhile by another program: {kernel}")
    for failure in result["failures"]:
        print("  FAILURE of jupyter orch run:")
        print("\n".join(f"    {line}" for line in failure.splitlines()))
    print()


def print_report(results: Sequence[dict[str, Any]], info: dict[str, Any]) -> None:
    for result in results:
        _print_scenario(result)
    rows = [row for result in results for row in result["rows"]]
    check = orphan_check(results)
    load = " ".join(str(value) for value in info["load_average_after"])
    print(f"== Results (load average at the end: {load})")
    print("\n".join(aligned([*rows, check])))
    print()
    failed = [row for row in [*rows, check] if row.result == "FAIL"]
    if failed:
        print(f"{len(failed)} target(s) or check(s) FAILED:")
        for row in failed:
            print(f"  {row.scenario}: ours {row.ours}, {row.peer}, target {row.target}")
    else:
        print("All targets and checks PASS.")
    print()
    print("== Markdown")
    summary = [row for row in rows if "(check)" not in row.scenario]
    print("\n".join(markdown([*summary, check])))


def write_json(
    path: Path, info: dict[str, Any], args: argparse.Namespace, results: Sequence[dict[str, Any]]
) -> None:
    document = {
        "machine": info,
        "repeat": args.repeat,
        "watch_seconds": args.watch_seconds,
        "alternations": args.alternations,
        "prune_runs": args.prune_runs,
        "store_runs": args.store_runs,
        "scenarios": [
            {**result, "rows": [asdict(row) for row in result["rows"]]} for result in results
        ],
        "orphan_check": asdict(orphan_check(results)),
    }
    path.write_text(json.dumps(document, indent=2) + "\n")
