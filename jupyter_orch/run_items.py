"""For-each steps, as the coordinator runs them: the list resolved when the step becomes ready,
then one step run per item (``report[0]``...), each with its own attempts, retries, timeout
and output notebook, at most ``max_parallel`` at once. The step succeeds when every item did;
its outputs are lists in item order (null where an item failed). Items that already succeeded
(a rerun from the failed step, a resumed run) are not run again.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import TemplateError
from .expressions import render_value
from .records import AttemptRecord, RunRecord, StepRecord, StepStatus
from .spec import EffectivePolicy, StepSpec
from .spec_foreach import items_problem
from .store.run_rows import item_name

if TYPE_CHECKING:
    from .runner import RunCoordinator


@dataclass(frozen=True)
class Item:
    """One item of a for-each step: ``item_index`` and ``item`` in its templates."""

    index: int
    value: Any


def with_item(context: dict[str, Any], item: Item | None) -> dict[str, Any]:
    """The template names of an item's step run: the step's, with ``item`` and ``item_index``."""
    if item is None:
        return context
    return {**context, "item": item.value, "item_index": item.index}


def resolve_items(step: StepSpec, context: Mapping[str, Any]) -> list[Any]:
    """The step's list: literal, or its template rendered; ``TemplateError`` naming
    ``for_each`` when it is not a list or holds too many items."""
    value = (
        step.for_each if isinstance(step.for_each, list) else render_value(step.for_each, context)
    )
    problem = items_problem(value)
    if problem:
        raise TemplateError(problem)
    return list(value)


def collected(outputs: Sequence[Mapping[str, Any] | None]) -> dict[str, list[Any]]:
    """Each output key's values in item order, None where an item has no value (it failed)."""
    keys = list(dict.fromkeys(key for found in outputs if found for key in found))
    return {key: [found.get(key) if found else None for found in outputs] for key in keys}


def finished_items(steps: Sequence[StepRecord]) -> tuple[dict[str, list[Any]], dict[str, Any]]:
    """Of a run's steps: each for-each step's items, and its outputs as lists (what templates
    see of it), from its items' step runs, for a coordinator resuming the run."""
    items: dict[str, list[Any]] = {}
    outputs: dict[str, list[Mapping[str, Any] | None]] = {}
    for step in steps:
        if step.parent is None:
            continue
        items.setdefault(step.parent, []).append(step.item)
        ok = step.status is StepStatus.SUCCEEDED
        outputs.setdefault(step.parent, []).append(step.outputs if ok else None)
    return items, {name: collected(found) for name, found in outputs.items()}


def reusable(
    run: RunRecord, names: Collection[str]
) -> tuple[list[tuple[str, str, AttemptRecord]], list[tuple[str, int, Any]]]:
    """What a rerun from the failed steps keeps of ``run``: each step (of ``names``) and each
    item of a for-each step that succeeded, as (name, the run it comes from, its attempt), and
    the items among them as (step, index, item)."""
    reused: list[tuple[str, str, AttemptRecord]] = []
    items: list[tuple[str, int, Any]] = []
    for step in run.steps:
        last = step.last_attempt
        if step.status is not StepStatus.SUCCEEDED or last is None:
            continue
        if (step.parent or step.name) in names:
            reused.append((step.name, step.reused_from or run.id, last))
            if step.parent is not None and step.item_index is not None:
                items.append((step.parent, step.item_index, step.item))
    return reused, items


class ForEach:
    """Drives the for-each steps of one run for its coordinator."""

    def __init__(self, coordinator: RunCoordinator) -> None:
        self.c = coordinator

    async def drive(self, step: StepSpec, policy: EffectivePolicy) -> None:
        c = self.c
        name = step.name
        try:
            items = resolve_items(step, c._templates())
        except TemplateError as exc:
            await c.refuse(step, exc)
            return
        c.items[name] = items
        if not items:
            c.outputs[name] = {}
            await c._finish_step(name, StepStatus.SKIPPED, "skipped (for_each: no items)")
            return
        stored = await c._db(c.store.add_items, c.run.id, name, items)
        await c._db(c.store.update_step, c.run.id, name, status=StepStatus.RUNNING)
        names = [item_name(name, index) for index in range(len(items))]
        for item, status in zip(names, stored, strict=True):
            # Pending, or retrying when its run stopped: it runs. Ended (succeeded, or failed
            # before a restart): it stays as it is.
            waiting = status in (StepStatus.PENDING, StepStatus.RETRYING)
            c.state[item] = StepStatus.PENDING if waiting else status
            c.number[item] = c.number[name]
            # pending: never started, or started anew (its attempts are gone); retrying: its own
            c.attempts[item] = 0 if status is StepStatus.PENDING else c.attempts.get(item, 0)
        width = step.max_parallel or c.spec.limits.max_parallel_steps or os.cpu_count() or 1
        gate = asyncio.Semaphore(width)
        pending = [i for i, item in enumerate(names) if c.state[item] is StepStatus.PENDING]
        c.log.info(
            f"Step {c.number[name]}: {name} runs {len(items)} item(s), at most {width} at once"
            + (
                f"; {len(items) - len(pending)} already succeeded"
                if len(pending) < len(items)
                else ""
            ),
            step=name,
        )

        async def one(index: int) -> None:
            async with gate:
                run_as = step.model_copy(update={"name": names[index]})
                await c.attempts_of(run_as, policy, Item(index, items[index]))

        tasks = [asyncio.create_task(one(index), name=names[index]) for index in pending]
        try:
            await asyncio.gather(*tasks)
        finally:  # a fault or a cancel: no item runs on unwatched
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        ok = [c.state[item] is StepStatus.SUCCEEDED for item in names]
        c.outputs[name] = collected(
            [c.outputs.get(item) if good else None for item, good in zip(names, ok, strict=True)]
        )
        status = StepStatus.SUCCEEDED if all(ok) else StepStatus.FAILED
        await c._finish_step(
            name, status, f"{status.value} ({sum(ok)} of {len(items)} items succeeded)"
        )
