"""Pipelines can be archived: ``pipelines.archived``; an archived pipeline does not fire and
listings hide it. Added in place, as ``runs.pinned`` was.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "pipelines", sa.Column("archived", sa.Boolean(), server_default=sa.false(), nullable=False)
    )


def downgrade() -> None:
    with op.batch_alter_table("pipelines", recreate="never") as batch_op:
        batch_op.drop_column("archived")
