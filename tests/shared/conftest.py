"""Fixtures for the tests of what instances share: a Redis client on the test server, and a
clock the tests move by hand."""
from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[Redis]:
    """A client on a database of its own (1), emptied first: update ids and bucket names repeat
    from test to test."""
    client = Redis.from_url(redis_url.rsplit("/", 1)[0] + "/1", decode_responses=True)
    await client.flushdb()
    yield client
    await client.aclose()
