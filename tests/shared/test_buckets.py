"""The token buckets behind the rate limits, in this process and in Redis: the same rules, the
Redis ones shared by two instances (two clients). Time is a hand-moved clock."""
from __future__ import annotations

import pytest
from redis.asyncio import Redis

from bot.channels.telegram.pacing import Pacer
from bot.channels.telegram.throttle import Throttle, Verdict
from bot.shared.buckets import (
    HEADROOM,
    KEY_PREFIX,
    SWEEP_FROM,
    Bucket,
    Buckets,
    LocalBuckets,
    RedisBuckets,
)
from tests.shared.conftest import Clock


@pytest.fixture(params=["local", "redis"])
def buckets(request: pytest.FixtureRequest, clock: Clock) -> Buckets:
    if request.param == "redis":
        return RedisBuckets(request.getfixturevalue("redis_client"), now=clock)
    return LocalBuckets(now=clock)


async def verdicts(throttle: Throttle, user_id: int, count: int) -> list[Verdict]:
    return [await throttle.verdict(user_id) for _ in range(count)]


async def test_a_flood_passes_the_burst_is_warned_once_and_the_rest_is_dropped(
        buckets: Buckets, clock: Clock) -> None:
    throttle = Throttle(buckets, burst=8, per_second=1.0)
    assert await verdicts(throttle, 7, 30) == [Verdict.PASS] * 8 + [Verdict.WARN] + [Verdict.DROP] * 21
    assert await throttle.verdict(8) is Verdict.PASS  # someone else is not affected

    clock.now += 1.0  # one token back: one message passes, the flood goes on without a new warning
    assert await verdicts(throttle, 7, 3) == [Verdict.PASS, Verdict.DROP, Verdict.DROP]
    clock.now += 2.5
    assert await verdicts(throttle, 7, 3) == [Verdict.PASS, Verdict.PASS, Verdict.DROP]

    clock.now += 8.0  # quiet until the bucket is full: a new flood is warned about again
    assert await verdicts(throttle, 7, 10) == [Verdict.PASS] * 8 + [Verdict.WARN, Verdict.DROP]


async def test_steady_writing_within_the_rate_is_never_throttled(
        buckets: Buckets, clock: Clock) -> None:
    throttle = Throttle(buckets, burst=3, per_second=0.5)
    for _ in range(100):
        assert await throttle.verdict(1) is Verdict.PASS
        clock.now += 2.0


async def test_a_take_from_two_buckets_takes_from_both_or_neither(
        buckets: Buckets, clock: Clock) -> None:
    overall, chat = Bucket("all", 2.0, 2), Bucket("chat:1", 1.0, 3)
    assert [(await buckets.take(overall, chat)).wait for _ in range(2)] == [0.0, 0.0]
    refused = await buckets.take(overall, chat)
    assert refused.wait == pytest.approx(0.5)  # the overall bucket refills at 2 a second
    assert await buckets.delay(chat) == 0.0  # the chat's third token was not taken
    assert (await buckets.take(chat)).wait == 0.0
    assert await buckets.delay(chat) == pytest.approx(1.0)
    clock.now += 0.5
    assert await buckets.delay(overall, chat) == pytest.approx(0.5)


async def test_a_hold_after_a_429_keeps_the_bucket_closed_for_its_seconds(
        buckets: Buckets, clock: Clock) -> None:
    chat = Bucket("chat:2", 1.0, 3)
    await buckets.hold(chat, 7.0)
    assert await buckets.delay(chat) == pytest.approx(7.0)
    assert (await buckets.take(chat)).wait == pytest.approx(7.0)
    clock.now += 7.0
    assert (await buckets.take(chat)).wait == 0.0
    assert await buckets.delay(Bucket("never-used", 1.0, 1)) == 0.0


async def test_two_instances_draw_from_the_same_redis_buckets(
        redis_client: Redis, redis_url: str, clock: Clock) -> None:
    other_client = Redis.from_url(redis_url.rsplit("/", 1)[0] + "/1", decode_responses=True)
    first, second = Pacer(30, 1.0, buckets=RedisBuckets(redis_client, now=clock)), \
        Pacer(30, 1.0, buckets=RedisBuckets(other_client, now=clock))
    try:
        for pacer in (first, second, first):  # the chat's burst of 3, spread over both
            assert await pacer.delay(42) == 0.0
            await pacer.slot(42)
        refill = 1.0 / HEADROOM  # one a second, paced at HEADROOM of it
        assert await first.delay(42) == pytest.approx(refill)
        assert await second.delay(42) == pytest.approx(refill)
        await second.pause(42, 5.0)
        assert await first.delay(42) == pytest.approx(5.0)
        assert await first.delay(43) == 0.0
    finally:
        await other_client.aclose()


async def test_redis_buckets_expire_when_they_would_be_full_again(
        redis_client: Redis, clock: Clock) -> None:
    buckets = RedisBuckets(redis_client, now=clock)
    await buckets.take(Bucket("quiet", 0.5, 2))
    ttl = await redis_client.pttl(KEY_PREFIX + "quiet")
    assert 2000 < ttl <= 3000  # one token short of full at 0.5 a second, plus a second


async def test_full_local_buckets_are_forgotten(clock: Clock) -> None:
    buckets = LocalBuckets(now=clock)
    for key in range(SWEEP_FROM):
        await buckets.take(Bucket(str(key), 1.0, 2))
    await buckets.take(Bucket("busy", 1.0, 2))  # nobody is full yet: all are kept
    assert len(buckets) == SWEEP_FROM + 1
    clock.now += 1.0  # everyone's bucket is full again: the next new one sweeps them away
    for key in range(SWEEP_FROM, 2 * SWEEP_FROM + 2):
        await buckets.take(Bucket(str(key), 1.0, 2))
    assert len(buckets) == SWEEP_FROM + 2
