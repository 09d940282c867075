"""Runs get a number per pipeline (``daily-sales-report #42``): ``runs.number``, and the count
of runs a pipeline has made so far, ``pipelines.runs_made``, from which the next number comes.
Existing runs are numbered in the order they were created.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

#: Rows updated per statement while numbering existing runs.
CHUNK = 1000


def upgrade() -> None:
    op.add_column("runs", sa.Column("number", sa.Integer(), nullable=True))
    op.add_column(
        "pipelines", sa.Column("runs_made", sa.Integer(), server_default="0", nullable=False)
    )
    bind = op.get_bind()
    runs = sa.table("runs", sa.column("id"), sa.column("pipeline_id"), sa.column("created_at"),
                    sa.column("number"))  # fmt: skip
    pipelines = sa.table("pipelines", sa.column("id"), sa.column("runs_made"))
    made: dict[int, int] = defaultdict(int)
    numbered = []
    rows = bind.execute(
        sa.select(runs.c.id, runs.c.pipeline_id).order_by(
            runs.c.pipeline_id, runs.c.created_at, runs.c.id
        )
    )
    for run_id, pipeline_id in rows:
        made[pipeline_id] += 1
        numbered.append({"run_id": run_id, "n": made[pipeline_id]})
    number_of = sa.update(runs).where(runs.c.id == sa.bindparam("run_id"))
    for start in range(0, len(numbered), CHUNK):
        bind.execute(number_of.values(number=sa.bindparam("n")), numbered[start : start + CHUNK])
    for pipeline_id, count in made.items():
        bind.execute(
            sa.update(pipelines).where(pipelines.c.id == pipeline_id).values(runs_made=count)
        )
    op.create_index("ix_runs_pipeline_number", "runs", ["pipeline_id", "number"])


def downgrade() -> None:
    op.drop_index("ix_runs_pipeline_number", table_name="runs")
    with op.batch_alter_table("pipelines", recreate="never") as batch_op:
        batch_op.drop_column("runs_made")
    with op.batch_alter_table("runs", recreate="never") as batch_op:
        batch_op.drop_column("number")
