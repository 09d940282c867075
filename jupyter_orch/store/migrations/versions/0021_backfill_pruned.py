"""Backfills keep a tally of their runs that retention deleted (``backfills.pruned``, by
status), so that a deleted failed run still makes its backfill ``failed`` and its counts stay
whole. A nullable column; nothing is backfilled (no tally: none deleted yet).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("backfills", sa.Column("pruned", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("backfills", recreate="never") as batch_op:
        batch_op.drop_column("pruned")
