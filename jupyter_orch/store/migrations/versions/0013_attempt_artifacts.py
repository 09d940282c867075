"""Attempts record the files they wrote: ``step_attempts.artifacts`` (JSON: each file's path,
size and modification time), shown under their step in the run detail. Added in place.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("step_attempts", sa.Column("artifacts", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("step_attempts", recreate="never") as batch_op:
        batch_op.drop_column("artifacts")
