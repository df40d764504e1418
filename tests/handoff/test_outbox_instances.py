"""Two instances' outbox workers on one PostgreSQL database (two Storage objects, two connection
pools, two bots) against the fake Bot API with Telegram's group limit enforced: every case note and
relay arrives exactly once and in order per case, the group's limit holds for both together, and
when the holder loses its lock or dies, the other instance takes over with nothing lost or twice."""
from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
from aiogram import Bot

from bot.channels.telegram.app import make_outbox
from bot.core.content.model import Content
from bot.core.events import OpenCase, RelayToCase
from bot.handoff.cases import Cases
from bot.handoff.outbox import CLAIM_SPACE, OutboxWorker
from bot.storage.leadership import LOCK_KEY
from bot.storage.migrate import upgrade
from bot.storage.repository import Storage
from tests.database import rows
from tests.fake_bot_api import FakeBotApi, RateLimits
from tests.fake_bot_api.fixtures import bot_for

from .conftest import STAFF

pytestmark = pytest.mark.e2e  # a real PostgreSQL server, two instances

GROUP_RATE = 20
"""Calls a second into the group: Telegram's 20 a minute, scaled up so the test is quick."""
CASES = 16
PERSON = 4000
CLAIMS = ("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2 "
          f"AND classid = {CLAIM_SPACE}")
HOLDER = ("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 "
          f"AND classid = {LOCK_KEY >> 32} AND objid = {LOCK_KEY & 0xFFFFFFFF}")


@dataclass
class Instance:
    """What one Lotse instance brings to the outbox: its pool, its bot, its worker, its cases."""

    storage: Storage
    bot: Bot
    outbox: OutboxWorker
    cases: Cases


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi(rate_limits=RateLimits(group_rate=GROUP_RATE, group_burst=3)) as api:
        api.group(STAFF, "Beratung", forum=True)
        for n in range(CASES):
            api.user(PERSON + n).started = True
        yield api


@pytest.fixture
async def instances(postgres_database: str, api: FakeBotApi,
                    content: Content) -> AsyncIterator[list[Instance]]:
    await upgrade(postgres_database)
    made = []
    for _ in range(2):
        storage, bot = Storage.open(postgres_database), bot_for(api)
        outbox = make_outbox(storage, bot, lambda: content, STAFF, GROUP_RATE * 60,
                             poll_seconds=0.2)
        made.append(Instance(storage, bot, outbox, Cases(storage, lambda: content)))
    yield made
    for instance in made:
        await instance.outbox.stop()
        await instance.bot.session.close()
        await instance.storage.close()


async def open_cases(instances: list[Instance], numbers: range) -> None:
    """Case `n` is opened on instance n % 2 (as the load balancer spreads the people), with two
    messages of the person to the staff and one answer of a counsellor to the person."""
    for n in numbers:
        instance = instances[n % 2]
        user = await instance.storage.user("telegram", str(PERSON + n))
        await instance.storage.set_consent(user.id, instance.cases.clock())
        case_id = await instance.cases.open(user.id, OpenCase(
            {"topic": "work", "question": f"Frage {n}"}, "de"))
        await instance.cases.relay(RelayToCase(case_id, text=f"Nachricht {n}.1"))
        await instance.cases.relay(RelayToCase(case_id, text=f"Nachricht {n}.2"))
        await instance.cases.relay_to_user(case_id, "text", f"Antwort {n}")
        instance.outbox.wake()


async def all_delivered(storage: Storage, timeout: float = 30) -> None:
    """Until no outbox row waits: then no worker has anything left to send."""
    async with asyncio.timeout(timeout):
        while (await rows(storage, "SELECT count(*) FROM outbox_messages "
                                   "WHERE delivered_at IS NULL"))[0][0]:
            await asyncio.sleep(0.05)


def assert_each_once_in_order(api: FakeBotApi, numbers: range) -> None:
    topics = api.topics(STAFF)
    assert len(topics) == len(numbers)
    threads = {}
    for topic in topics:
        [note, *relays] = api.messages(STAFF, thread_id=topic.thread_id)
        n = int(note.text.split("Frage ")[1].split()[0])
        threads[n] = [m.text for m in relays]
    assert threads == {n: [f"💬 Nachricht {n}.1", f"💬 Nachricht {n}.2"] for n in numbers}
    assert [[m.text for m in api.messages(PERSON + n)] for n in numbers] == \
        [[f"Antwort {n}"] for n in numbers]
    assert api.rate_violations == []
    assert all(call.ok for call in api.calls)


async def holder_of(instances: list[Instance]) -> Instance:
    async with asyncio.timeout(10):
        while not (held := [i for i in instances if i.outbox._holder]):
            await asyncio.sleep(0.02)
    [holder] = held
    return holder


async def connect(url: str) -> asyncpg.Connection:
    return await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))


async def terminate_holder_session(server: asyncpg.Connection) -> None:
    """What PostgreSQL does when the holder's process dies: end the session holding the lock."""
    [pid] = [row["pid"] for row in await server.fetch(HOLDER)]
    assert await server.fetchval("SELECT pg_terminate_backend($1)", pid)


async def waiting_for(server: asyncpg.Connection, table: str, count: int) -> None:
    """Until `count` sessions wait for a lock on `table`."""
    async with asyncio.timeout(10):
        while await server.fetchval("SELECT count(*) FROM pg_locks WHERE NOT granted AND "
                                    f"relation = '{table}'::regclass") < count:
            await asyncio.sleep(0.02)


async def eventually(condition: Callable[[], bool], timeout: float = 10) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)


