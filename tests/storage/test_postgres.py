"""PostgreSQL's connection pool: connections carry Lotse's name, and one the server closed is
replaced instead of failing the next update."""
from __future__ import annotations

import asyncpg
import pytest

from bot.storage.repository import Storage

pytestmark = pytest.mark.e2e  # a real PostgreSQL server


@pytest.fixture
def database_url(postgres_database: str) -> str:
    """PostgreSQL only: SQLite has no server to close connections."""
    return postgres_database


async def test_a_connection_the_server_closed_is_replaced(storage: Storage,
                                                         migrated_url: str) -> None:
    first = await storage.user("telegram", "1001")
    admin = await asyncpg.connect(migrated_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:  # as a server restart or an administrator would; waits until they are gone
        ended = await admin.fetch(
            "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity"
            " WHERE application_name = 'lotse' AND datname = current_database()")
    finally:
        await admin.close()
    assert ended == [(True,)]  # the pool's one connection, found by its name
    assert await storage.user("telegram", "1001") == first
