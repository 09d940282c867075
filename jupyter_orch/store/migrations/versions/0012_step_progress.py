"""A running notebook step's progress: ``step_runs.progress``, the cell it runs (k of n), its
first line and when it began, kept up to date twice a second at most.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("step_runs", sa.Column("progress", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("step_runs", recreate="never") as batch_op:
        batch_op.drop_column("progress")
