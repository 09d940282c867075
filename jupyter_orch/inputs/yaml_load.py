"""Loading YAML that came from a user (pipeline files, `validate`, CLI values) with bounds.

YAML aliases let 322 bytes expand to millions of nodes once the data is walked, and nesting
recurses once per level. Here a document is refused, with a marked ``YAMLError`` saying which
limit it passed, when it is longer than ``MAX_YAML_CHARS``, nests deeper than
``MAX_YAML_DEPTH`` or expands (aliases counted each time they are used) past
``MAX_YAML_NODES``. Anchors and aliases within those bounds keep working (``<<: *defaults``).
"""

from __future__ import annotations

from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer, MaxDepthExceededError
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, SequenceNode
from ruamel.yaml.scanner import RoundTripScanner, Scanner

from jupyter_orch.inputs.limits import MAX_YAML_CHARS, MAX_YAML_DEPTH, MAX_YAML_NODES


class YAMLLimitError(MarkedYAMLError):
    """A document over one of the bounds; ``problem`` says which, ``problem_mark`` where."""

    def __init__(self, problem: str, mark: Any = None) -> None:
        super().__init__(problem=problem, problem_mark=mark)


def _too_deep(mark: Any = None) -> YAMLLimitError:
    return YAMLLimitError(f"nested too deep (over {MAX_YAML_DEPTH} levels)", mark)


class _Expansion:
    """Size and depth of a node graph with every alias expanded; each node is visited once."""

    def __init__(self) -> None:
        self.sizes: dict[int, tuple[int, int]] = {}
        self.path: set[int] = set()

    def measure(self, node: Node) -> tuple[int, int]:
        """(nodes, depth) below and including ``node``."""
        known = self.sizes.get(id(node))
        if known is not None:
            return known
        if id(node) in self.path:
            raise YAMLLimitError("an alias refers to a node that contains it", node.start_mark)
        if len(self.path) >= MAX_YAML_DEPTH:
            raise _too_deep(node.start_mark)
        self.path.add(id(node))
        size, depth = 1, 1
        for child in _children(node):
            child_size, child_depth = self.measure(child)
            size += child_size
            depth = max(depth, child_depth + 1)
            if size > MAX_YAML_NODES:
                raise YAMLLimitError(
                    f"aliases expand to over {MAX_YAML_NODES} nodes", node.start_mark
                )
        if depth > MAX_YAML_DEPTH:  # deeper through aliases than the text's own nesting
            raise _too_deep(node.start_mark)
        self.path.discard(id(node))
        self.sizes[id(node)] = (size, depth)
        return size, depth


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    return []


class _BoundedComposer(Composer):
    def compose_document(self) -> Any:
        node = super().compose_document()
        if node is not None:
            _Expansion().measure(node)
        return node


class _FlowDepth:
    """Refuses ``[`` and ``{`` nested past the bound as the scanner meets them: ruamel's scanner
    keeps a possible key per open bracket and rechecks them all on every token, which made
    1,000 brackets take 1.5 s before the composer's own depth check could run."""

    flow_level: int
    reader: Any

    def fetch_flow_collection_start(self, TokenClass: Any, to_push: Any) -> None:
        if self.flow_level >= MAX_YAML_DEPTH:
            raise _too_deep(self.reader.get_mark())
        super().fetch_flow_collection_start(TokenClass, to_push)  # type: ignore[misc]


class _BoundedScanner(_FlowDepth, Scanner):
    pass


class _BoundedRoundTripScanner(_FlowDepth, RoundTripScanner):
    pass


def bounded_yaml(typ: str = "rt") -> YAML:
    """A ruamel ``YAML`` of ``typ`` (pure Python, so the composer is ours) whose ``load``
    enforces the bounds on nesting and expansion; use ``load_yaml`` for the size bound too."""
    yaml = YAML(typ=typ, pure=True)
    yaml.Composer = _BoundedComposer
    yaml.Scanner = _BoundedRoundTripScanner if typ == "rt" else _BoundedScanner
    # ruamel counts its own depth while composing, before recursing any deeper.
    yaml.max_depth = MAX_YAML_DEPTH
    return yaml


def load_yaml(text: str, typ: str = "rt", yaml: YAML | None = None) -> Any:
    """``text`` loaded within the bounds. Raises ``YAMLError`` (``YAMLLimitError`` for a bound
    passed; other errors for YAML that does not construct, e.g. a 5,000-digit integer)."""
    if len(text) > MAX_YAML_CHARS:
        raise YAMLLimitError(f"document too large (over {MAX_YAML_CHARS // 1024 // 1024} MiB)")
    loader = yaml or bounded_yaml(typ)
    try:
        return loader.load(text)
    except MaxDepthExceededError as exc:
        raise _too_deep(exc.problem_mark) from None
    except YAMLError:
        raise
    except Exception as exc:
        # ruamel's constructors raise plain Python errors on some tagged or huge scalars
        # (`!!timestamp 2020-13-45`, a 5,000-digit integer, `!!int 0x`): the input's fault.
        raise YAMLError(f"a value cannot be read: {exc}") from None
