"""Which executor runs steps: ``c.OrchApp.executor`` names one (``local``, ``dask``);
``c.OrchApp.executor_class`` takes a name too, or the import path of a subclass of ``Executor``,
through ``Type(klass=Executor)``."""

from __future__ import annotations

from typing import Any

from traitlets import TraitError, Type

from ..errors import SettingError
from .base import Executor

#: Executors by name (``c.OrchApp.executor = "dask"``); a class path names any other.
EXECUTORS = {
    "local": "jupyter_orch.executors.local.LocalExecutor",
    "dask": "jupyter_orch.executors.dask_executor.DaskExecutor",
}
EXECUTOR_SETTING = "c.OrchApp.executor_class"


class ExecutorType(Type):
    """``Type(klass=Executor)`` that takes an executor's name too."""

    def validate(self, obj: Any, value: Any) -> Any:
        given = value
        if isinstance(value, str):
            value = EXECUTORS.get(value, value)
        try:
            return super().validate(obj, value)
        except TraitError:
            raise TraitError(
                f"{EXECUTOR_SETTING}: {given!r} is not an executor; give 'local' (the default), "
                "'dask' or the path of a subclass of jupyter_orch.executors.base.Executor"
            ) from None


#: Why the Dask executor cannot start without its scheduler's address.
NO_DASK_ADDRESS = (
    "c.OrchApp.dask_address (JUPYTER_ORCH_DASK_ADDRESS): the Dask executor needs its "
    "scheduler's address, e.g. tcp://dask-scheduler:8786"
)


def check_dask_address(name: str, address: str) -> None:
    """``SettingError`` when ``executor = "dask"`` is given without ``dask_address``."""
    if name == "dask" and not address:
        raise SettingError(NO_DASK_ADDRESS)


def executor_name(text: str) -> str:
    """``c.OrchApp.executor`` (``JUPYTER_ORCH_EXECUTOR``): ``local`` or ``dask``."""
    if text not in EXECUTORS:
        raise ValueError(
            f"{text!r} is not an executor; give one of {', '.join(sorted(EXECUTORS))} (a class "
            "of your own goes in c.OrchApp.executor_class)"
        )
    return text


def build_executor(
    executor_class: type[Executor],
    name: str,
    *,
    dask_address: str,
    max_workers: int | None,
    idle_ttl: float,
) -> Executor:
    """The executor the settings name: ``executor = "dask"`` picks the Dask executor (unless
    ``executor_class`` names a subclass of it), else ``executor_class`` (by default local)."""
    from traitlets.utils.importstring import import_item

    chosen: Any = executor_class
    if name == "dask" and not getattr(chosen, "takes_address", False):
        chosen = import_item(EXECUTORS["dask"])
    if getattr(chosen, "takes_address", False):  # the Dask executor, or a subclass
        made: Executor = chosen(max_workers, idle_ttl=idle_ttl, address=dask_address)
    else:
        made = chosen(max_workers=max_workers, idle_ttl=idle_ttl)
    return made
