"""Which of the instances sharing one database is the holder: the one that delivers the outbox.

The holder keeps a lock that is released by itself when its process dies, however it dies:

- **PostgreSQL**: the session advisory lock `LOCK_KEY`, taken with `pg_try_advisory_lock` on a
  connection of its own (outside the pool, in autocommit, `lotse-outbox` in pg_stat_activity).
  When the process dies, even by SIGKILL, the connection closes and the server releases the lock.
  The holder pings the connection at every `held()`; a failed ping means the lock is gone (server
  restart, `pg_terminate_backend`, a cut connection) and the instance stands by again. Every
  instance LISTENs on `CHANNEL`: a stand-by that wrote outbox rows wakes the holder with NOTIFY,
  and a holder that steps down (`release()`) wakes the stand-bys so one takes over at once.
- **SQLite** serves one instance: the holder keeps an exclusive `flock` on `<database>.outbox-lock`.
  A second process on the same file stands by and says, once, that this is a misconfiguration.
"""
from __future__ import annotations

import contextlib
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.ops.pidfile import lock_exclusively
from bot.storage.database import make_dedicated_engine, sqlite_file

log = logging.getLogger(__name__)

LOCK_KEY = 0x4C6F7473654F7574
"""The advisory lock of the holder ("LotseOut"); advisory locks are per database."""
CHANNEL = "lotse_outbox"
DELIVERS = "this instance delivers the outbox now"


class Leadership(ABC):
    """Held by at most one instance at a time."""

    shared: bool
    """Whether other instances may compete for it (and hold it right after this one)."""

    @abstractmethod
    async def held(self) -> bool:
        """Whether this instance is the holder now; takes the lock when it is free."""

    async def wake_holder(self) -> None:
        """Tell the holder that new rows wait (nothing to do when we are the only instance)."""

    @abstractmethod
    async def release(self) -> None:
        """Step down, so that another instance can take over at once."""


def leadership_for(url: URL, on_wake: Callable[[], None]) -> Leadership:
    """The leadership among the instances using the database at `url`; `on_wake` is called when
    another instance asks this one to look at the outbox (PostgreSQL only)."""
    if url.get_backend_name() == "postgresql":
        return PostgresLeadership(url, on_wake)
    database = sqlite_file(url)
    return FileLeadership(None if database is None else
                          database.with_name(database.name + ".outbox-lock"))


class PostgresLeadership(Leadership):
    """The session advisory lock `LOCK_KEY` on a dedicated connection."""

    shared = True

    def __init__(self, url: URL, on_wake: Callable[[], None]) -> None:
        self._engine = make_dedicated_engine(url, "lotse-outbox")
        self._on_wake = on_wake
        self._connection: AsyncConnection | None = None
        self._holding = False

    async def held(self) -> bool:
        try:
            connection = await self._connect()
            if self._holding:
                await connection.execute(text("SELECT 1"))  # the session lives: so does the lock
            elif await connection.scalar(text("SELECT pg_try_advisory_lock(:key)"),
                                         {"key": LOCK_KEY}):
                self._holding = True
                log.info(DELIVERS)
        except (SQLAlchemyError, OSError) as exc:
            if self._holding:
                log.warning("outbox lock lost (%s); standing by", type(exc).__name__)
            await self._disconnect()
        return self._holding

    async def wake_holder(self) -> None:
        await self._notify()

    async def release(self) -> None:
        if self._holding and self._connection is not None:
            with contextlib.suppress(SQLAlchemyError, OSError):
                await self._connection.execute(text("SELECT pg_advisory_unlock(:key)"),
                                               {"key": LOCK_KEY})
                log.info("outbox lock released")
            await self._notify()
        await self._disconnect()
        await self._engine.dispose()

    async def _connect(self) -> AsyncConnection:
        if self._connection is None:
            connection = await self._engine.connect()
            try:
                listening = (await connection.get_raw_connection()).driver_connection
                assert listening is not None  # asyncpg's connection
                await listening.add_listener(CHANNEL, self._notified)
            except BaseException:
                await connection.close()
                raise
            self._connection = connection
        return self._connection

    async def _disconnect(self) -> None:
        """Close the connection (which releases the lock, should the session still have it)."""
        connection, self._connection, self._holding = self._connection, None, False
        if connection is not None:
            with contextlib.suppress(SQLAlchemyError, OSError):
                await connection.invalidate()

    async def _notify(self) -> None:
        with contextlib.suppress(SQLAlchemyError, OSError):
            connection = await self._connect()
            await connection.execute(text("SELECT pg_notify(:channel, '')"),
                                     {"channel": CHANNEL})

    def _notified(self, *_: Any) -> None:
        self._on_wake()


class FileLeadership(Leadership):
    """An exclusive flock on `path`; without a path (an in-memory database) always held."""

    shared = False

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._file: IO[str] | None = None
        self._warned = False

    async def held(self) -> bool:
        if self.path is None or self._file is not None:
            return True
        handle = lock_exclusively(self.path)
        if handle is None:
            if not self._warned:
                self._warned = True
                log.warning("another process delivers the outbox of this SQLite database (it "
                            "holds %s); SQLite serves one instance: stop the other one, or use "
                            "PostgreSQL for several", self.path)
            return False
        self._file = handle
        log.info(DELIVERS)
        return True

    async def release(self) -> None:
        if self._file is not None:
            self._file.close()  # closing drops the lock
            self._file = None
