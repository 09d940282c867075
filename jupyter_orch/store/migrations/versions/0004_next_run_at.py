"""One word per concept: a pipeline's next schedule slot is ``next_run_at``, as the REST API
already calls it (it was ``next_fire_at``).

SQLite renames the column in place (``ALTER TABLE ... RENAME COLUMN``, SQLite 3.25+): a rebuilt
``pipelines`` table would take its versions, runs and ticks with it in the cascade.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pipelines", recreate="never") as batch_op:
        batch_op.alter_column("next_fire_at", new_column_name="next_run_at")


def downgrade() -> None:
    with op.batch_alter_table("pipelines", recreate="never") as batch_op:
        batch_op.alter_column("next_run_at", new_column_name="next_fire_at")
