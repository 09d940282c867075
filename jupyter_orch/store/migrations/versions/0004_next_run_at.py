"""One word per concept: a pipeline's next schedule slot is ``next_run_at``, as the REST API
already calls it (it was ``next_fire_at``); what an event source saw last is kept in
``event_states`` (it was ``trigger_states``: "trigger" is the word for what started a run).

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
    op.rename_table("trigger_states", "event_states")


def downgrade() -> None:
    op.rename_table("event_states", "trigger_states")
    with op.batch_alter_table("pipelines", recreate="never") as batch_op:
        batch_op.alter_column("next_run_at", new_column_name="next_fire_at")
