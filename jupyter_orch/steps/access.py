"""What one run's steps may reach: its connections by name, its secrets, and what to mask.

A pipeline grants notebook steps the connections its steps name and those under
``connections:``, and the secrets under ``secrets:`` (environment variables of the server or
the CLI). They reach a step through its environment, as ``JUPYTER_ORCH_CONN_<NAME>`` and
``JUPYTER_ORCH_SECRET_<NAME>`` (read by ``jupyter_orch.connection`` and ``jupyter_orch.secret``),
never as parameters, so no output notebook's parameters cell holds one. Every secret value and
every connection password is masked in all a run leaves.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from jupyter_orch.connections import (
    CONN_PREFIX,
    CONNECTION_NAME,
    SECRET_PREFIX,
    Connections,
    env_reference,
    parse_url,
)
from jupyter_orch.masking import masked_values
from jupyter_orch.spec import PipelineSpec


@dataclass(frozen=True)
class StepAccess:
    connections: Connections = field(default_factory=Connections)
    #: Connection names notebook steps of the run may open.
    granted: tuple[str, ...] = ()
    #: The pipeline's secrets, by name, as the process's environment holds them.
    secrets: Mapping[str, str] = field(default_factory=dict)
    masked: tuple[str, ...] = ()
    #: Variables the run's steps name as ``connection: ${NAME}`` (each holds a URL).
    url_variables: frozenset[str] = frozenset()

    @classmethod
    def of(
        cls,
        spec: PipelineSpec,
        connections: Connections,
        environ: Mapping[str, str] | None = None,
    ) -> StepAccess:
        environ = os.environ if environ is None else environ
        refs = [
            ref.strip()
            for step in spec.steps
            for ref in (step.connection, step.export.to.connection if step.export else None)
            if ref
        ]
        named = [*spec.connections, *(r for r in refs if CONNECTION_NAME.fullmatch(r))]
        granted = tuple(dict.fromkeys(n for n in named if connections.is_defined(n)))
        variables = frozenset(name for r in refs if (name := env_reference(r)))
        secrets = {name: environ[name] for name in spec.secrets if environ.get(name)}
        urls = [environ.get(name, "") for name in variables]
        for name in connections.names():
            with contextlib.suppress(ValueError):
                urls.append(connections.url(name))
        passwords = [parsed.password for url in urls if (parsed := parse_url(url)) is not None]
        masked = masked_values(
            [*secrets.values(), *(str(p) for p in passwords if p), *connections.channels.masked()]
        )
        return cls(connections, granted, secrets, masked, variables)

    def environment(self) -> dict[str, str]:
        """The variables a step's process gets: its granted connections and secrets."""
        env = {SECRET_PREFIX + name: value for name, value in self.secrets.items()}
        for name in self.granted:
            with contextlib.suppress(ValueError):
                env[CONN_PREFIX + name.upper()] = self.connections.url(name)
        return env

    def hidden(self) -> frozenset[str]:
        """Variables no step sees under their own name (they come as ours, or not at all)."""
        return frozenset(self.secrets) | self.connections.variables() | self.url_variables
