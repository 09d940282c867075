"""Attempts record the datasets they read and wrote: ``step_attempts.lineage`` (JSON:
``{"inputs": [...], "outputs": [...]}``, each a stable dataset name), drawn by
``jupyter orch lineage``. Added in place; attempts recorded before have none.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("step_attempts", sa.Column("lineage", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("step_attempts", recreate="never") as batch_op:
        batch_op.drop_column("lineage")
