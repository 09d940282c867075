"""Versions keep the files their steps name: ``blobs`` (each distinct content once, compressed)
and ``pipeline_version_files`` (a version's paths, kinds and contents), and say who recorded them
and what changed (``pipeline_versions.created_by``, ``summary``). Versions recorded before have
no files. Added in place.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("pipeline_versions", sa.Column("created_by", sa.String(200), nullable=True))
    op.add_column("pipeline_versions", sa.Column("summary", sa.Text(), nullable=True))
    op.create_table(
        "blobs",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
    )
    op.create_table(
        "pipeline_version_files",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "version_id",
            sa.Integer(),
            sa.ForeignKey("pipeline_versions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("digest", sa.String(64), sa.ForeignKey("blobs.digest"), nullable=False),
    )
    op.create_index("ix_pipeline_version_files_version", "pipeline_version_files", ["version_id"])


def downgrade() -> None:
    op.drop_index("ix_pipeline_version_files_version", table_name="pipeline_version_files")
    op.drop_table("pipeline_version_files")
    op.drop_table("blobs")
    with op.batch_alter_table("pipeline_versions", recreate="never") as batch_op:
        batch_op.drop_column("summary")
        batch_op.drop_column("created_by")
