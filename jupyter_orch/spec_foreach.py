"""``for_each`` and ``max_parallel``: a step run once per item of a list (the pipeline file's
contract; the coordinator's side is ``run_items.py``).

```yaml
- name: report
  needs: [regions]
  for_each: "{{ steps.regions.outputs.regions }}"   # a template, or a literal list
  max_parallel: 2
  notebook: report.ipynb
  parameters: {region: "{{ item }}", position: "{{ item_index }}"}
```
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from .spec_base import SpecModel

#: The most items one for-each step runs (a list resolved to more fails the step).
MAX_ITEMS = 1000
#: The names a for-each step's templates see besides params, steps and run.
ITEM_NAMES = ("item", "item_index")


def items_problem(value: Any) -> str | None:
    """What is wrong with a resolved ``for_each`` list, if anything."""
    if not isinstance(value, list):
        return f"for_each: gives {type(value).__name__}, not a list"
    if len(value) > MAX_ITEMS:
        return f"for_each: {len(value):,} items; a step runs at most {MAX_ITEMS:,}"
    return None


class ForEachFields(SpecModel):
    """Mixed into ``StepSpec``."""

    for_each: str | list[Any] | None = None
    #: Items at once (default: the pipeline's ``max_parallel_steps``).
    max_parallel: int | None = Field(None, ge=1, le=MAX_ITEMS)

    @field_validator("for_each")
    @classmethod
    def _for_each(cls, value: str | list[Any] | None) -> str | list[Any] | None:
        if isinstance(value, str) and "{{" not in value:
            raise ValueError(
                "give a template that gives a list ({{ steps.NAME.outputs.KEY }}) or a list"
            )
        if isinstance(value, list):
            problem = items_problem(value)
            if problem:
                raise ValueError(problem.removeprefix("for_each: "))
        return value
