"""Fixtures for the storage tests: a real, migrated SQLite file per test."""
from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.storage.migrate import upgrade
from bot.storage.repository import Storage


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """A database file in a folder that does not exist yet (the engine creates it)."""
    return f"sqlite+aiosqlite:///{tmp_path / 'data' / 'lotse.sqlite3'}"


@pytest.fixture
async def migrated_url(database_url: str) -> str:
    await upgrade(database_url)
    return database_url


@pytest.fixture
async def storage(migrated_url: str) -> AsyncIterator[Storage]:
    storage = Storage.open(migrated_url)
    yield storage
    await storage.close()
