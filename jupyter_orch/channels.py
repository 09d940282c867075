"""Notification channels: what a ``notify:`` name stands for.

A channel is named in configuration, never in a pipeline file (its URL holds a token or a
password): the variable ``JUPYTER_ORCH_NOTIFY_<NAME>`` (``team-mail`` is
``JUPYTER_ORCH_NOTIFY_TEAM_MAIL``), else ``c.OrchApp.notify_channels = {"team-mail": "..."}``.
Values are apprise URLs (``mailtos://``, ``slack://``, ``msteams://``, ``json://``...), plus
our own ``pagerduty://<routing key>`` (Events API v2, so a recovery resolves the incident) and
``outbox://``. The channel ``outbox`` always exists: it writes each message into the run's
folder. ``JUPYTER_ORCH_NOTIFY_<NAME>_SECRET`` signs a JSON channel's requests.

Nothing here sends; ``notify.senders`` does. Names are matched without regard to case, ``-`` or
``_`` (``team-mail`` and ``TEAM_MAIL`` are one channel).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from .masking import masked_values

NOTIFY_PREFIX = "JUPYTER_ORCH_NOTIFY_"
SECRET_SUFFIX = "_SECRET"
#: Where ``pagerduty://`` channels post (Events API v2); a test points it at its own server.
PAGERDUTY_URL_VARIABLE = "JUPYTER_ORCH_PAGERDUTY_URL"
PAGERDUTY_URL = "https://events.pagerduty.com/v2/enqueue"
OUTBOX = "outbox"

#: The kind of a channel, by its URL's scheme (apprise's own names for the rest).
KINDS = {
    "mailto": "email",
    "mailtos": "email",
    "slack": "slack",
    "msteams": "msteams",
    "workflows": "msteams",
    "discord": "discord",
    "json": "json",
    "jsons": "json",
    "pagerduty": "pagerduty",
    "outbox": "outbox",
}
_HOST_KINDS = {
    "hooks.slack.com": "slack",
    "discord.com": "discord",
    "discordapp.com": "discord",
    "events.pagerduty.com": "pagerduty",
}


class UndefinedChannel(ValueError):
    """A name no variable or configuration defines (retrying will not define it)."""


def channel_key(name: str) -> str:
    """``team-mail`` -> ``TEAM_MAIL``: how a name is matched and which variable defines it."""
    return name.strip().upper().replace("-", "_")


def kind_of(url: str) -> str:
    """``email``, ``slack``, ``json``, ``pagerduty``, ``outbox``... (``unknown`` for no URL)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        host = (parts.hostname or "").lower()
        return next((k for h, k in _HOST_KINDS.items() if host.endswith(h)), "webhook")
    if "office.com" in (parts.hostname or "") or "webhook.office" in url:
        return "msteams"
    return KINDS.get(scheme, scheme or "unknown")


def url_secrets(url: str) -> list[str]:
    """Every part of a channel URL that may be a secret (its password, tokens in its path,
    its query values), and the URL itself: what masking hides."""
    parts = urlsplit(url.strip())
    found = [url.strip()]
    if parts.password:
        found += [parts.password, unquote(parts.password)]
    found += [segment for segment in parts.path.split("/") if segment]
    if parts.scheme.lower() not in ("mailto", "mailtos", "http", "https", "json", "jsons"):
        found.append(parts.netloc.rpartition("@")[2])  # slack://TokenA/...: a token as host
    for pair in parts.query.split("&"):
        found.append(pair.partition("=")[2])
    return found


@dataclass(frozen=True)
class Channels:
    """The named channels: ``JUPYTER_ORCH_NOTIFY_<NAME>`` over ``configured``; ``outbox``
    always. ``environ`` defaults to ``os.environ``, read at each call."""

    configured: Mapping[str, str] = field(default_factory=dict)
    environ: Mapping[str, str] | None = None

    @property
    def _env(self) -> Mapping[str, str]:
        return os.environ if self.environ is None else self.environ

    def _from_env(self) -> dict[str, str]:
        found = {}
        for key, value in self._env.items():
            name = key[len(NOTIFY_PREFIX) :]
            defined = key.startswith(NOTIFY_PREFIX) and name and value.strip()
            if defined and not name.endswith(SECRET_SUFFIX):
                found[name] = value.strip()
        return found

    def _all(self) -> dict[str, tuple[str, str]]:
        """By key: (the name to show, the URL)."""
        known: dict[str, tuple[str, str]] = {channel_key(OUTBOX): (OUTBOX, "outbox://")}
        for name, url in self.configured.items():
            known[channel_key(name)] = (name, str(url).strip())
        for key, url in self._from_env().items():
            known[key] = (known.get(key, (key.lower().replace("_", "-"), ""))[0], url)
        return known

    def names(self) -> list[str]:
        return sorted(name for name, _ in self._all().values())

    def is_defined(self, name: str) -> bool:
        return channel_key(name) in self._all()

    def url(self, name: str) -> str:
        """The URL ``name`` stands for; ``ValueError`` saying how to define it."""
        found = self._all().get(channel_key(name))
        if found is None or not found[1]:
            raise UndefinedChannel(
                f"notification channel {name!r} is not defined; set "
                f"{NOTIFY_PREFIX}{channel_key(name)} or c.OrchApp.notify_channels = "
                f"{{{name!r}: 'mailtos://...'}} (defined: {', '.join(self.names())})"
            )
        return found[1]

    def secret(self, name: str) -> str | None:
        """The signing secret of a JSON channel, if it has one."""
        value = self._env.get(NOTIFY_PREFIX + channel_key(name) + SECRET_SUFFIX, "").strip()
        return value or None

    @property
    def pagerduty_url(self) -> str:
        return self._env.get(PAGERDUTY_URL_VARIABLE, "").strip() or PAGERDUTY_URL

    def masked(self) -> tuple[str, ...]:
        """Every secret part of every channel URL and signing secret, for masking."""
        values: list[str | None] = []
        for name, url in self._all().values():
            if kind_of(url) != OUTBOX:
                values += [*url_secrets(url), self.secret(name)]
        return masked_values(values)

    def describe(self) -> list[dict[str, Any]]:
        """Each name with its kind and where it is defined: never its URL."""
        env = self._from_env()
        described = []
        for key, (name, url) in sorted(self._all().items(), key=lambda item: item[1][0]):
            entry: dict[str, Any] = {"name": name, "kind": kind_of(url)}
            if key in env:
                entry["defined_by"] = NOTIFY_PREFIX + key
            elif name == OUTBOX:
                entry["defined_by"] = "built in"
            else:
                entry["defined_by"] = "c.OrchApp.notify_channels"
            if self.secret(name):
                entry["signed"] = True
            described.append(entry)
        return described

    def environment(self, names: list[str]) -> dict[str, str]:
        """The variables a step's process needs to send to ``names`` (an export step)."""
        env = {PAGERDUTY_URL_VARIABLE: self.pagerduty_url}
        for name in names:
            key = channel_key(name)
            try:
                env[NOTIFY_PREFIX + key] = self.url(name)
            except ValueError:
                continue
            if (secret := self.secret(name)) is not None:
                env[NOTIFY_PREFIX + key + SECRET_SUFFIX] = secret
        return env
