"""Runs can be pinned: ``runs.pinned``, kept whatever retention says. Added in place (a rebuilt
``runs`` table would take its steps with it in the cascade).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "runs", sa.Column("pinned", sa.Boolean(), server_default=sa.false(), nullable=False)
    )


def downgrade() -> None:
    with op.batch_alter_table("runs", recreate="never") as batch_op:
        batch_op.drop_column("pinned")
