from __future__ import annotations

import pytest

from jupyter_orch import dag


def test_topological_order_keeps_file_order_for_ties() -> None:
    needs = {"c": [], "a": ["c"], "b": ["c"], "d": ["a", "b"]}
    assert dag.topological_order(needs) == ["c", "a", "b", "d"]


def test_find_cycle_returns_closed_path() -> None:
    needs = {"a": ["c"], "b": ["a"], "c": ["b"], "d": []}
    cycle = dag.find_cycle(needs)
    assert cycle is not None
    assert cycle[0] == cycle[-1]
    assert set(cycle) == {"a", "b", "c"}


def test_find_cycle_none_and_ignores_unknown_needs() -> None:
    assert dag.find_cycle({"a": [], "b": ["a", "ghost"]}) is None


def test_topological_order_raises_on_cycle() -> None:
    with pytest.raises(ValueError, match="cycle"):
        dag.topological_order({"a": ["b"], "b": ["a"]})


def test_ancestors_are_transitive() -> None:
    needs = {"a": [], "b": ["a"], "c": ["b"], "d": []}
    assert dag.ancestors(needs, "c") == {"a", "b"}
    assert dag.ancestors(needs, "d") == set()


def test_long_chain_has_no_recursion_limit() -> None:
    needs = {f"s{i}": [f"s{i - 1}"] if i else [] for i in range(5000)}
    assert dag.find_cycle(needs) is None
    assert dag.topological_order(needs)[-1] == "s4999"
    assert len(dag.ancestors(needs, "s4999")) == 4999


def test_width_is_the_largest_level() -> None:
    assert dag.width({"a": [], "b": ["a"], "c": ["b"]}) == 1
    fan = {"src": [], **{f"s{i}": ["src"] for i in range(8)}, "join": [f"s{i}" for i in range(8)]}
    assert dag.width(fan) == 8
    assert dag.width({f"s{i}": [f"s{i - 1}"] if i else [] for i in range(3000)}) == 1
