"""Retention's journal: ``pruned_folders`` names the run folders whose runs a prune deleted,
until the folders are gone too (a prune killed in between leaves them for the next one).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pruned_folders",
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("pipeline", sa.String(length=200), nullable=False),
        sa.Column("run_dir", sa.Text(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("run_id"),
    )
    op.create_index("ix_pruned_folders_pipeline", "pruned_folders", ["pipeline"])


def downgrade() -> None:
    op.drop_index("ix_pruned_folders_pipeline", table_name="pruned_folders")
    op.drop_table("pruned_folders")
