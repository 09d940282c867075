"""The activity log: ``activity``, one row per change or action (who, when, what, from where),
append-only, removed only by its own age setting. New table; nothing is backfilled.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-11
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "activity",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(200), nullable=True),
        sa.Column("origin", sa.String(20), nullable=False),
        sa.Column("address", sa.String(100), nullable=True),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("pipeline", sa.String(200), nullable=True),
        sa.Column("run_id", sa.String(32), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
    )
    op.create_index("ix_activity_at", "activity", ["at"])
    op.create_index("ix_activity_pipeline", "activity", ["pipeline", "id"])
    op.create_index("ix_activity_actor", "activity", ["actor", "id"])


def downgrade() -> None:
    op.drop_table("activity")
