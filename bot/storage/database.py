"""The async engine and session factory: the per-connection settings SQLite needs, the connection
pool PostgreSQL gets."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool

DatabaseError = SQLAlchemyError
"""What a failing database raises, by the name callers outside bot/storage/ catch it."""
SQLITE_BUSY_TIMEOUT_MS = 5000
# Per process: a webhook instance handles updates concurrently, and each holds a connection only
# for one short transaction. Several instances share PostgreSQL's max_connections (100 by default),
# so 4 instances at 10 + 5 stay below it.
POSTGRES_POOL: dict[str, Any] = {
    "pool_size": 10,
    "max_overflow": 5,
    "pool_timeout": 10,  # seconds to wait for a free connection before failing the update
    "pool_recycle": 1800,  # seconds; renews connections a firewall or proxy may have cut
    "pool_pre_ping": True,  # a connection the server closed (restart, failover) is replaced
    "connect_args": {"server_settings": {"application_name": "lotse"}},  # pg_stat_activity
}


def make_engine(url: str, *, enforce_foreign_keys: bool = True) -> AsyncEngine:
    """An engine for `sqlite+aiosqlite://` or `postgresql+asyncpg://` urls.

    For SQLite it creates the database file's folder and sets, on every connection, foreign-key
    enforcement, the WAL journal (readers do not block the writer), a busy timeout (concurrent
    writers wait instead of failing) and secure_delete (deleted values are overwritten with
    zeros, not left in free pages: an erasure erases; `Storage.checkpoint` then clears the WAL). Migrations pass `enforce_foreign_keys=False`: SQLite rebuilds
    a table to alter it, and dropping the old copy would otherwise cascade into the rows that point
    at it. PostgreSQL always enforces foreign keys and gets the pool settings of `POSTGRES_POOL`.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_async_engine(parsed, **POSTGRES_POOL)
    engine = create_async_engine(parsed)
    if (database := sqlite_file(parsed)) is not None:
        database.parent.mkdir(parents=True, exist_ok=True)
    _configure_sqlite_connections(engine, enforce_foreign_keys)
    return engine


def location(url: str) -> str:
    """Where the database is, for messages: a server's host or SQLite's file (never the
    password)."""
    parsed = make_url(url)
    return str(parsed.host or parsed.database)


class TransactionQueue:
    """SQLite transactions of one process, one after another in the order they began.

    SQLite lets one writer in at a time, and its busy handler is neither fair nor patient: in a
    burst (200 people at once, the backlog after a restart) a transaction can wait longer than
    the busy timeout and fail with "database is locked", and the update it belonged to is lost.
    Queueing in the process first makes writers wait in line instead, however long the line.
    (A session opened inside another one in the same task joins it, `OpenTransaction`, and so
    never waits here for its own task.)"""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def one_at_a_time(self) -> AsyncIterator[None]:
        async with self._lock:
            yield


@dataclass
class OpenTransaction:
    """The transaction a task has open on a `Storage` (`Storage.session`): the sessions it opens
    inside it join it, and what must wait for its commit waits in `after_commit`."""

    owner: object
    task: asyncio.Task[Any] | None
    session: AsyncSession
    after_commit: list[Callable[[], object]] = field(default_factory=list)

    def joined_by(self, owner: object) -> bool:
        """Whether a session `owner` opens now, in the current task, joins this transaction."""
        return owner is self.owner and asyncio.current_task() is self.task


OPEN_TRANSACTION: ContextVar[OpenTransaction | None] = ContextVar("open_transaction",
                                                                   default=None)
"""The current task's open transaction (a task started inside one inherits the variable, but
`joined_by` is false for it: it opens its own)."""


def make_dedicated_engine(url: URL, application_name: str) -> AsyncEngine:
    """A PostgreSQL engine for a connection kept open for its session (an advisory lock, LISTEN):
    never pooled, so closing it ends the session, and in autocommit, so it never sits idle in a
    transaction."""
    return create_async_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT",
                               connect_args={"server_settings": {
                                   "application_name": application_name}})


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions whose objects stay readable after commit (no lazy reload in async code)."""
    return async_sessionmaker(engine, expire_on_commit=False)


def sqlite_file(url: str | URL) -> Path | None:
    """The database file of a SQLite `url`; None for another database or one in memory."""
    url = make_url(url)
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:" or \
            database.startswith("file:"):
        return None
    return Path(database)


def _configure_sqlite_connections(engine: AsyncEngine, enforce_foreign_keys: bool) -> None:
    pragmas = (
        f"PRAGMA foreign_keys={'ON' if enforce_foreign_keys else 'OFF'}",
        "PRAGMA journal_mode=WAL",
        f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
        "PRAGMA secure_delete=ON",
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _set_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
        cursor = dbapi_connection.cursor()
        for pragma in pragmas:
            cursor.execute(pragma)
        cursor.close()
