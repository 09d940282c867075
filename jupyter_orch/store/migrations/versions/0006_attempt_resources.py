"""Attempts record what their processes used: ``step_attempts.resources`` (JSON: peak memory
in bytes, CPU seconds). Added in place: no table is rebuilt.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("step_attempts", sa.Column("resources", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("step_attempts", recreate="never") as batch_op:
        batch_op.drop_column("resources")
