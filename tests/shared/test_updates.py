"""Each update handled once across instances: the Redis record of processed updates."""
from __future__ import annotations

import asyncio

from redis.asyncio import Redis

from bot.shared.updates import KEY_PREFIX, REMEMBER_SECONDS, RedisProcessedUpdates


async def test_an_update_is_claimed_once_among_concurrent_instances(
        redis_client: Redis, redis_url: str) -> None:
    other = Redis.from_url(redis_url.rsplit("/", 1)[0] + "/1", decode_responses=True)
    try:
        instances = [RedisProcessedUpdates(redis_client), RedisProcessedUpdates(other)]
        assert not await instances[1].update_processed(77)
        claims = await asyncio.gather(*(instances[i % 2].mark_update_processed(77)
                                        for i in range(20)))
        assert claims.count(True) == 1
        assert await instances[1].update_processed(77) and await instances[0].update_processed(77)
        assert await instances[0].mark_update_processed(78) is True
        assert 0 < await redis_client.ttl(f"{KEY_PREFIX}77") <= REMEMBER_SECONDS
    finally:
        await other.aclose()
