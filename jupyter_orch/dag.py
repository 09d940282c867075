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
    """Steps in an order where every step follows its needs; ties keep the file order.

    Raises ``ValueError`` on a cycle.
    """
    remaining = {name: {n for n in deps if n in needs} for name, deps in needs.items()}
    order: list[str] = []
    while remaining:
        ready = [name for name, deps in remaining.items() if not deps]
        if not ready:
            raise ValueError(f"cycle: {' -> '.join(find_cycle(needs) or [])}")
        for name in ready:
            del remaining[name]
        for deps in remaining.values():
            deps.difference_update(ready)
        order.extend(ready)
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
