"""The process that compares notebooks with nbdime: ``python -m jupyter_orch.versions.nbdiff_child
<address space bytes>``, the request on stdin.

The request is JSON: ``{"pairs": [{"old": text | null, "new": text | null, "old_name": ...,
"new_name": ...}], "text": bool, "color": bool}``. The process takes the address-space limit as
its own before reading anything, and prints one JSON object: ``{"results": [...]}``, each
``{"diff": nbdime's diff, "base": the old notebook as nbformat reads it}`` or, with ``text``,
the diff as plain lines; or
``{"error": "..."}``. A notebook that cannot be read is an error naming it.
"""

from __future__ import annotations

import io
import json
import sys
from typing import Any

from jupyter_orch.executors.base import skip_slow_optional_imports
from jupyter_orch.inputs.bounded_child import answer_within


def _notebook(text: str | None, name: str) -> Any:
    import nbformat

    if text is None:
        return nbformat.v4.new_notebook()
    try:
        return nbformat.reads(text, as_version=4)
    except Exception as exc:
        raise ValueError(f"{name} is not a notebook nbformat can read ({exc})") from None


def compare(request: dict[str, Any]) -> list[Any]:
    import nbdime
    from nbdime.prettyprint import PrettyPrintConfig, pretty_print_notebook_diff

    results: list[Any] = []
    for pair in request["pairs"]:
        old = _notebook(pair["old"], pair["old_name"])
        new = _notebook(pair["new"], pair["new_name"])
        diff = nbdime.diff_notebooks(old, new)
        if not request.get("text"):
            # The old side as nbformat reads it (multiline strings joined): nbdime's diff
            # indexes into those strings, not into a file's lists of lines
            results.append(json.loads(json.dumps({"diff": diff, "base": old})))
            continue
        out = io.StringIO()
        # difflib, never a git or diff process; colour only for a terminal
        config = PrettyPrintConfig(
            out=out, use_git=False, use_diff=False, use_color=bool(request.get("color"))
        )
        pretty_print_notebook_diff(pair["old_name"], pair["new_name"], old, diff, config)
        results.append(out.getvalue())
    return results


def main() -> None:
    skip_slow_optional_imports()  # nbformat's jsonschema would compile IRI grammars: seconds
    answer_within(int(sys.argv[1]), lambda: {"results": compare(json.loads(sys.stdin.read()))})


if __name__ == "__main__":
    main()
