"""What the outbox worker does with its rows, the same against two deliveries: the fake delivery
(`fake_delivery.py`: recording channels told which of `bot.handoff.delivery`'s errors to raise)
and Telegram's channels against the fake Bot API (which fails the calls instead). On a real
database (SQLite and PostgreSQL): order per lane, retry with backoff, a chat that rests, a row
that can never go, a person who blocked the bot, giving up (never on a case note), and two
workers whose claims let each row go once."""
from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from typing import Protocol

import pytest
from aiogram import Bot
from sqlalchemy import select, update

from bot.channels.telegram.app import make_outbox
from bot.core.content.model import Content
from bot.core.events import RelayToCase
from bot.handoff.cases import Cases
from bot.handoff.delivery import Retry
from bot.handoff.outbox import GIVE_UP_AFTER, OutboxWorker
from bot.storage.models import OutboxMessage, User
from bot.storage.repository import Storage
from tests.fake_bot_api import FakeBotApi, Faults
from tests.fake_bot_api.fixtures import bot_for

from .conftest import STAFF, Clock, waiting
from .fake_delivery import FakePeople, FakeStaff, Rested
from .test_outbox_instances import connect, terminate_holder_session


class Delivery(Protocol):
    """Where the outbox delivers in a test, with the failures it can be told to produce."""

    def worker(self) -> OutboxWorker:
        """A worker on this delivery (a second one: another instance's)."""

    def fail_sends(self, times: int | None, staff: bool = True, people: bool = True) -> None:
        """The next `times` sends (None: all from now on) fail, to be retried."""

    def rest_person(self, seconds: float) -> None:
        """The next send to a person is refused for `seconds` (a long rate limit)."""

    def block(self, person: int) -> None: ...

    def topics(self) -> list[list[str]]:
        """Each case topic in the order opened: "note", then the texts relayed or noticed."""

    def sent_to(self, person: int) -> list[str]: ...


class Fake:
    def __init__(self, storage: Storage, content: Content, clock: Clock) -> None:
        self.storage, self.content, self.clock = storage, content, clock
        self.staff, self.people = FakeStaff(), FakePeople()
        self.workers: list[OutboxWorker] = []

    def worker(self) -> OutboxWorker:
        self.workers.append(OutboxWorker(self.storage, lambda: self.content, self.people,
                                         self.staff, self.clock))
        return self.workers[-1]

    def fail_sends(self, times: int | None, staff: bool = True, people: bool = True) -> None:
        error = Retry("FakeError: busy", "5xx")
        if staff:
            for method in ("post_note", "relay", "notice"):
                self.staff.fail(method, error, times)
        if people:
            for method in ("relay", "reply"):
                self.people.fail(method, error, times)

    def rest_person(self, seconds: float) -> None:
        self.people.fail("relay", Rested(seconds))

    def block(self, person: int) -> None:
        self.people.block(person)

    def topics(self) -> list[list[str]]:
        opened = [topic for topic in range(71, 71 + self.staff.topics)]
        return [self.staff.in_topic(topic) for topic in opened]

    def sent_to(self, person: int) -> list[str]:
        return self.people.to(person)

    async def close(self) -> None:
        for worker in self.workers:
            await worker.stop()


class Telegram:
    def __init__(self, storage: Storage, content: Content, clock: Clock,
                 api: FakeBotApi) -> None:
        self.storage, self.content, self.clock, self.api = storage, content, clock, api
        self.bots: list[Bot] = []
        self.workers: list[OutboxWorker] = []
        api.group(STAFF, "Beratung", forum=True)

    def worker(self) -> OutboxWorker:
        self.bots.append(bot_for(self.api))
        self.workers.append(make_outbox(self.storage, self.bots[-1], lambda: self.content,
                                        STAFF, 6000, self.clock))
        return self.workers[-1]

    def fail_sends(self, times: int | None, staff: bool = True, people: bool = True) -> None:
        # Telegram cannot fail one chat's sends only: the tests ask for both or for people
        # after the staff rows went.
        self.api.inject(Faults(rate=1.0, kinds=(500,), methods={"sendMessage"}, limit=times))

    def rest_person(self, seconds: float) -> None:
        self.api.inject(Faults(rate=1.0, kinds=(429,), retry_after=int(seconds),
                               methods={"sendMessage"}, limit=1))

    def block(self, person: int) -> None:
        self.api.user(person).block()

    def topics(self) -> list[list[str]]:
        shown = []
        for topic in self.api.topics(STAFF):
            _, *rest = self.api.messages(STAFF, thread_id=topic.thread_id)
            shown.append(["note", *(m.text.removeprefix("💬 ") for m in rest)])
        return shown

    def sent_to(self, person: int) -> list[str]:
        return [m.text for m in self.api.messages(person)]

    async def close(self) -> None:
        for worker in self.workers:
            await worker.stop()
        for bot in self.bots:
            await bot.session.close()


