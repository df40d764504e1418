"""Schema migrations driven from code: upgrade and inspect without an alembic.ini.

Every function opens its own engine, hands Alembic a connection through `run_sync` and disposes
the engine again, so they can be awaited from any running event loop (the `lotse` command, tests).
One upgrade at a time per database, across processes: on PostgreSQL it takes the transaction's
advisory lock `UPGRADE_LOCK_KEY` first, on SQLite an exclusive `flock` on `<database>.upgrade-lock`;
a second upgrade waits for the first and then finds its migrations applied.
"""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url

from bot.ops.pidfile import lock_exclusively
from bot.storage.database import make_engine, sqlite_file

MIGRATIONS = Path(__file__).with_name("migrations")
UPGRADE_LOCK_KEY = 0x4C6F7473654D6967
"""The advisory lock of an upgrade ("LotseMig"), held until its transaction ends."""
T = TypeVar("T")


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration, pointed at the migrations inside this package."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))  # ini escaping
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision in `migrations/versions`."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations found in {MIGRATIONS}")
    return head


def is_current(revision: str | None) -> bool:
    """Whether a database at `revision` has every migration applied."""
    return revision == head_revision()


async def upgrade(url: str, revision: str = "head") -> None:
    """Apply the migrations up to `revision`; applying them again changes nothing, and neither
    does an upgrade that waited for another one (the module's lock)."""

    def migrate(connection: Connection) -> None:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                               {"key": UPGRADE_LOCK_KEY})
        command.upgrade(alembic_config(connection), revision)

    async with _file_locked(url):
        await _on_connection(url, migrate)


@asynccontextmanager
async def _file_locked(url: str) -> AsyncIterator[None]:
    """On a SQLite file, hold `<database>.upgrade-lock` while the block runs, waiting (in a
    thread) while another process or upgrade holds it; nothing on other databases."""
    database = sqlite_file(make_url(url))
    if database is None:
        yield
        return
    handle = await asyncio.to_thread(
        lock_exclusively, database.with_name(database.name + ".upgrade-lock"), wait=True)
    assert handle is not None  # waited for it
    try:
        yield
    finally:
        handle.close()


async def current_revision(url: str) -> str | None:
    """The revision the database is at; None for a database that was never migrated."""
    return await _on_connection(
        url, lambda connection: MigrationContext.configure(connection).get_current_revision()
    )


async def pending(url: str) -> bool:
    """Whether the database lacks migrations that the code expects."""
    return not is_current(await current_revision(url))


async def _on_connection(url: str, work: Callable[[Connection], T]) -> T:
    engine = make_engine(url, enforce_foreign_keys=False)
    try:
        async with engine.begin() as connection:
            return await connection.run_sync(work)
    finally:
        await engine.dispose()
