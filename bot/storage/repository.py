"""The storage API the app uses: users, conversation state and processed updates, as plain records.

ORM objects stay inside this package; callers get frozen dataclasses or plain values. Services that
need their own transaction (handoff: case + note + outbox row together) use `Storage.session()`.
"""
from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.clock import utcnow
from bot.storage.database import (
    OPEN_TRANSACTION,
    OpenTransaction,
    TransactionQueue,
    make_engine,
    make_sessionmaker,
)
from bot.storage.models import User
from bot.storage.statements import Statements, core

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class UserRecord:
    """What the conversation needs to know about a user."""

    id: int
    locale: str | None
    consent_at: datetime | None
    blocked_at: datetime | None


class Storage:
    """The database behind one url: an engine, its sessions and the queries the app runs."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = make_sessionmaker(engine)
        self._queue = TransactionQueue() if engine.dialect.name == "sqlite" else None
        self._statements = Statements.of(engine.dialect.name)

    @classmethod
    def open(cls, url: str) -> Storage:
        """Storage for a migrated database; connections are opened on first use."""
        return cls(make_engine(url))

    async def close(self) -> None:
        await self.engine.dispose()

    async def checkpoint(self) -> None:
        """After an erasure: on SQLite, write the WAL into the database file and truncate it, so
        that the erased values (zeroed in the database file by secure_delete) are gone from the
        WAL's older page copies too; nothing on PostgreSQL. Inside a transaction (`session`),
        once it has committed."""
        if self._queue is None:
            return
        if self._open() is not None:
            self.after_commit(self.checkpoint)
            return
        async with self._queue.one_at_a_time(), self.engine.connect() as connection:
            busy, *_ = (await connection.exec_driver_sql(
                "PRAGMA wal_checkpoint(TRUNCATE)")).one()
        if busy:
            log.warning("the WAL was not checkpointed after an erasure (a reader held it)")

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session in one transaction: committed when the block ends, rolled back on an error.
        On SQLite, transactions queue one after another (`TransactionQueue`). Inside another
        session of this storage in the same task, that one: the block joins its transaction
        (a person's update is one transaction, `Conversations.handle`)."""
        if (open_ := self._open()) is not None:
            yield open_.session
            return
        place = self._queue.one_at_a_time() if self._queue is not None else nullcontext()
        async with place, self._sessions.begin() as session:
            open_ = OpenTransaction(self, asyncio.current_task(), session)
            token = OPEN_TRANSACTION.set(open_)
            try:
                yield session
            finally:
                OPEN_TRANSACTION.reset(token)
        for then in open_.after_commit:
            if inspect.isawaitable(done := then()):
                await done

    def after_commit(self, then: Callable[[], object]) -> None:
        """Call `then` (awaited if it returns an awaitable) once the transaction this task has
        open has committed, or at once outside one; never if it rolls back."""
        open_ = self._open()
        if open_ is None:
            done = then()
            assert not inspect.isawaitable(done), "outside a transaction: await it yourself"
            return
        open_.after_commit.append(then)

    def _open(self) -> OpenTransaction | None:
        open_ = OPEN_TRANSACTION.get()
        return open_ if open_ is not None and open_.joined_by(self) else None

    async def user(self, channel: str, external_id: str) -> UserRecord:
        """The user behind a channel's id, created on first contact, and marked as seen now.

        Safe when several first messages of a new user arrive at once: exactly one row is created.
        A user who writes has unblocked the bot, so `blocked_at` is cleared.
        """
        return (await self.user_with_state(channel, external_id))[0]

    async def user_with_state(self, channel: str,
                              external_id: str) -> tuple[UserRecord, dict[str, Any] | None]:
        """`user`, and their saved conversation state (as `load_state`), in one statement."""
        values = {"u_channel": channel, "u_external_id": external_id, "now": utcnow()}
        async with self.session() as session:
            connection = await core(session)
            row = (await connection.execute(self._statements.seen, values)).first()
            if row is None:  # first contact, or a concurrent one: the upsert does either
                row = (await connection.execute(self._statements.first_contact, values)).one()
        *record, state = row
        return UserRecord(*record), state
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
            return (await (await core(session)).execute(
                self._statements.load_state, {"user_id": user_id})).scalar()

    async def save_state(
        self, user_id: int, data: dict[str, Any], content_version: str | None
    ) -> None:
        """Replace the user's conversation state, saved against the content `content_version`."""
        async with self.session() as session:
            await (await core(session)).execute(self._statements.save_state, {
                "user_id": user_id, "data": data, "version": content_version,
                "now": utcnow()})

    async def delete_state(self, user_id: int) -> None:
        async with self.session() as session:
            await (await core(session)).execute(self._statements.delete_state,
                                                {"user_id": user_id})

    async def update_processed(self, update_id: int) -> bool:
        """Whether the update was handled to the end already (see `mark_update_processed`).
        A read outside any transaction queue (SQLite's WAL lets readers beside the writer)."""
        async with self.engine.connect() as connection:
            return (await connection.execute(self._statements.processed,
                                             {"update_id": update_id})).first() is not None

    async def mark_update_processed(self, update_id: int) -> bool:
        """Record that an update was handled to the end: True the first time, False when it was
        recorded already."""
        async with self.session() as session:
            return (await (await core(session)).execute(
                self._statements.mark_processed,
                {"update_id": update_id, "now": utcnow()})).first() is not None

    async def record_usage(self, events: Sequence[Mapping[str, Any]],
                           unanswered: Sequence[Mapping[str, Any]]) -> None:
        """Add usage events and unanswered questions (`bot.services.usage`), given as the
        columns of `UsageEvent` and `UnansweredQuestion`."""
        if not events and not unanswered:
            return
        async with self.session() as session:
            connection = await core(session)
            if events:
                await connection.execute(self._statements.usage_event, list(events))
            if unanswered:
                await connection.execute(self._statements.unanswered, list(unanswered))

    async def ping(self) -> None:
        """Raises when the database does not answer (`/healthz`)."""
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def _update_user(self, user_id: int, **values: object) -> None:
        async with self.session() as session:
            await session.execute(update(User).where(User.id == user_id).values(values))
