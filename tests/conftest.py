"""Fixtures shared by every test folder."""
from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import REPO_ROOT
from bot.conversation import Conversations
from bot.core.content.loader import load_or_raise
from bot.core.content.model import Content
from bot.storage import migrate
from bot.storage.repository import Storage
from tests.fake_bot_api.fixtures import fake_api, fake_bot  # noqa: F401
from tests.services import postgres_database, postgres_url, redis_url  # noqa: F401


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database, once on SQLite and once on PostgreSQL: every test that uses it runs
    on both. The SQLite file's folder does not exist yet (the engine creates it)."""
    if request.param == "postgres":
        return str(request.getfixturevalue("postgres_database"))
    return f"sqlite+aiosqlite:///{tmp_path / 'data' / 'lotse.sqlite3'}"


@pytest.fixture(scope="session")
def shipped_content() -> Content:
    return load_or_raise(REPO_ROOT, REPO_ROOT / "translations")


@pytest.fixture
async def conversations(database_url: str,
                        shipped_content: Content) -> AsyncIterator[Conversations]:
    """The conversation service on the shipped content and a fresh, migrated database."""
    await migrate.upgrade(database_url)
    storage = Storage.open(database_url)
    yield Conversations(storage, lambda: shipped_content)
    await storage.close()
