"""The polling loop's bookkeeping: which offset confirms only finished updates, and one person's
updates in order while others go at once."""
from __future__ import annotations

import asyncio

from aiogram import Bot
from aiogram.exceptions import TelegramRetryAfter, TelegramServerError
from aiogram.methods import GetUpdates

from bot.channels.telegram import polling
from bot.channels.telegram.polling import Acknowledgements, Lanes


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_offset_never_passes_an_update_in_hand() -> None:
    acks = Acknowledgements()
    assert acks.offset is None
    assert [acks.take(u) for u in (5, 6, 7)] == [True, True, True]
    acks.finish(6)
    acks.finish(7)
    assert acks.offset == 5  # 6 and 7 are done, but 5 is not: Telegram keeps all three
    assert not acks.take(6) and not acks.take(5)  # delivered again: skipped
    acks.finish(5)
    assert acks.offset == 8
    acks.confirmed(8)
    assert acks.take(9) and acks.offset == 9


def test_a_slow_update_stops_holding_the_offset_back() -> None:
    clock = Clock()
    acks = Acknowledgements(clock)
    acks.take(5)
    acks.take(6)
    acks.finish(6)
    clock.now += polling.HOLD_SECONDS + 1
    assert acks.offset == 7
    assert not acks.take(5)


async def test_one_lane_in_order_lanes_at_once() -> None:
    lanes = Lanes()
    log: list[str] = []
    gate = asyncio.Event()

    def work(name: str, wait: bool = False):
        async def run() -> None:
            if wait:
                await gate.wait()
            log.append(name)
        return run

    lanes.submit("amira", work("amira 1", wait=True))
    lanes.submit("amira", work("amira 2"))
    lanes.submit("lena", work("lena 1"))
    async with asyncio.timeout(5):
        while not log:  # until lena's work ran; amira's first holds her lane at the gate
            await asyncio.sleep(0)
    assert log == ["lena 1"]  # amira's second waits behind her first; lena does not
    gate.set()
    await asyncio.wait(lanes.tasks)
    assert log == ["lena 1", "amira 1", "amira 2"]


async def test_looking_again_waits_for_the_next_finish_not_the_whole_pause() -> None:
    acks = Acknowledgements()
    acks.take(5)
    since = acks.finished
    waiting = asyncio.create_task(acks.wait_for_finish(since, timeout=3600))
    await asyncio.sleep(0)
    assert not waiting.done()
    acks.finish(5)  # the offset may move on: look again at once
    await asyncio.wait_for(waiting, timeout=5)
    # a finish between the poll and the wait is not missed either
    await asyncio.wait_for(acks.wait_for_finish(since, timeout=3600), timeout=5)


def test_a_failed_poll_backs_off_and_a_429_waits_its_retry_after() -> None:
    first, longest = polling.RETRY_SECONDS
    bad_gateway = TelegramServerError(GetUpdates(), "Bad Gateway")
    assert polling.pause_after(bad_gateway, first) == first
    assert polling.pause_after(bad_gateway, longest) == longest
    flood = TelegramRetryAfter(GetUpdates(), "Too Many Requests", retry_after=7)
    assert polling.pause_after(flood, first) == 7  # never sooner than Telegram said
    assert polling.pause_after(flood, longest) == longest  # nor sooner than the backoff says
    assert first < 7 < longest  # so that each of the four asks something


def test_a_look_validates_only_the_updates_seen_for_the_first_time() -> None:
    """While updates are in hand every look returns them again: they stay JSON, and only the
    new one becomes an `Update`, bound to the bot as aiogram binds a response's objects."""
    bot = Bot("42:TEST")
    acks = Acknowledgements()
    acks.take(5)
    sent = [{"update_id": 5, "message": "not validated: it is in hand"},
            {"update_id": 6, "message": {"message_id": 1, "date": 0,
                                         "chat": {"id": 7, "type": "private"}, "text": "hi"}}]
    [fresh] = polling.fresh_updates(bot, sent, acks)
    assert fresh.update_id == 6 and fresh.message is not None and fresh.message.text == "hi"
    assert fresh.message.bot is bot
    assert polling.fresh_updates(bot, sent, acks) == []  # both in hand now
