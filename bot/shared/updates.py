"""Which updates were handled: each update_id is handled once, however often Telegram delivers it
and whichever instance receives it. `Storage` records them in the database (one instance);
`RedisProcessedUpdates` in Redis, shared by all instances."""
from __future__ import annotations

from typing import Protocol

from redis.asyncio import Redis

KEY_PREFIX = "lotse:update:"
REMEMBER_SECONDS = 2 * 24 * 3600
"""Telegram gives up on an update after 24 hours; twice that covers every redelivery."""


class ProcessedUpdates(Protocol):
    async def update_processed(self, update_id: int) -> bool:
        """Whether the update was handled to the end already."""
        ...

    async def mark_update_processed(self, update_id: int) -> bool:
        """Record that an update was handled to the end: True the first time, False when it was
        recorded already."""
        ...


class RedisProcessedUpdates:
    """`ProcessedUpdates` as one key per update (SET NX: atomic across instances), forgotten
    after REMEMBER_SECONDS."""

    def __init__(self, client: Redis) -> None:
        self.client = client

    async def update_processed(self, update_id: int) -> bool:
        return bool(await self.client.exists(f"{KEY_PREFIX}{update_id}"))

    async def mark_update_processed(self, update_id: int) -> bool:
        return bool(await self.client.set(f"{KEY_PREFIX}{update_id}", 1, nx=True,
                                          ex=REMEMBER_SECONDS))
