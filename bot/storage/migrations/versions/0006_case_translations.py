"""The German machine translation of a case's question, for its note (issue 15); empty for
older cases and where no translator is configured.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("translations", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:  # SQLite drops a column by copying the table
        batch.drop_column("translations")
