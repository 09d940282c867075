"""The step graph: order, cycles, ancestors. Pure functions over ``name -> needs``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def find_cycle(needs: Mapping[str, Sequence[str]]) -> list[str] | None:
    """One cycle as a closed path (``[a, b, a]``), or None. Unknown needs are ignored."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for start in needs:
        if state.get(start):
            continue
        path: list[str] = [start]
        iters = [iter(needs[start])]
        state[start] = 1
        while iters:
            nxt = next(iters[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                iters.pop()
                continue
            if nxt not in needs:
                continue
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                iters.append(iter(needs[nxt]))
    return None


def topological_order(needs: Mapping[str, Sequence[str]]) -> list[str]:
    """Steps in an order where every step follows its needs, level by level (the steps whose
    needs are all in earlier levels); within a level, the file order.

    Raises ``ValueError`` on a cycle.
    """
    position = {name: index for index, name in enumerate(needs)}
    waiting: dict[str, int] = {}
    dependents: dict[str, list[str]] = {name: [] for name in needs}
    for name, deps in needs.items():
        known = {n for n in deps if n in needs}
        waiting[name] = len(known)
        for dep in known:
            dependents[dep].append(name)
    level = [name for name, count in waiting.items() if not count]
    order: list[str] = []
    # Each step is looked at once per need, not once per level: a chain of 1,000 steps took a
    # million checks when every level rescanned the steps left.
    while level:
        order.extend(level)
        freed = []
        for name in level:
            for dependent in dependents[name]:
                waiting[dependent] -= 1
                if not waiting[dependent]:
                    freed.append(dependent)
        level = sorted(freed, key=position.__getitem__)
    if len(order) < len(needs):
        raise ValueError(f"cycle: {' -> '.join(find_cycle(needs) or [])}")
    return order


def ancestors(needs: Mapping[str, Sequence[str]], name: str) -> set[str]:
    """Every step ``name`` depends on, directly or through others."""
    seen: set[str] = set()
    stack = list(needs.get(name, ()))
    while stack:
        current = stack.pop()
        if current in seen or current not in needs:
            continue
        seen.add(current)
        stack.extend(needs[current])
    return seen


class Upstream:
    """Whether a step is upstream of ``name`` (``step in Upstream(needs, name)``); its ancestors
    are walked only for a step it does not need directly, and once (the loader walking them for
    every step of a chain of 1,000 made a million visits)."""

    def __init__(self, needs: Mapping[str, Sequence[str]], name: str) -> None:
        self.needs, self.name = needs, name
        self.ancestors: set[str] | None = None

    def __contains__(self, step: object) -> bool:
        if step in self.needs.get(self.name, ()) and step in self.needs:
            return True
        if self.ancestors is None:
            self.ancestors = ancestors(self.needs, self.name)
        return step in self.ancestors


def width(needs: Mapping[str, Sequence[str]]) -> int:
    """The size of the largest level (steps at the same depth), an upper bound on parallelism
    that is cheap to compute."""
    level: dict[str, int] = {}
    for name in topological_order(needs):
        level[name] = 1 + max((level[n] for n in needs[name] if n in level), default=-1)
    counts: dict[int, int] = {}
    for depth in level.values():
        counts[depth] = counts.get(depth, 0) + 1
    return max(counts.values(), default=0)
