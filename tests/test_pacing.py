"""The Pacer on a fake clock: the global and per-chat limits hold over any stretch of time, a 429
pauses only its chat, and one chat's messages leave in the order they were handed in."""
from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Coroutine
from typing import Any

import pytest

from bot.channels.telegram.pacing import HEADROOM, PER_CHAT_BURST, Pacer

QUIET_ROUNDS = 5
"""Event-loop iterations that let every runnable task reach its next sleep before time moves on."""


class FakeClock:
    """Virtual time: `sleep` parks a task until `run` moves the clock to its wake-up time, which it
    does only once every task is asleep or done, so no time passes while anything can still run."""

    def __init__(self) -> None:
        self.time = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def now(self) -> float:
        return self.time

    async def sleep(self, seconds: float) -> None:
        future = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.time + max(seconds, 0.0), next(self._order), future))
        await future

    async def run(self, *work: Coroutine[Any, Any, None]) -> None:
        tasks = [asyncio.create_task(w) for w in work]
        while not all(t.done() for t in tasks):
            for _ in range(QUIET_ROUNDS):
                await asyncio.sleep(0)
            if self._sleepers:
                self.time = self._sleepers[0][0]
                while self._sleepers and self._sleepers[0][0] <= self.time:
                    heapq.heappop(self._sleepers)[2].set_result(None)
            elif not all(t.done() for t in tasks):
                raise AssertionError("tasks block on something other than the clock")
        for task in tasks:
            task.result()


class Recorder:
    """Sends through the pacer the way the sender does, and notes (time, chat, label)."""

    def __init__(self, pacer: Pacer, clock: FakeClock) -> None:
        self.pacer = pacer
        self.clock = clock
        self.sent: list[tuple[float, int, str]] = []

    async def send(self, chat: int, label: str = "") -> None:
        async with self.pacer.ordered(chat):
            await self.pacer.slot(chat)
            self.sent.append((self.clock.now(), chat, label))


def most_in_any_window(times: list[float], width: float) -> int:
    """The largest number of sends inside any half-open window [t, t + width)."""
    times = sorted(times)
    return max((sum(1 for u in times if t <= u < t + width) for t in times), default=0)


def within_bucket(times: list[float], rate: float, burst: int) -> bool:
    """True if no stretch [t, t + w) holds more than a token bucket allows: burst + rate * w."""
    times = sorted(times)
    for i, start in enumerate(times):
        for j in range(i, len(times)):
            if j - i + 1 > burst + rate * (times[j] - start) + 1e-9:
                return False
    return True


async def test_one_chat_gets_its_burst_then_one_message_a_second() -> None:
    clock = FakeClock()
    recorder = Recorder(Pacer(30.0, 1.0, clock.now, sleep=clock.sleep), clock)
    await clock.run(*(recorder.send(1, str(i)) for i in range(20)))
    times = [t for t, _, _ in recorder.sent]
    assert times[:PER_CHAT_BURST] == [0.0] * PER_CHAT_BURST
    assert within_bucket(times, 1.0, PER_CHAT_BURST)
    assert times[-1] == pytest.approx((20 - PER_CHAT_BURST) / HEADROOM)  # and no slower


async def test_many_chats_share_the_global_limit() -> None:
    clock = FakeClock()
    recorder = Recorder(Pacer(30.0, 1.0, clock.now, sleep=clock.sleep), clock)
    await clock.run(*(recorder.send(chat) for chat in range(100) for _ in range(3)))
    times = [t for t, _, _ in recorder.sent]
    assert len(times) == 300
    assert within_bucket(times, 30.0, 30)
    assert most_in_any_window(times[30:], 1.0) <= 31  # after the first burst: 30 a second
    for chat in range(100):
        assert within_bucket([t for t, c, _ in recorder.sent if c == chat], 1.0, PER_CHAT_BURST)
    assert max(times) < 300 / (30 * HEADROOM)  # and the limit is used, not wasted


async def test_chats_waiting_for_the_global_limit_go_in_the_order_they_came() -> None:
    clock = FakeClock()
    recorder = Recorder(Pacer(20.0, 100.0, clock.now, sleep=clock.sleep), clock)

    async def later() -> None:
        await clock.sleep(0.3)
        await asyncio.gather(*(recorder.send(chat) for chat in range(100, 110)))

    await clock.run(*(recorder.send(chat) for chat in range(40)), later())  # 20 go, 20 wait
    assert [chat for _, chat, _ in recorder.sent] == [*range(40), *range(100, 110)]


async def test_a_429_pauses_only_its_chat() -> None:
    clock = FakeClock()
    pacer = Pacer(30.0, 1.0, clock.now, sleep=clock.sleep)
    recorder = Recorder(pacer, clock)
    await pacer.pause(1, 5.0)
    assert await pacer.delay(1) > 4.0 and await pacer.delay(2) == 0.0
    await clock.run(recorder.send(1, "late"), recorder.send(2, "now"))
    assert [(t, label) for t, _, label in recorder.sent] == [(0.0, "now"), (pytest.approx(5.0), "late")]


async def test_one_chats_messages_leave_in_the_order_handed_in() -> None:
    clock = FakeClock()
    pacer = Pacer(30.0, 1.0, clock.now, sleep=clock.sleep)
    sent: list[str] = []

    async def reply(name: str, parts: int) -> None:
        async with pacer.ordered(7):
            for part in range(parts):
                async with pacer.ordered(7):  # re-entrant within one task, as the sender nests it
                    await pacer.slot(7)
                    sent.append(f"{name}{part}")
                    await asyncio.sleep(0)  # the call to Telegram: other tasks run meanwhile

    await clock.run(reply("a", 4), reply("b", 4), reply("c", 2))
    assert sent == ["a0", "a1", "a2", "a3", "b0", "b1", "b2", "b3", "c0", "c1"]


async def test_idle_chats_are_forgotten_but_busy_ones_kept() -> None:
    clock = FakeClock()
    pacer = Pacer(1000.0, 1.0, clock.now, sleep=clock.sleep)
    recorder = Recorder(pacer, clock)
    await clock.run(*(recorder.send(chat) for chat in range(600)))
    clock.time += 10  # every bucket full again: those 600 chats are idle
    await pacer.pause(1, 60.0)  # ... except one that must keep its 429 pause
    await clock.run(*(recorder.send(chat) for chat in range(1000, 1500)))
    assert len(pacer._lanes) < 600  # the table must not grow without bound
    assert await pacer.delay(1) > 50
    assert len(pacer.buckets) < 600  # type: ignore[arg-type] - LocalBuckets forgets full ones
