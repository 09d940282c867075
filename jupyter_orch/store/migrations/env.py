"""Alembic environment: migrations run on a connection the store hands over."""

from __future__ import annotations

from alembic import context

from jupyter_orch.store.tables import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - offline SQL generation is not supported
    raise RuntimeError("jupyter-orch migrations run through jupyter_orch.store.engine.migrate")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
