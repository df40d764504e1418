"""Fixtures shared by every test folder."""
from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import REPO_ROOT
from bot.conversation import Conversations
from bot.core.content.loader import load_or_raise
from bot.storage import migrate
from bot.storage.repository import Storage
from tests.fake_bot_api.fixtures import fake_api, fake_bot  # noqa: F401
from tests.services import redis_url  # noqa: F401


@pytest.fixture
async def conversations(tmp_path: Path) -> AsyncIterator[Conversations]:
    """The conversation service on the shipped content and a fresh SQLite file, lotse.sqlite3."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'lotse.sqlite3'}"
    await migrate.upgrade(url)
    storage = Storage.open(url)
    content = load_or_raise(REPO_ROOT, REPO_ROOT / "translations")
    yield Conversations(storage, lambda: content)
    await storage.close()
