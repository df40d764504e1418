"""Schema migrations driven from code: upgrade, inspect and create revisions without an alembic.ini.

Every function opens its own engine, hands Alembic a connection through `run_sync` and disposes
the engine again, so they can be awaited from any running event loop (the `lotse` command, tests).
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from bot.storage.database import make_engine

MIGRATIONS = Path(__file__).with_name("migrations")
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
    """Apply the migrations up to `revision`; applying them again changes nothing."""
    await _on_connection(
        url, lambda connection: command.upgrade(alembic_config(connection), revision)
    )


async def current_revision(url: str) -> str | None:
    """The revision the database is at; None for a database that was never migrated."""
    return await _on_connection(
        url, lambda connection: MigrationContext.configure(connection).get_current_revision()
    )


async def pending(url: str) -> bool:
    """Whether the database lacks migrations that the code expects."""
    return not is_current(await current_revision(url))


async def new_revision(url: str, message: str) -> Path:
    """Write `versions/NNNN_<message>.py` from the difference between the models and the database.

    The database must be at head. Read the file before committing it: autogenerate misses some
    changes (renames, server defaults) and proposes drop-and-create where a rename was meant.
    """
    number = len(list(ScriptDirectory.from_config(alembic_config()).walk_revisions())) + 1

    def write(connection: Connection) -> Path:
        script = command.revision(
            alembic_config(connection), message, autogenerate=True, rev_id=f"{number:04d}"
        )
        assert script is not None and not isinstance(script, list)  # one revision, one head
        return Path(script.path)

    return await _on_connection(url, write)


async def _on_connection(url: str, work: Callable[[Connection], T]) -> T:
    engine = make_engine(url, enforce_foreign_keys=False)
    try:
        async with engine.begin() as connection:
            return await connection.run_sync(work)
    finally:
        await engine.dispose()
