"""The statements of a person's update, built once per dialect (`Statements.of`) with bound
parameters, so that an update only binds values: building a statement, its coercions and its
cache key was about a third of the bot's CPU when every call built its own (issue 18).

They are Core statements, executed on the session's connection (`core`), not through the ORM:
an ORM-enabled UPDATE also looks through the session's identity map, which these never need."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import (
    Delete,
    Insert,
    Select,
    Update,
    bindparam,
    delete,
    literal_column,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bot.storage.models import (
    ConversationState,
    ProcessedUpdate,
    UnansweredQuestion,
    UsageEvent,
    User,
)

USER_RECORD_COLUMNS = (User.id, User.locale, User.consent_at, User.blocked_at)
STATE_OF_USER = (select(ConversationState.data)
                 .where(ConversationState.user_id == literal_column("users.id"))
                 .scalar_subquery())
"""The person's saved state, read in the same statement that marks them as seen. The outer row
is named literally: SQLAlchemy neither correlates a subquery in an INSERT's RETURNING (it would
read every user's state) nor qualifies column names in SQLite's RETURNING."""


def _param(name: str, column: Any) -> Any:
    return bindparam(name, type_=column.type)


@dataclass(frozen=True)
class Statements:
    """What one update runs, for one dialect. Parameters: `channel`, `external_id`, `now`
    (seen, first_contact); `user_id`, `data`, `version`, `now` (save_state); `update_id`,
    `now` (processed, mark_processed); `user_id` (load_state, delete_state)."""

    seen: Update
    """Marks the person as seen (and no longer blocking the bot); returns the user record and
    their state, or nothing on first contact."""
    first_contact: Insert
    """Creates the person (or, after a concurrent first contact, does what `seen` does);
    returns what `seen` returns."""
    load_state: Select[Any]
    save_state: Insert
    """Replaces the person's state, or creates it."""
    delete_state: Delete
    processed: Select[Any]
    mark_processed: Insert
    """Returns the update's id the first time, nothing when it was recorded already."""
    usage_event: Insert
    unanswered: Insert

    @staticmethod
    @cache
    def of(dialect: str) -> Statements:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        channel, external_id = _param("u_channel", User.channel), \
            _param("u_external_id", User.external_id)
        now = _param("now", User.last_seen_at)
        record = (*USER_RECORD_COLUMNS, STATE_OF_USER)
        first = insert(User).values(channel=channel, external_id=external_id, created_at=now,
                                    last_seen_at=now)
        state = insert(ConversationState).values(
            user_id=_param("user_id", ConversationState.user_id),
            data=_param("data", ConversationState.data),
            content_version=_param("version", ConversationState.content_version),
            updated_at=_param("now", ConversationState.updated_at))
        marked = insert(ProcessedUpdate).values(
            update_id=_param("update_id", ProcessedUpdate.update_id),
            processed_at=_param("now", ProcessedUpdate.processed_at))
        return Statements(
            seen=update(User)
            .where(User.channel == channel, User.external_id == external_id)
            .values(last_seen_at=now, blocked_at=None).returning(*record),
            first_contact=first.on_conflict_do_update(
                index_elements=[User.channel, User.external_id],
                set_={"last_seen_at": first.excluded.last_seen_at, "blocked_at": None},
            ).returning(*record),
            load_state=select(ConversationState.data)
            .where(ConversationState.user_id == _param("user_id", ConversationState.user_id)),
            save_state=state.on_conflict_do_update(
                index_elements=[ConversationState.user_id],
                set_={"data": state.excluded.data,
                      "content_version": state.excluded.content_version,
                      "updated_at": state.excluded.updated_at}),
            delete_state=delete(ConversationState)
            .where(ConversationState.user_id == _param("user_id", ConversationState.user_id)),
            processed=select(ProcessedUpdate.update_id)
            .where(ProcessedUpdate.update_id == _param("update_id", ProcessedUpdate.update_id)),
            mark_processed=marked.on_conflict_do_nothing().returning(ProcessedUpdate.update_id),
            usage_event=insert(UsageEvent),
            unanswered=insert(UnansweredQuestion),
        )


async def core(session: AsyncSession) -> AsyncConnection:
    """The connection of `session`'s transaction, for Core statements."""
    return await session.connection()
