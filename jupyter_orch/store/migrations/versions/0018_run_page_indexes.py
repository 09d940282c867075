"""Indexes for the runs page filtered by status or by pipeline (``GET /orch/runs?status=...``,
``?pipeline=...``): ``(status, id)`` replaces ``(status)``, and ``(pipeline_id, id)`` is new.
The page lists runs newest first by id (ids sort by creation time); with the old indexes a
filtered page read and sorted every matching run, so its cost grew with the history. An index
ending in ``id`` hands the rows over already in the page's order, and the page stops after
``limit`` of them. Lookups by status alone (the active runs) use the new index's first column.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_runs_status_newest", "runs", ["status", "id"])
    op.create_index("ix_runs_pipeline_newest", "runs", ["pipeline_id", "id"])
    op.drop_index("ix_runs_status", table_name="runs")


def downgrade() -> None:
    op.create_index("ix_runs_status", "runs", ["status"])
    op.drop_index("ix_runs_pipeline_newest", table_name="runs")
    op.drop_index("ix_runs_status_newest", table_name="runs")
