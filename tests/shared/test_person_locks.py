"""Person locks across instances: two `RedisPersonLocks` on two clients stand for two instances."""
from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable

import pytest
from redis.asyncio import Redis

from bot.shared.person_locks import (
    KEY_PREFIX,
    LocalPersonLocks,
    PersonLockLost,
    PersonLocks,
    RedisPersonLocks,
)


@pytest.fixture
async def other_client(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url.rsplit("/", 1)[0] + "/1", decode_responses=True)
    yield client
    await client.aclose()


async def until(condition: Callable[[], object], timeout: float = 5.0) -> None:
    """Poll an outside condition (Redis) until it holds."""
    async with asyncio.timeout(timeout):
        while not await condition():  # type: ignore[misc]
            await asyncio.sleep(0.002)


async def queued(client: Redis, key: str, count: int) -> bool:
    return await client.zcard(KEY_PREFIX + key) == count


@pytest.mark.parametrize("where", ["local", "redis"])
async def test_one_holder_at_a_time_whatever_the_numbers_and_instances(
        where: str, redis_client: Redis, other_client: Redis) -> None:
    instances: list[PersonLocks] = [LocalPersonLocks()] if where == "local" else \
        [RedisPersonLocks(redis_client), RedisPersonLocks(other_client)]
    inside, most, done = 0, 0, []

    async def step(number: int | None) -> None:
        nonlocal inside, most
        async with random.choice(instances).hold("person", number):
            inside += 1
            most = max(most, inside)
            await asyncio.sleep(0)
            done.append(number)
            inside -= 1

    numbers = [*random.sample(range(1, 1000), 30), *[None] * 10]
    await asyncio.gather(*(step(n) for n in numbers))
    assert most == 1 and sorted(done, key=str) == sorted(numbers, key=str)
    if where == "redis":  # nothing left behind
        assert await redis_client.keys(KEY_PREFIX + "person*") == []


async def test_waiting_updates_of_one_person_go_in_update_id_order(
        redis_client: Redis, other_client: Redis) -> None:
    first, second = RedisPersonLocks(redis_client), RedisPersonLocks(other_client)
    order: list[int] = []
    release = asyncio.Event()

    async def update(locks: RedisPersonLocks, update_id: int) -> None:
        async with locks.hold("telegram:7", update_id):
            order.append(update_id)
            if update_id == 10:
                await release.wait()

    holding = asyncio.create_task(update(first, 10))
    await until(lambda: queued(redis_client, "telegram:7", 1))
    later = [asyncio.create_task(update(second, 30)), asyncio.create_task(update(first, 20))]
    await until(lambda: queued(redis_client, "telegram:7", 3))
    # an update that arrives late with a lower number than the holder's still waits for the lock
    late = asyncio.create_task(update(second, 5))
    await until(lambda: queued(redis_client, "telegram:7", 4))
    assert order == [10]
    release.set()
    await asyncio.gather(holding, *later, late)
    assert order == [10, 5, 20, 30]


async def test_the_entries_and_the_lock_of_a_dead_instance_expire(redis_client: Redis) -> None:
    queue = KEY_PREFIX + "telegram:8"
    # a dead instance: an entry without its lease key, and a lock whose lease runs out soon
    await redis_client.zadd(queue, {"3:dead": 3, "4:gone": 4})
    await redis_client.set(f"{queue}:entry:3:dead", 1, px=300)
    await redis_client.set(f"{queue}:holder", "3:dead", px=300)
    async with RedisPersonLocks(redis_client).hold("telegram:8", 9):
        assert await redis_client.get(f"{queue}:holder") not in (None, "3:dead")
        assert await redis_client.zrange(queue, 0, 0) != ["4:gone"]
    assert await redis_client.exists(queue) == 0


async def test_a_holder_that_loses_its_lock_is_cancelled_with_person_lock_lost(
        redis_client: Redis) -> None:
    locks = RedisPersonLocks(redis_client, lease=0.3)
    never = asyncio.Event()
    with pytest.raises(PersonLockLost):
        async with locks.hold("telegram:9", 1):
            # as if this instance had stalled past its lease and another had taken the lock
            await redis_client.set(KEY_PREFIX + "telegram:9:holder", "2:other")
            await never.wait()
    await asyncio.sleep(0)  # the task itself is not left cancelled
    assert await redis_client.get(KEY_PREFIX + "telegram:9:holder") == "2:other"


async def test_a_held_lock_outlives_its_lease_while_its_instance_renews_it(
        redis_client: Redis, other_client: Redis) -> None:
    first, second = RedisPersonLocks(redis_client, lease=0.3), RedisPersonLocks(other_client, lease=0.3)
    entered = asyncio.Event()

    async def wait_for_the_lock() -> None:
        async with second.hold("telegram:10", 2):
            entered.set()

    async with first.hold("telegram:10", 1):
        waiting = asyncio.create_task(wait_for_the_lock())
        for _ in range(3):  # three leases long: renewed, so never taken over
            await asyncio.sleep(0.3)
            assert not entered.is_set()
    await asyncio.wait_for(waiting, 5)
