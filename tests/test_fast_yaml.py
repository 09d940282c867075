"""libyaml's reading of a pipeline file is ruamel's, line for line, or none at all."""

from __future__ import annotations

from typing import Any

import pytest
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from jupyter_orch.inputs.yaml_load import load_yaml
from jupyter_orch.pipelines.fast_yaml import CParser, fast_load
from jupyter_orch.pipelines.loader import _line_of, plain

pytestmark = pytest.mark.skipif(CParser is None, reason="PyYAML without libyaml")

SAME = [
    "name: p\nsteps:\n  - name: a\n    python: work.py:f\n    parameters: {i: 1, x: 2.5, y: -3}\n",
    "a: yes\nb: no\non: {file: x}\nd: off\n",  # YAML 1.2: words, not booleans
    "a: [1, +4, -0, 0.0, true, False, ~, null, '', x y z]\n",
    "a: |\n  x\n  y\n\nb: >-\n  folded\n  text\nc: plain\n  on two lines\n",
    "a: 'q''s'\nb: \"d\\x41\\u00e9\"\n'c': 2\n",
    "timeout: 30s\nretry_delay: 1m\nmax_memory: 1.5GB\nurl: ${WAREHOUSE_URL}\n",
    "- a\n- b: c\n  d: [e]\n",
    "a:\nb: x # comment\n",
    "a: {b: {c: {d: 1}}}\n",
]
RUAMEL = [
    "a: 010\n",
    "a: 1_000\n",
    "a: 0x1F\n",
    "a: 1e3\n",
    "a: .inf\n",
    "a: 2026-01-01\n",
    "a: 12:30\n",
    "a: !!str 123\n",
    "a: &x 1\nb: *x\n",
    "base: &b {x: 1}\nc:\n  <<: *b\n",
    "a: 1\na: 2\n",  # ruamel refuses duplicate keys, and says where
    "%YAML 1.1\n---\na: yes\n",
    "a: b: c\n",  # invalid: ruamel's message
    "1: x\n",
    "",
]


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Any:
    yield prefix
    if isinstance(node, CommentedMap):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, CommentedSeq):
        for index, value in enumerate(node):
            yield from _paths(value, (*prefix, index))


@pytest.mark.parametrize("text", SAME)
def test_the_same_values_at_the_same_lines(text: str) -> None:
    fast, slow = fast_load(text), load_yaml(text)
    assert fast is not None
    assert plain(fast) == plain(slow)
    for path in _paths(slow):
        assert _line_of(fast, path) == _line_of(slow, path)
        assert _line_of(fast, (*path, "missing")) == _line_of(slow, (*path, "missing"))


@pytest.mark.parametrize("text", RUAMEL)
def test_what_it_is_not_sure_of_is_left_to_ruamel(text: str) -> None:
    assert fast_load(text) is None


def test_a_thousand_steps_keep_their_lines() -> None:
    lines = ["name: p", "steps:"]
    for index in range(1000):
        lines += [f"  - name: s{index}", "    python: w.py:f", f"    parameters: {{i: {index}}}"]
        lines += [f"    needs: [s{index - 1}]"] if index else []
    tree = fast_load("\n".join(lines))
    assert tree is not None and len(tree["steps"]) == 1000
    assert _line_of(tree, ("steps", 999, "needs", 0)) == 4001  # 2 + 3 + 999 x 4
