"""Requests that must create one run only: runs gain the ``Idempotency-Key`` they were created
with (unique per pipeline) and their request's hash; webhook delivery ids are kept with the run
each created, with a hash of their signature (both unique per pipeline).

No table is rebuilt: on SQLite a rebuilt ``runs`` table would cascade-delete its steps.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("runs", sa.Column("idempotency_key", sa.String(length=255), nullable=True))
    op.add_column("runs", sa.Column("request_hash", sa.String(length=64), nullable=True))
    op.create_index(
        "uq_runs_pipeline_idempotency_key",
        "runs",
        ["pipeline_id", "idempotency_key"],
        unique=True,
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pipeline_id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.String(length=200), nullable=False),
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("signed_hash", sa.String(length=64), nullable=True),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["pipeline_id"], ["pipelines.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("pipeline_id", "delivery_id"),
        sa.UniqueConstraint("pipeline_id", "signed_hash"),
    )


def downgrade() -> None:
    op.drop_table("webhook_deliveries")
    op.drop_index("uq_runs_pipeline_idempotency_key", table_name="runs")
    # In place (SQLite 3.35+): a rebuilt table would lose its steps to the cascade.
    op.drop_column("runs", "request_hash")
    op.drop_column("runs", "idempotency_key")
