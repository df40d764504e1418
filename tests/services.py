"""Real servers for the tests (tests/servers.py starts them), one of each for the whole run.

`make services` installs them from Debian packages when they are missing; `make test` runs it."""
from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractContextManager

import asyncpg
import pytest

from tests.servers import ServerMissing, running_postgres, running_redis

_database_numbers = itertools.count(1)


def _started(server: AbstractContextManager[str]) -> Iterator[str]:
    """The server's URL for as long as the fixture lives; a missing binary fails with its hint."""
    try:
        with server as url:
            yield url
    except ServerMissing as missing:
        pytest.fail(str(missing), pytrace=False)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Redis for the whole test run: `redis://127.0.0.1:<port>/0`."""
    yield from _started(running_redis(tmp_path_factory.mktemp("redis")))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A real PostgreSQL server for the whole test run:
    `postgresql+asyncpg://postgres@127.0.0.1:<port>/postgres`, its maintenance database; each test
    gets a database of its own from `postgres_database`."""
    yield from _started(running_postgres())


@pytest.fixture
async def postgres_database(postgres_url: str) -> AsyncIterator[str]:
    """A new, empty database `lotse_<n>` on the test server for one test, dropped after it. The
    test fails when a connection to it is still open at its end (`connections_left`)."""
    server = postgres_url.replace("postgresql+asyncpg://", "postgresql://")
    name = f"lotse_{next(_database_numbers)}"
    connection = await asyncpg.connect(server)
    try:
        await connection.execute(f"CREATE DATABASE {name}")
        yield postgres_url.rsplit("/", 1)[0] + f"/{name}"
        left = await connections_left(connection, name)
        await connection.execute(f"DROP DATABASE {name} WITH (FORCE)")
        assert left == [], f"connections to {name} left open by the test: {left}"
    finally:
        await connection.close()


async def connections_left(server: asyncpg.Connection, database: str,
                           grace: float = 5.0) -> list[str]:
    """The application names of the sessions still connected to `database`, once every session
    that is closing had `grace` seconds to go (a terminated connection leaves the server a moment
    later). A connection the test never returned to its pool or closed stays, and would otherwise
    only show as SQLAlchemy's warning "The garbage collector is trying to clean up non-checked-in
    connection" when the event loop ends, under no test at all."""
    query = "SELECT application_name FROM pg_stat_activity WHERE datname = $1"
    loop = asyncio.get_running_loop()
    deadline = loop.time() + grace
    while (left := [row[0] for row in await server.fetch(query, database)]) and \
            loop.time() < deadline:
        await asyncio.sleep(0.05)
    return left
