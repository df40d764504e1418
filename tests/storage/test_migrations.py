"""The migrations build the schema the models describe, and applying them again changes nothing."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Connection, MetaData, String, inspect
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage.database import make_engine
from bot.storage.migrate import (
    alembic_config,
    current_revision,
    head_revision,
    pending,
    upgrade,
)
from bot.storage.models import Base


@asynccontextmanager
async def connected(url: str) -> AsyncIterator[AsyncConnection]:
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            yield connection
    finally:
        await engine.dispose()


async def differences(url: str, metadata: MetaData) -> list[Any]:
    """What `alembic revision --autogenerate` would put into a new migration."""

    def compare(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, metadata)

    async with connected(url) as connection:
        return await connection.run_sync(compare)


async def schema(url: str) -> dict[str, Any]:
    """Every table's columns, keys and indexes, as the database describes them."""

    def describe(connection: Connection) -> dict[str, Any]:
        inspector = inspect(connection)
        return {
            table: (
                [{**col, "type": str(col["type"])} for col in inspector.get_columns(table)],
                inspector.get_pk_constraint(table),
                inspector.get_foreign_keys(table),
                inspector.get_unique_constraints(table),
                inspector.get_indexes(table),
            )
            for table in inspector.get_table_names()
        }

    async with connected(url) as connection:
        return await connection.run_sync(describe)


def test_the_migrations_are_one_line() -> None:
    """One head, each revision numbered one after the one it revises: two branches that each
    added the next number must have renumbered one of them when they met."""
    script = ScriptDirectory.from_config(alembic_config())
    assert script.get_heads() == [head_revision()]
    for revision in script.walk_revisions():
        previous = revision.down_revision
        assert previous is None or int(revision.revision) == int(str(previous)) + 1, \
            revision.revision


async def test_a_new_database_is_pending(database_url: str) -> None:
    assert await current_revision(database_url) is None
    assert await pending(database_url)


async def test_upgrade_creates_every_table(migrated_url: str) -> None:
    async with connected(migrated_url) as connection:
        tables = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    assert tables == set(Base.metadata.tables) | {"alembic_version"}


async def test_upgrade_twice_changes_nothing(migrated_url: str) -> None:
    before = await schema(migrated_url)
    await upgrade(migrated_url)
    assert await schema(migrated_url) == before
    assert await current_revision(migrated_url) == head_revision()
    assert not await pending(migrated_url)


async def test_migrations_match_the_models(migrated_url: str) -> None:
    assert await differences(migrated_url, Base.metadata) == []


def changed_models(change: str) -> MetaData:
    """A copy of the models' metadata with one change a developer might forget to migrate."""
    metadata = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.sorted_tables:
        table.to_metadata(metadata)
    users = metadata.tables["users"]
    if change == "new column":
        users.append_column(Column("nickname", String(32), nullable=True))
    elif change == "longer string":
        users.c.locale.type = String(35)
    elif change == "nullability":
        users.c.locale.nullable = False
    return metadata


@pytest.mark.parametrize("change", ["new column", "longer string", "nullability"])
async def test_the_comparison_notices_an_unmigrated_model_change(
    migrated_url: str, change: str
) -> None:
    assert await differences(migrated_url, changed_models(change)) != []


async def test_downgrade_to_nothing_and_back(migrated_url: str) -> None:
    def downgrade_to_base(connection: Connection) -> None:
        command.downgrade(alembic_config(connection), "base")

    async with connected(migrated_url) as connection:
        await connection.run_sync(downgrade_to_base)
        await connection.commit()
        tables = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    assert tables == {"alembic_version"}

    await upgrade(migrated_url)
    assert await differences(migrated_url, Base.metadata) == []


async def test_two_upgrades_at_once_migrate_once(database_url: str,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    """Two instances starting together (or two `lotse db upgrade`): one migrates while the other
    waits for its lock (PostgreSQL: an advisory lock; SQLite: a file lock), then finds nothing
    left to do. Without the lock both ran the first migration and one failed on its tables."""
    revisions = len(list(ScriptDirectory.from_config(alembic_config()).walk_revisions()))
    with caplog.at_level(logging.INFO, logger="alembic.runtime.migration"):
        await asyncio.gather(upgrade(database_url), upgrade(database_url))
    ran = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Running upgrade")]
    assert len(ran) == revisions, ran
    assert await current_revision(database_url) == head_revision()
    assert await differences(database_url, Base.metadata) == []
