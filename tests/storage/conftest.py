"""Fixtures for the storage tests: a real, migrated database per test (`database_url`: SQLite and
PostgreSQL)."""
from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.storage.migrate import upgrade
from bot.storage.repository import Storage


@pytest.fixture
async def migrated_url(database_url: str) -> str:
    await upgrade(database_url)
    return database_url


@pytest.fixture
async def storage(migrated_url: str) -> AsyncIterator[Storage]:
    storage = Storage.open(migrated_url)
    yield storage
    await storage.close()
