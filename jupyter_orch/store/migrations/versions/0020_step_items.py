"""For-each steps: each item is a step run of its own (``report[0]``), with ``parent`` (the
for-each step), ``item_index`` and ``item`` (its value). Nullable columns; nothing is
backfilled.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("step_runs", sa.Column("parent", sa.String(200), nullable=True))
    op.add_column("step_runs", sa.Column("item_index", sa.Integer(), nullable=True))
    op.add_column("step_runs", sa.Column("item", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("step_runs", recreate="never") as batch_op:
        batch_op.drop_column("item")
        batch_op.drop_column("item_index")
        batch_op.drop_column("parent")
