"""How the text of a setting (a variable, a config value, an option) is read: each reader
raises ``ValueError`` saying what to give; and where a setting's value comes from
(``Setting``: an option, its variable, the Jupyter config files, its default)."""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Generic, TypeVar

from .errors import SettingError
from .sizes import parse_size


def parse_text(text: str) -> str:
    if not text:
        raise ValueError("give a value")
    return text


def whole_number(minimum: int, meaning: str = "") -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            number = int(text)
        except ValueError:
            number = minimum - 1
        if number < minimum:
            raise ValueError(f"{text!r} is not a whole number of at least {minimum}{meaning}")
        return number

    return parse


def parse_seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds >= 0):
        raise ValueError(f"{text!r} is not a number of seconds (0 or more)")
    return seconds


def parse_size_text(text: str) -> str:
    """A size as written (``1MB``, ``512KiB``), checked."""
    parse_size(text)
    return text


# --- where a setting comes from -----------------------------------------------------------------

T = TypeVar("T")
CONFIG_SECTION = "OrchApp"
#: The files holding ``c.OrchApp``, lowest priority first, as the server merges them: the
#: extension's own file, then the server's files (jupyter_config, jupyter_server_config), whose
#: config ``ExtensionApp`` applies over its own.
CONFIG_FILES = ("jupyter_orch_config", "jupyter_config", "jupyter_server_config")


@lru_cache(maxsize=1)
def jupyter_config() -> dict[str, Any]:
    """The ``OrchApp`` section of the user's Jupyter configuration files."""
    from jupyter_core.paths import jupyter_config_path
    from traitlets.config.application import Application

    reader = Application()
    for name in CONFIG_FILES:
        reader.load_config_file(name, path=jupyter_config_path())
    section = reader.config.get(CONFIG_SECTION)
    return dict(section) if section else {}


@dataclass(frozen=True)
class Setting(Generic[T]):
    """One shared setting, read from a trait of ``OrchConfig`` tagged ``env``: its variable,
    how a value is read, its default."""

    trait: str
    env: str
    parse: Callable[[str], T]  # raises ValueError saying what to give
    default: Callable[[], T]
    #: The CLI option giving it explicitly, if any.
    option: str | None = None

    def read(self, value: object, source: str) -> T:
        try:
            return self.parse(str(value).strip())
        except ValueError as exc:
            raise SettingError(f"{source}: {exc}") from None

    def env_value(self) -> T | None:
        """The variable's value, None when it is unset or empty."""
        text = os.environ.get(self.env, "")
        return self.read(text, self.env) if text else None

    def env_or_default(self) -> T:
        """The value when no configuration gives one: the server's trait default."""
        value = self.env_value()
        return self.default() if value is None else value

    def resolve(self, explicit: object = None) -> T:
        """The CLI's value: ``explicit`` > the variable > ``c.OrchApp.<trait>`` > default."""
        if explicit is not None and explicit != "":
            return self.read(explicit, self.option or self.trait)
        value = self.env_value()
        if value is not None:
            return value
        configured = jupyter_config().get(self.trait)
        if configured is not None:
            return self.read(configured, f"c.{CONFIG_SECTION}.{self.trait}")
        return self.default()
