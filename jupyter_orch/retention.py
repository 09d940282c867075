"""Retention: deleting the runs a pipeline's ``retention:`` (or ``c.OrchApp.retention``) lets go,
rows and files together. The scheduler applies it once an hour; ``jupyter orch prune`` by hand.

The order makes a crash at any point harmless. A batch's rows go first, in one transaction that
also journals their folders (``pruned_folders``), then the folders, then the journal entries: a
crash in between leaves folders without rows, never a run the UI would show with its notebooks
gone, and the next prune deletes the folders the journal names. Only folders a prune deleted the
run of are ever removed: nothing is guessed from a folder's name (another store may share the
runs folder).
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from .activity import note
from .masking import masked_logger
from .run_folders import RemoteFolder, remove_folder
from .spec_retention import RetentionSpec
from .store.base import ActivityLog, PipelineCatalog, Retention, ScheduleState

log = masked_logger("jupyter_orch.retention")
#: Runs deleted per transaction.
BATCH = 200


class RetentionStore(Retention, ScheduleState, PipelineCatalog, ActivityLog, Protocol):
    pass


@dataclass
class Pruned:
    """What a prune deleted (or, dry, would delete) for one pipeline."""

    pipeline: str
    runs: list[str] = field(default_factory=list)
    freed_bytes: int = 0
    orphans: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "pipeline": self.pipeline,
            "runs": self.runs,
            "freed_bytes": self.freed_bytes,
            "orphan_folders": self.orphans,
        }


def folder_size(path: Path | str) -> int:
    """The bytes of a run's folder: a remote one's at its URL (``run_folders``)."""
    remote = RemoteFolder.of(str(path))
    if remote is not None:
        return remote.size()
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                total += (Path(root) / name).lstat().st_size
    return total


def rule_of(definition: dict[str, Any], default: RetentionSpec | None) -> RetentionSpec | None:
    """The pipeline's own ``retention:``, else the default."""
    return RetentionSpec.read(definition.get("retention")) or default


def prune(
    store: RetentionStore,
    now: datetime,
    *,
    default: RetentionSpec | None = None,
    pipeline: str | None = None,
    older_than: float | None = None,
    dry_run: bool = False,
    activity_max_age: float | None = None,
) -> list[Pruned]:
    """Apply retention to every pipeline (or ``pipeline``); ``older_than`` (seconds) deletes
    the runs created longer ago than that, whatever the rules say. Returns what went.
    ``activity_max_age`` (seconds): activity entries older than that go too."""
    if activity_max_age is not None and pipeline is None and not dry_run:
        gone = store.prune_activity(now - timedelta(seconds=activity_max_age))
        if gone:
            log.info(
                "%d activity entries older than %.0f days deleted", gone, activity_max_age / 86400
            )
    states = store.pipeline_states(history=False, name=pipeline)
    done = []
    for state in states:
        rule = rule_of(state.definition, default)
        if older_than is not None:
            rule = RetentionSpec(max_age=older_than)
        pruned = Pruned(state.name)
        if rule is not None:
            _expire(store, state.name, rule, now, pruned, dry_run)
        _finish(store, state.name, pruned, dry_run)
        if (pruned.runs or pruned.orphans) and not dry_run:
            note(store, "prune", pipeline=state.name, runs=len(pruned.runs))
        if pruned.runs or pruned.orphans:
            log.info(
                "%s%s: %d runs deleted, %d orphan folders, %.1f MB freed",
                "dry run: " if dry_run else "",
                state.name,
                len(pruned.runs),
                len(pruned.orphans),
                pruned.freed_bytes / 1e6,
            )
        done.append(pruned)
    return done


def _expire(
    store: RetentionStore,
    name: str,
    rule: RetentionSpec,
    now: datetime,
    pruned: Pruned,
    dry_run: bool,
) -> None:
    seen: set[str] = set()
    while True:
        batch = store.expired_runs(
            name, now, keep_last=rule.keep_last, max_age=rule.max_age, limit=BATCH
        )
        batch = [(run_id, run_dir) for run_id, run_dir in batch if run_id not in seen]
        if not batch:
            return
        seen.update(run_id for run_id, _ in batch)
        sizes = {run_id: folder_size(run_dir) for run_id, run_dir in batch}
        if not dry_run:
            # rows first (their folders journalled in the same transaction), then files
            gone = set(store.delete_runs([run_id for run_id, _ in batch]))
            batch = [(run_id, run_dir) for run_id, run_dir in batch if run_id in gone]
            for _, run_dir in batch:
                remove_folder(run_dir)
            store.forget_pruned([run_id for run_id, _ in batch])
        pruned.runs += [run_id for run_id, _ in batch]
        pruned.freed_bytes += sum(sizes[run_id] for run_id, _ in batch)


def _finish(store: RetentionStore, name: str, pruned: Pruned, dry_run: bool) -> None:
    """Delete the folders an earlier prune journalled but did not get to (it was killed)."""
    while True:
        left = store.pruned_folders(name, limit=BATCH)
        if not left:
            return
        for run_id, run_dir in left:
            pruned.freed_bytes += folder_size(run_dir)
            pruned.orphans.append(run_id)
            if not dry_run:
                remove_folder(run_dir)
        if dry_run:
            return
        store.forget_pruned([run_id for run_id, _ in left])
