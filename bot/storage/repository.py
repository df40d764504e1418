"""The storage API the app uses: users, conversation state and processed updates, as plain records.

ORM objects stay inside this package; callers get frozen dataclasses or plain values. Services that
need their own transaction (handoff: case + note + outbox row together) use `Storage.session()`.
"""
from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Insert, Row, Update, and_, delete, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.clock import utcnow
from bot.storage.database import TransactionQueue, make_engine, make_sessionmaker
from bot.storage.models import ConversationState, ProcessedUpdate, User

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class UserRecord:
    """What the conversation needs to know about a user."""

    id: int
    locale: str | None
    consent_at: datetime | None
    blocked_at: datetime | None


USER_RECORD_COLUMNS = (User.id, User.locale, User.consent_at, User.blocked_at)


class Storage:
    """The database behind one url: an engine, its sessions and the queries the app runs."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = make_sessionmaker(engine)
        self._queue = TransactionQueue() if engine.dialect.name == "sqlite" else None

    @classmethod
    def open(cls, url: str) -> Storage:
        """Storage for a migrated database; connections are opened on first use."""
        return cls(make_engine(url))

    async def close(self) -> None:
        await self.engine.dispose()

    async def checkpoint(self) -> None:
        """After an erasure: on SQLite, write the WAL into the database file and truncate it, so
        that the erased values (zeroed in the database file by secure_delete) are gone from the
        WAL's older page copies too; nothing on PostgreSQL."""
        if self._queue is None:
            return
        async with self._queue.one_at_a_time(), self.engine.connect() as connection:
            busy, *_ = (await connection.exec_driver_sql(
                "PRAGMA wal_checkpoint(TRUNCATE)")).one()
        if busy:
            log.warning("the WAL was not checkpointed after an erasure (a reader held it)")

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session in one transaction: committed when the block ends, rolled back on an error.
        On SQLite, transactions queue one after another (`TransactionQueue`)."""
        place = self._queue.one_at_a_time() if self._queue is not None else nullcontext()
        async with place, self._sessions.begin() as session:
            yield session

    async def user(self, channel: str, external_id: str) -> UserRecord:
        """The user behind a channel's id, created on first contact, and marked as seen now.

        Safe when several first messages of a new user arrive at once: exactly one row is created.
        A user who writes has unblocked the bot, so `blocked_at` is cleared.
        """
        now = utcnow()
        seen = (
            update(User)
            .where(and_(User.channel == channel, User.external_id == external_id))
            .values(last_seen_at=now, blocked_at=None)
            .returning(*USER_RECORD_COLUMNS)
        )
        first_contact = (
            insert(User)
            .values(channel=channel, external_id=external_id, created_at=now, last_seen_at=now)
            .returning(*USER_RECORD_COLUMNS)
        )
        return UserRecord(**(await self._update_or_insert(seen, first_contact))._mapping)

    async def set_locale(self, user_id: int, locale: str) -> None:
        await self._update_user(user_id, locale=locale)

    async def set_consent(self, user_id: int, when: datetime | None) -> None:
        """Record when the user consented to data processing; None withdraws consent."""
        await self._update_user(user_id, consent_at=when)

    async def mark_blocked(self, user_id: int) -> None:
        """The user blocked the bot: stop sending to them until they write again."""
        await self._update_user(user_id, blocked_at=utcnow())

    async def load_state(self, user_id: int) -> dict[str, Any] | None:
        """The saved conversation state, or None when the user has none."""
        async with self.session() as session:
            return await session.scalar(
                select(ConversationState.data).where(ConversationState.user_id == user_id)
            )

    async def save_state(
        self, user_id: int, data: dict[str, Any], content_version: str | None
    ) -> None:
        """Replace the user's conversation state, saved against the content `content_version`."""
        values = {"data": data, "content_version": content_version, "updated_at": utcnow()}
        await self._update_or_insert(
            update(ConversationState)
            .where(ConversationState.user_id == user_id)
            .values(values)
            .returning(ConversationState.user_id),
            insert(ConversationState)
            .values(user_id=user_id, **values)
            .returning(ConversationState.user_id),
        )

    async def delete_state(self, user_id: int) -> None:
        async with self.session() as session:
            await session.execute(
                delete(ConversationState).where(ConversationState.user_id == user_id)
            )

    async def update_processed(self, update_id: int) -> bool:
        """Whether the update was handled to the end already (see `mark_update_processed`)."""
        async with self.session() as session:
            return await session.get(ProcessedUpdate, update_id) is not None

    async def mark_update_processed(self, update_id: int) -> bool:
        """Record that an update was handled to the end: True the first time, False when it was
        recorded already."""
        try:
            async with self.session() as session:
                await session.execute(insert(ProcessedUpdate).values(update_id=update_id))
        except IntegrityError:
            return False
        return True

    async def ping(self) -> None:
        """Raises when the database does not answer (`/healthz`)."""
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def _update_user(self, user_id: int, **values: object) -> None:
        async with self.session() as session:
            await session.execute(update(User).where(User.id == user_id).values(values))

    async def _update_or_insert(self, update_: Update, insert_: Insert) -> Row[Any]:
        """Run the UPDATE; if it matched no row, the INSERT; both must return one row.

        When a concurrent writer inserts the same key between the two, the INSERT fails on the
        unique key and the UPDATE runs again. Each step is its own transaction, because PostgreSQL
        refuses further statements in a transaction that hit an error.
        """
        async with self.session() as session:
            row = (await session.execute(update_)).first()
        if row is not None:
            return row
        try:
            async with self.session() as session:
                return (await session.execute(insert_)).one()
        except IntegrityError:
            async with self.session() as session:
                row = (await session.execute(update_)).first()
            if row is None:
                raise  # not a concurrent insert: a real constraint violation (e.g. no such user)
            return row
