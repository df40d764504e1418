"""Fixtures shared by every test folder."""
from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import REPO_ROOT
from bot.core.content.loader import load, or_raise
from bot.core.content.model import Content
from bot.core.content.problems import Problem
from bot.services.conversation import Conversations
from bot.storage import migrate
from bot.storage.repository import Storage
from tests.fake_bot_api.fixtures import fake_api, fake_bot  # noqa: F401
from tests.services import postgres_database, postgres_url, redis_url  # noqa: F401

E2E = Path(__file__).parent / "e2e"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/e2e/ is e2e (real `lotse run` processes, servers): the fast loop,
    `pytest -m "not e2e"`, leaves it out. Slow tests elsewhere carry the mark themselves."""
    for item in items:
        if item.path.is_relative_to(E2E):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.e2e)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database, once on SQLite and once on PostgreSQL: every test that uses it runs
    on both (the PostgreSQL one is e2e: a real server; the fast loop runs SQLite only). The
    SQLite file's folder does not exist yet (the engine creates it)."""
    if request.param == "postgres":
        return str(request.getfixturevalue("postgres_database"))
    return f"sqlite+aiosqlite:///{tmp_path / 'data' / 'lotse.sqlite3'}"


@pytest.fixture(scope="session")
def shipped_load() -> tuple[Content | None, list[Problem]]:
    """The shipped content and every problem found in it, loaded once for the whole run (a load
    costs seconds): `load`'s answer, for tests of the problems themselves."""
    return load(REPO_ROOT, REPO_ROOT / "translations")


@pytest.fixture(scope="session")
def shipped_content(shipped_load: tuple[Content | None, list[Problem]]) -> Content:
    """The shipped content, as `load_or_raise` gives it (errors raise, warnings do not)."""
    return or_raise(*shipped_load)


@pytest.fixture
async def conversations(database_url: str,
                        shipped_content: Content) -> AsyncIterator[Conversations]:
    """The conversation service on the shipped content and a fresh, migrated database."""
    await migrate.upgrade(database_url)
    storage = Storage.open(database_url)
    yield Conversations(storage, lambda: shipped_content)
    await storage.close()


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    """A migrated SQLite database file (folders that test both backends define their own)."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'lotse.sqlite3'}"
    await migrate.upgrade(url)
    storage = Storage.open(url)
    yield storage
    await storage.close()