@pytest.fixture(params=["fake", "telegram"])
async def delivery(request: pytest.FixtureRequest, storage: Storage, content: Content,
                   clock: Clock, api: FakeBotApi) -> AsyncIterator[Fake | Telegram]:
    """The fake delivery, or Telegram's channels on the fake Bot API `api`."""
    if request.param == "fake":
        made: Fake | Telegram = Fake(storage, content, clock)
    else:
        made = Telegram(storage, content, clock, api)
    yield made
    await made.close()


@pytest.fixture
def person(delivery: Fake | Telegram, open_case):
    """`await person(n)`: person `n` (who has written to the bot) with an open case."""

    async def open_(number: int) -> int:
        if isinstance(delivery, Telegram):
            delivery.api.user(number).started = True
        return await open_case(number, locale="de")

    return open_


@pytest.fixture
def cases(storage: Storage, content: Content, clock: Clock) -> Cases:
    return Cases(storage, lambda: content, clock)


async def drain(*workers: OutboxWorker) -> float:
    """Deliver until only rows backed off (or nothing) remain, waiting out the pacing as the
    worker's task would (several workers at once); returns the wait before the next row."""
    while (wait := min(await asyncio.gather(*(w.deliver_ready() for w in workers)))) <= 1.0:
        await asyncio.sleep(wait)
    return wait


async def row(storage: Storage, row_id: int) -> OutboxMessage:
    async with storage.session() as session:
        return await session.get_one(OutboxMessage, row_id)


async def newest(storage: Storage) -> OutboxMessage:
    async with storage.session() as session:
        return (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())
                                      .limit(1))).one()


async def test_each_lane_goes_in_order(delivery: Fake | Telegram, person, cases: Cases,
                                       storage: Storage) -> None:
    first, second = await person(5001), await person(5002)
    await cases.relay(RelayToCase(first, text="A1"))
    await cases.relay(RelayToCase(second, text="B1"))
    await cases.relay(RelayToCase(first, text="A2"))
    for case, text in ((first, "an A 1"), (second, "an B"), (first, "an A 2")):
        await cases.relay_to_user(case, "text", text)
    await drain(delivery.worker())
    assert delivery.topics() == [["note", "A1", "A2"], ["note", "B1"]]
    assert (delivery.sent_to(5001), delivery.sent_to(5002)) == (["an A 1", "an A 2"], ["an B"])
    assert await waiting(storage) == []


async def test_a_failing_row_backs_off_exponentially_then_goes(
        delivery: Fake | Telegram, person, storage: Storage, clock: Clock) -> None:
    await person(5003)
    delivery.fail_sends(3)
    outbox = delivery.worker()
    for expected in (2, 4, 8):
        await drain(outbox)
        [note] = await waiting(storage)
        assert round((note.next_attempt_at - clock()).total_seconds()) == expected
        clock.advance(expected)
    assert note.attempts == 3 and note.last_error
    await drain(outbox)
    assert delivery.topics() == [["note"]]  # the topic was kept: only the note was tried again
    assert await waiting(storage) == []


async def test_a_chat_told_to_rest_waits_without_a_failure(
        delivery: Fake | Telegram, person, cases: Cases, storage: Storage) -> None:
    case = await person(5004)
    outbox = delivery.worker()
    await drain(outbox)
    delivery.rest_person(90)
    await cases.relay_to_user(case, "text", "später")
    assert 89 < await drain(outbox) <= 90
    [relay] = await waiting(storage)
    assert relay.attempts == 0 and delivery.sent_to(5004) == []


async def test_a_row_its_channel_cannot_send_is_dropped_and_the_next_goes(
        delivery: Fake | Telegram, person, cases: Cases, storage: Storage) -> None:
    case = await person(5005)
    await cases.relay_to_user(case, "sticker", None, "file-1")
    dropped = await newest(storage)
    await cases.relay_to_user(case, "text", "danach")
    await drain(delivery.worker())
    assert delivery.sent_to(5005) == ["danach"]
    dropped = await row(storage, dropped.id)
    assert dropped.delivered_at is not None and dropped.last_error == "cannot send 'sticker'"


