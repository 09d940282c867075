"""A rerun that replays its run's own version byte for byte says so: ``runs.exact``
(``jupyter orch rerun --exact``, "Replay exactly" in the lab). Added in place; runs recorded
before are not exact replays.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-09
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "runs", sa.Column("exact", sa.Boolean(), nullable=False, server_default=sa.false())
    )


def downgrade() -> None:
    with op.batch_alter_table("runs", recreate="never") as batch_op:
        batch_op.drop_column("exact")
