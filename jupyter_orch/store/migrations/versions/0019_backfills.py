"""Backfills: ``backfills``, one row per ``jupyter orch backfill`` (its range, the slots it runs,
how many are queued), and ``runs.backfill_id``, the backfill that queued a run. New table and a
nullable column; nothing is backfilled.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "backfills",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column(
            "pipeline_id",
            sa.Integer(),
            sa.ForeignKey("pipelines.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("range_from", sa.String(64), nullable=False),
        sa.Column("range_to", sa.String(64), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("start", sa.DateTime(), nullable=False),
        sa.Column("end", sa.DateTime(), nullable=False),
        sa.Column("slots", sa.JSON(), nullable=False),
        sa.Column("cursor", sa.Integer(), server_default="0", nullable=False),
        sa.Column("skipped", sa.Integer(), server_default="0", nullable=False),
        sa.Column("max_parallel", sa.Integer(), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("rerun_succeeded", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_backfills_status", "backfills", ["status"])
    op.add_column("runs", sa.Column("backfill_id", sa.String(32), nullable=True))
    op.create_index("ix_runs_backfill", "runs", ["backfill_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_runs_backfill", table_name="runs")
    with op.batch_alter_table("runs", recreate="never") as batch_op:
        batch_op.drop_column("backfill_id")
    op.drop_table("backfills")