async def test_a_person_who_blocked_the_bot_is_marked_and_the_row_dropped(
        delivery: Fake | Telegram, person, cases: Cases, storage: Storage) -> None:
    case = await person(5006)
    delivery.block(5006)
    await cases.relay_to_user(case, "text", "Hallo")
    await drain(delivery.worker())
    relay = await newest(storage)
    assert relay.delivered_at is not None and relay.last_error == "blocked"
    async with storage.session() as session:
        user = await session.scalar(select(User).where(User.external_id == "5006"))
    assert user is not None and user.blocked_at is not None
    assert delivery.sent_to(5006) == []


async def test_a_row_that_keeps_failing_is_given_up_but_never_a_case_note(
        delivery: Fake | Telegram, person, cases: Cases, storage: Storage,
        clock: Clock) -> None:
    first = await person(5007)
    outbox = delivery.worker()
    await drain(outbox)
    await person(5008)
    await cases.relay_to_user(first, "text", "geht nie")
    delivery.fail_sends(None)
    async with storage.session() as session:
        await session.execute(update(OutboxMessage).where(OutboxMessage.delivered_at.is_(None))
                              .values(attempts=GIVE_UP_AFTER - 1))
    await drain(outbox)
    [note] = await waiting(storage)
    assert note.kind == "case_note" and note.attempts == GIVE_UP_AFTER
    relay = await newest(storage)
    assert relay.delivered_at is not None and (relay.last_error or "").startswith("gave up: ")
    clock.advance(dt.timedelta(days=1).total_seconds())
    await drain(outbox)
    assert [r.id for r in await waiting(storage)] == [note.id]  # tried again, never given up
    assert delivery.sent_to(5007) == []


async def cases_with_relays(person, cases: Cases, numbers: range) -> None:
    """A case for each person `n`, with two relays to the staff and an answer to the person."""
    for n in numbers:
        case = await person(n)
        await cases.relay(RelayToCase(case, text=f"{n}.1"))
        await cases.relay(RelayToCase(case, text=f"{n}.2"))
        await cases.relay_to_user(case, "text", f"Antwort {n}")


def each_once_in_order(delivery: Fake | Telegram, numbers: range) -> None:
    assert sorted(delivery.topics()) == [["note", f"{n}.1", f"{n}.2"] for n in numbers]
    assert [delivery.sent_to(n) for n in numbers] == [[f"Antwort {n}"] for n in numbers]


def postgres_only(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("several instances need PostgreSQL (on SQLite one delivers: a file lock)")


async def test_of_two_workers_the_holder_delivers_each_row_once_and_in_order(
        delivery: Fake | Telegram, person, cases: Cases, storage: Storage,
        database_url: str) -> None:
    postgres_only(database_url)
    await cases_with_relays(person, cases, range(5100, 5106))
    await drain(delivery.worker(), delivery.worker())
    each_once_in_order(delivery, range(5100, 5106))
    assert await waiting(storage) == []


async def test_a_row_claimed_by_a_holder_that_lost_its_lock_is_not_delivered_twice(
        storage: Storage, content: Content, clock: Clock, open_case, cases: Cases,
        database_url: str) -> None:
    """The holder is in the middle of a case note (the fake staff channel holds the call) when
    its lock connection is cut; the new holder skips that case's lane while the old one still
    claims its row, delivers the others, and the note goes once. (Against the fake Bot API:
    tests/handoff/test_outbox_instances.py.)"""
    postgres_only(database_url)
    fake = Fake(storage, content, clock)
    numbers = range(5200, 5204)
    await cases_with_relays(open_case, cases, numbers)
    first, second = fake.worker(), fake.worker()
    in_hand = fake.staff.hold()
    held_up = asyncio.create_task(first.deliver_ready())
    try:
        await asyncio.wait_for(in_hand.wait(), 10)
        server = await connect(database_url)
        try:
            await terminate_holder_session(server)
        finally:
            await server.close()
        await drain(second)  # everything but the held-up case's lane
        assert sorted(fake.topics()) == [["note", f"{n}.1", f"{n}.2"] for n in numbers[1:]]
        fake.staff.release()
        await held_up  # the old holder ends its row, then finds it holds no more
        await drain(second)
        each_once_in_order(fake, numbers)
        assert await waiting(storage) == []
    finally:
        fake.staff.release()
        await asyncio.wait([held_up], timeout=10)
        await fake.close()
