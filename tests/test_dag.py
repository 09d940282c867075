from __future__ import annotations

import time

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


def test_topological_order_goes_level_by_level_in_file_order() -> None:
    # "b" needs "a" but comes after "c" and "d", whose needs were met a level earlier.
    needs = {"a": [], "b": ["a"], "c": [], "d": ["c"], "e": ["b", "d"]}
    assert dag.topological_order(needs) == ["a", "c", "b", "d", "e"]


def test_order_and_width_of_large_graphs_stay_linear() -> None:
    chain = {f"s{i}": [f"s{i - 1}"] if i else [] for i in range(20_000)}
    fan = {"root": [], **{f"b{i}": ["root"] for i in range(20_000)}}
    fan["join"] = [f"b{i}" for i in range(20_000)]
    began = time.perf_counter()
    assert dag.topological_order(chain) == list(chain)
    assert dag.topological_order(fan) == list(fan)
    assert (dag.width(chain), dag.width(fan)) == (1, 20_000)
    # Level by level rescans took about 10 s for the chain; one pass takes milliseconds.
    assert time.perf_counter() - began < 2.0


def test_upstream_walks_ancestors_only_past_direct_needs() -> None:
    needs = {"a": [], "b": ["a", "ghost"], "c": ["b"]}
    upstream = dag.Upstream(needs, "c")
    assert "b" in upstream and upstream.ancestors is None
    assert "a" in upstream and upstream.ancestors == {"a", "b"}
    assert "ghost" not in upstream and "c" not in upstream
