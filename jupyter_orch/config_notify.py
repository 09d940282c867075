"""The notification settings of ``OrchConfig`` (``c.OrchApp.notify_*`` and ``public_url``),
read alike by the server and the CLI (``CliConfig`` reads them from the Jupyter config files).

Channels themselves are defined by ``notify_channels`` and the ``JUPYTER_ORCH_NOTIFY_<NAME>``
variables (see ``channels.py``).
"""

from __future__ import annotations

from typing import Any

from traitlets import Dict, Float, Int, TraitError, Unicode, default
from traitlets.config import Configurable

from .errors import SettingError
from .notify.delivery import DeliverySettings

#: The section of the Jupyter config files (``c.OrchApp``).
SECTION = "OrchApp"
_DEFAULTS = DeliverySettings()


class NotifySettings(Configurable):
    notify_channels = Dict(
        key_trait=Unicode(),
        value_trait=Unicode(),
        config=True,
        help="Notification channels, {name: apprise URL} (mailtos://, slack://, json://, "
        "pagerduty://<routing key>...). The variable JUPYTER_ORCH_NOTIFY_<NAME> defines a name "
        "too, and wins over this; the channel 'outbox' always exists",
    )
    public_url = Unicode(
        "",
        config=True,
        help="The URL users open the server at (https://hub.example.com/user/ana/): "
        "notifications link to the run in JupyterLab. Unset, they name `jupyter orch show`",
    )
    notify_max_attempts = Int(
        _DEFAULTS.max_attempts,
        min=1,
        max=100,
        config=True,
        help="Tries to deliver one notification before it is marked failed",
    )
    notify_retry_delay = Float(
        _DEFAULTS.retry_delay,
        min=0.0,
        config=True,
        help="Seconds before a notification's second try (doubling, at most an hour)",
    )
    notify_timeout = Float(_DEFAULTS.timeout, min=0.1, config=True, help="Seconds one try may take")
    notify_drain_timeout = Float(
        30.0,
        min=0.0,
        config=True,
        help="Seconds `jupyter orch run` waits to deliver its run's notifications before it "
        "exits (what is left, a scheduler or server delivers)",
    )

    def configured(self, name: str) -> Any:
        """A value the CLI reads from the config files (the server's traitlets load them)."""
        return None

    def _read(self, name: str) -> Any:
        value = self.configured(name)
        trait = self.traits()[name]
        if value is None:
            return trait.default()
        try:
            return trait.validate(self, value)  # type: ignore[attr-defined]
        except TraitError as exc:
            raise SettingError(f"c.{SECTION}.{name}: {exc}") from None

    @default("notify_channels")
    def _default_notify_channels(self) -> dict[str, str]:
        return dict(self._read("notify_channels") or {})

    @default("public_url")
    def _default_public_url(self) -> str:
        return str(self._read("public_url"))

    @default("notify_max_attempts")
    def _default_notify_max_attempts(self) -> int:
        return int(self._read("notify_max_attempts"))

    @default("notify_retry_delay")
    def _default_notify_retry_delay(self) -> float:
        return float(self._read("notify_retry_delay"))

    @default("notify_timeout")
    def _default_notify_timeout(self) -> float:
        return float(self._read("notify_timeout"))

    @default("notify_drain_timeout")
    def _default_notify_drain_timeout(self) -> float:
        return float(self._read("notify_drain_timeout"))

    def delivery_settings(self) -> DeliverySettings:
        return DeliverySettings(
            max_attempts=self.notify_max_attempts,
            retry_delay=self.notify_retry_delay,
            timeout=self.notify_timeout,
            lease=self.notify_timeout * 3 + 5,
        )
