"""Which executor runs notebook steps: ``c.OrchApp.executor_class`` takes an executor's name
(``local``) or the import path of a subclass of ``Executor``, through ``Type(klass=Executor)``."""

from __future__ import annotations

from typing import Any

from traitlets import TraitError, Type

from ..errors import SettingError
from .base import Executor

#: Executors by name (``c.OrchApp.executor_class = "local"``); a class path names any other.
EXECUTORS = {"local": "jupyter_orch.executors.local.LocalExecutor"}
#: Executors of later versions: their names are refused until they are built.
LATER_EXECUTORS = ("dask",)
EXECUTOR_SETTING = "c.OrchApp.executor_class"


class ExecutorType(Type):
    """``Type(klass=Executor)`` that takes an executor's name too. The name of an executor of a
    later version is kept as given, for ``check_executor`` to refuse: the server then answers
    503 saying why, as for any invalid setting, rather than failing to load."""

    def validate(self, obj: Any, value: Any) -> Any:
        if isinstance(value, str) and value in LATER_EXECUTORS:
            return value
        given = value
        if isinstance(value, str):
            value = EXECUTORS.get(value, value)
        try:
            return super().validate(obj, value)
        except TraitError:
            raise TraitError(
                f"{EXECUTOR_SETTING}: {given!r} is not an executor; give 'local' (the default) "
                "or the path of a subclass of jupyter_orch.executors.base.Executor"
            ) from None


def check_executor(value: type[Executor] | str) -> type[Executor]:
    """The executor class of ``executor_class``; ``SettingError`` for a later executor's name."""
    if isinstance(value, str):
        raise SettingError(
            f"{EXECUTOR_SETTING}: the {value!r} executor is not built yet, it arrives in a later "
            "version; give 'local' (the default) or a class path"
        )
    return value
