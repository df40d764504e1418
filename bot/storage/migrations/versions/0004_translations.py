"""Machine translation of the relayed chat: a transcript message's translation and what became of
it, and a case's switch that turns translation off.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("transcript_messages", sa.Column("translation", sa.Text(), nullable=True))
    op.add_column("transcript_messages",
                  sa.Column("translation_state", sa.String(length=32), nullable=True))
    op.add_column("cases", sa.Column("translation_off", sa.Boolean(), nullable=False,
                                     server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:  # SQLite drops a column by copying the table
        batch.drop_column("translation_off")
    with op.batch_alter_table("transcript_messages") as batch:
        batch.drop_column("translation_state")
        batch.drop_column("translation")
