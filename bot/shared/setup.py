"""Where an instance keeps what it shares: in this process and the database (one instance), or in
the Redis at REDIS_URL (any number of instances against one database)."""
from __future__ import annotations

from dataclasses import dataclass

from bot.shared.buckets import Buckets, LocalBuckets, RedisBuckets
from bot.shared.person_locks import LocalPersonLocks, PersonLocks, RedisPersonLocks
from bot.shared.updates import ProcessedUpdates, RedisProcessedUpdates
from bot.storage.repository import Storage
from bot.storage.state_redis import RedisStates
from bot.storage.state_store import StateStore


@dataclass(frozen=True)
class Shared:
    processed: ProcessedUpdates
    """Which updates were handled already."""
    person_locks: PersonLocks
    """One step at a time per person, their updates in order."""
    buckets: Buckets
    """The token buckets of the rate limits (sending, the flood throttle)."""
    states: StateStore
    """Conversation state."""
    redis: RedisStates | None = None
    """The Redis connection, closed with `close()`; None for one instance."""

    @classmethod
    def local(cls, storage: Storage) -> Shared:
        return cls(storage, LocalPersonLocks(), LocalBuckets(), storage)

    @classmethod
    async def connect(cls, redis_url: str | None, storage: Storage) -> Shared:
        """Redis when `redis_url` is given (checked with a PING: a wrong url fails at start)."""
        if redis_url is None:
            return cls.local(storage)
        redis = await RedisStates.connect(redis_url)
        client = redis.client
        return cls(RedisProcessedUpdates(client), RedisPersonLocks(client),
                   RedisBuckets(client), redis, redis)

    async def close(self) -> None:
        if self.redis is not None:
            await self.redis.close()
