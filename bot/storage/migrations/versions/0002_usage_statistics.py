"""Anonymous usage events and unanswered questions, for statistics and content gaps.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "usage_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("session", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=True),
        sa.Column("topic", sa.String(length=64), nullable=True),
        sa.Column("entry", sa.String(length=64), nullable=True),
        sa.Column("flow", sa.String(length=64), nullable=True),
        sa.Column("node", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_events")),
    )
    op.create_index(op.f("ix_usage_events_occurred_at"), "usage_events", ["occurred_at"])
    op.create_table(
        "unanswered_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unanswered_questions")),
    )
    op.create_index(op.f("ix_unanswered_questions_asked_at"), "unanswered_questions",
                    ["asked_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_unanswered_questions_asked_at"), table_name="unanswered_questions")
    op.drop_table("unanswered_questions")
    op.drop_index(op.f("ix_usage_events_occurred_at"), table_name="usage_events")
    op.drop_table("usage_events")