async def test_two_instances_deliver_each_row_once_even_when_the_holder_loses_its_lock(
        api: FakeBotApi, instances: list[Instance], postgres_database: str) -> None:
    await open_cases(instances, range(CASES // 2))
    server = await connect(postgres_database)
    try:
        # The holder is held up in the middle of its first row: an answer to person 0, claimed,
        # its transcript not read yet. Its lock connection is cut; the process lives on.
        async with server.transaction():
            await server.execute("LOCK TABLE transcript_messages IN ACCESS EXCLUSIVE MODE")
            for instance in instances:
                await instance.outbox.start()
            await waiting_for(server, "transcript_messages", 1)
            first = await holder_of(instances)
            [other] = [i for i in instances if i is not first]
            assert await server.fetchval(CLAIMS) == 1
            await terminate_holder_session(server)
            # The other instance takes over. The answer to person 0 is the first row it could
            # send, but it is claimed: it goes on to the next one (and is held up there too).
            await eventually(lambda: other.outbox._holder)
            await waiting_for(server, "transcript_messages", 2)
            assert await server.fetchval(CLAIMS) == 2
        await eventually(lambda: not first.outbox._holder)  # it noticed after that row
    finally:
        await server.close()
    await open_cases(instances, range(CASES // 2, CASES))
    await all_delivered(other.storage)
    assert_each_once_in_order(api, range(CASES))
    assert other.outbox._holder and not first.outbox._holder


async def test_a_holder_that_dies_between_rows_is_replaced_within_a_poll(
        api: FakeBotApi, instances: list[Instance], postgres_database: str) -> None:
    await open_cases(instances, range(CASES))
    for instance in instances:
        await instance.outbox.start()
    holder = await holder_of(instances)
    [other] = [i for i in instances if i is not holder]
    await api.wait_until(lambda: len(api.messages(STAFF)) >= 10)

    # Hold the holder at its next read of the outbox (which joins `users`), so that it dies
    # between two rows, with no call to Telegram in flight.
    server = await connect(postgres_database)
    try:
        async with server.transaction():
            await server.execute("LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
            await waiting_for(server, "users", 1)
            assert await server.fetchval(CLAIMS) == 0
            sent_before = len(api.messages(STAFF))
            assert holder.outbox._task is not None
            holder.outbox._task.cancel()  # the process is gone ...
            await terminate_holder_session(server)  # ... and so is its session
        died = time.monotonic()
        await api.wait_until(lambda: len(api.messages(STAFF)) > sent_before)
        assert time.monotonic() - died < 2.0  # a poll (0.2 s) and a burst of pacing (0.15 s)
        await all_delivered(other.storage)
    finally:
        await server.close()
    assert_each_once_in_order(api, range(CASES))
    assert other.outbox._holder


async def test_a_new_holder_waits_for_a_whole_burst_before_its_first_group_call(
        api: FakeBotApi, instances: list[Instance]) -> None:
    """The old holder may have spent the group's allowance just before it died."""
    await open_cases(instances, range(1))
    instance = instances[0]
    outbox = make_outbox(instance.storage, instance.bot, instance.outbox.deliveries.content, STAFF, 120)
    try:
        assert await outbox.leadership.held()
        started = time.monotonic()
        while not api.topics(STAFF):
            await asyncio.sleep(await outbox.deliver_ready())
        assert time.monotonic() - started >= 1.5  # STAFF_BURST calls at 2 a second
        assert [m.text for m in api.messages(PERSON)] == ["Antwort 0"]  # people did not wait
    finally:
        await outbox.stop()


async def test_a_second_process_on_one_sqlite_file_stands_by_and_says_why(
        fake_api: FakeBotApi, fake_bot: Bot, tmp_path: Path, content: Content,
        caplog: pytest.LogCaptureFixture) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'lotse.sqlite3'}"
    await upgrade(url)
    storage = Storage.open(url)
    staff = fake_api.group(STAFF, forum=True)
    first, second = (make_outbox(storage, fake_bot, lambda: content, STAFF, 600)
                     for _ in range(2))
    try:
        assert await first.leadership.held()
        user = await storage.user("telegram", str(PERSON))
        await Cases(storage, lambda: content).open(user.id, OpenCase({"topic": "work"}, "de"))
        assert await second.deliver_ready() == second.poll_seconds
        assert await second.deliver_ready() == second.poll_seconds
        assert api_calls(fake_api) == []
        lock_file = tmp_path / "lotse.sqlite3.outbox-lock"
        assert [r.getMessage() for r in caplog.records if r.levelname == "WARNING"] == [
            f"another process delivers the outbox of this SQLite database (it holds {lock_file}); "
            "SQLite serves one instance: stop the other one, or use PostgreSQL for several"]
        await first.stop()  # the lock is free: the second one delivers now
        await second.deliver_ready()
        assert len(fake_api.topics(staff)) == 1
    finally:
        await second.stop()
        await storage.close()


def api_calls(api: FakeBotApi) -> list[str]:
    return [call.method for call in api.calls]


async def test_the_holder_is_woken_by_any_instance_and_hands_over_when_it_stops(
        api: FakeBotApi, instances: list[Instance]) -> None:
    """Without polling: NOTIFY wakes the holder, and the stand-by when the holder steps down."""
    for instance in instances:
        instance.outbox.poll_seconds = 30
        await instance.outbox.start()
    holder = await holder_of(instances)
    [standby] = [i for i in instances if i is not holder]
    await open_cases([standby, standby], range(1))  # opened (and woken) on the stand-by
    await api.wait_until(lambda: len(api.messages(STAFF)) == 3 and api.messages(PERSON),
                         timeout=5)

    await holder.outbox.stop()
    await eventually(lambda: standby.outbox._holder, timeout=5)
    await open_cases([standby, standby], range(1, 2))
    await api.wait_until(lambda: len(api.messages(STAFF)) == 6 and api.messages(PERSON + 1),
                         timeout=5)
    assert_each_once_in_order(api, range(2))
