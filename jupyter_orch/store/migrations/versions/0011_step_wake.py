"""A waiting retry can be cut short: ``step_runs.wake`` holds a person's request (``retry``:
now; ``fail``: give the retries up) until the run's executor takes it.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("step_runs", sa.Column("wake", sa.String(10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("step_runs", recreate="never") as batch_op:
        batch_op.drop_column("wake")
