"""The service layer a command works on: the store and runs folder its options name."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..errors import UserError


def open_orchestrator(args: argparse.Namespace) -> Any:
    from ..config import CliConfig, check_all, runs_path
    from ..service import Orchestrator
    from ..store.repository import Store

    check_all()  # an invalid setting stops the command before it changes anything
    config = CliConfig(db_url=args.db, runs_dir=args.runs_dir)
    url = config.db_url
    try:
        store = Store.open(url)
    except Exception as exc:  # a wrong URL, port or database, a missing driver: say which
        from ..store.engine import failure_reason

        raise UserError(
            f"cannot open the store {failure_reason(exc, url)} "
            "(set --db, JUPYTER_ORCH_DB_URL or c.OrchApp.db_url)"
        ) from None
    return Orchestrator(
        store,
        runs_path(config.runs_dir, Path.cwd()),
        connections=config.named_connections(),
        public_url=config.public_url or None,
        delivery=config.delivery_settings(),
        retention=config.default_retention(),
        activity_max_age=config.activity_max_age_seconds(),
    )


def cli_connections() -> Any:
    """The named connections as the CLI reads them (variables over the Jupyter config)."""
    from ..config import CliConfig

    return CliConfig().named_connections()
