"""Pipeline files read by libyaml, when PyYAML has it, for the files whose every value reads the
same under our YAML 1.2 rules; ``None`` for any other, which ruamel then reads as always.

ruamel's pure-Python round-trip loader takes about 1.5 s for a pipeline of 1,000 steps (80 kB);
libyaml's parser (C) takes a tenth of that. libyaml builds the nodes, this module turns them into
the same ruamel round-trip tree (``CommentedMap`` and ``CommentedSeq`` with their lines) the
loader reads, and resolves plain scalars by YAML 1.2's core schema itself. Whatever it is not
sure of, it leaves to ruamel: tags, anchors and aliases (ruamel bounds their expansion), merge
keys, duplicate keys, directives, numbers other than plain decimals, deep nesting, a document
libyaml refuses (ruamel's message says where), a document over the size bound.
"""

from __future__ import annotations

import re
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from jupyter_orch.inputs.limits import MAX_YAML_CHARS, MAX_YAML_DEPTH

try:
    from yaml.cyaml import CParser
    from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
except ImportError:  # PyYAML without libyaml, or no PyYAML: ruamel reads every file
    CParser = None

_PLAIN, _QUOTED, _SEQUENCE, _MAPPING = "?plain", "?quoted", "?sequence", "?mapping"
_NULL = {"", "~", "null", "Null", "NULL"}
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_FLOAT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)\.[0-9]+")
#: Plain text that no YAML 1.2 rule reads as anything but a string: beginning with a letter (the
#: words above aside), ``_``, ``/`` or ``$``; numbers, ``.inf``, ``~`` and timestamps begin
#: otherwise. Or a number and a unit (``30s``, ``4GB``): no exponent, hex, octal or binary.
_TEXT = re.compile(
    r"[A-Za-z_/$].*|[0-9]+(?:\.[0-9]+)?[ac-dfg-npq-wyzAC-DFG-NPQ-WYZ][A-Za-z]*", re.DOTALL
)
#: Line breaks in YAML 1.1 (libyaml) but not in 1.2, and a byte-order mark.
_DIFFERENT_BREAKS = re.compile("[\x85\u2028\u2029\ufeff]")


class _Unsure(Exception):
    """Something ruamel should read."""


if CParser is not None:

    class _Composer(CParser):
        """libyaml's composer, with our own markers instead of YAML 1.1's resolved tags."""

        def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
            if kind is ScalarNode:
                return _PLAIN if implicit[0] else _QUOTED
            return _SEQUENCE if kind is SequenceNode else _MAPPING

        def descend_resolver(self, parent: Any, index: Any) -> None:
            pass

        def ascend_resolver(self) -> None:
            pass


def fast_load(text: str) -> Any:
    """The ruamel round-trip tree of ``text``, or None when ruamel must read it."""
    if CParser is None or len(text) > MAX_YAML_CHARS or "%" in text[:1]:
        return None
    if _DIFFERENT_BREAKS.search(text) or "\n%" in text:
        return None
    try:
        node = _Composer(text).get_single_node()
        return None if node is None else _Tree().build(node, 0)
    except Exception:  # _Unsure, or anything libyaml refuses: ruamel says it its way
        return None


class _Tree:
    def __init__(self) -> None:
        self.seen: set[int] = set()

    def build(self, node: Node, depth: int) -> Any:
        if depth >= MAX_YAML_DEPTH or id(node) in self.seen:  # deep, or an alias
            raise _Unsure
        self.seen.add(id(node))
        if isinstance(node, ScalarNode):
            return _scalar(node)
        mark = node.start_mark
        if isinstance(node, SequenceNode) and node.tag == _SEQUENCE:
            seq = CommentedSeq()
            seq._yaml_set_line_col(mark.line, mark.column)
            for index, item in enumerate(node.value):
                seq.append(self.build(item, depth + 1))
                seq.lc.add_kv_line_col(index, [item.start_mark.line, item.start_mark.column])
            return seq
        if isinstance(node, MappingNode) and node.tag == _MAPPING:
            mapping = CommentedMap()
            mapping._yaml_set_line_col(mark.line, mark.column)
            for key_node, value_node in node.value:
                key = _scalar(key_node) if isinstance(key_node, ScalarNode) else None
                if not isinstance(key, str) or key in mapping or key == "<<":
                    raise _Unsure  # a merge key, a duplicate, a key that is not text
                mapping[key] = self.build(value_node, depth + 1)
                where = [key_node.start_mark, value_node.start_mark]
                mapping.lc.add_kv_line_col(key, [where[0].line, where[0].column, *_at(where[1])])
            return mapping
        raise _Unsure


def _at(mark: Any) -> list[int]:
    return [mark.line, mark.column]


def _scalar(node: ScalarNode) -> Any:
    """A scalar by YAML 1.2's core schema, as ruamel reads it (plain decimals only)."""
    value = node.value
    if node.tag == _QUOTED:
        return value
    if node.tag != _PLAIN:
        raise _Unsure  # an explicit tag
    if value in _NULL:
        return None
    if value in _BOOL:
        return _BOOL[value]
    if _INT.fullmatch(value):
        return int(value)
    if _FLOAT.fullmatch(value):
        return float(value)
    if _TEXT.fullmatch(value):
        return value
    raise _Unsure
