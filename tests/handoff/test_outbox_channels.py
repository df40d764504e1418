"""The outbox against channels that are not Telegram (the fake delivery, `fake_delivery.py`):
what each kind of row hands over, what the worker records of the answers, and how it
classifies the channels' errors (retry, rest, drop, unreachable). The Telegram channels are
tested against the fake Bot API in test_outbox_worker.py."""
from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot.core.content.model import Content
from bot.handoff.cases import Cases
from bot.handoff.delivery import CaseNote, PersonGone, Relayed, Retry, StaffUnreachable
from bot.handoff.outbox import OutboxWorker
from bot.handoff.records import Counsellor
from bot.storage.models import Case, OutboxMessage, User
from bot.storage.repository import Storage

from .conftest import Clock, waiting
from .fake_delivery import FakePeople, FakeStaff, Rested


@pytest.fixture
async def channels(storage: Storage, content: Content, clock: Clock
                   ) -> AsyncIterator[tuple[OutboxWorker, FakeStaff, FakePeople]]:
    staff, people = FakeStaff(), FakePeople()
    outbox = OutboxWorker(storage, lambda: content, people, staff, clock)
    yield outbox, staff, people
    await outbox.stop()


async def test_each_kind_of_row_reaches_its_channel_and_the_answers_are_recorded(
        storage: Storage, content: Content, clock: Clock, open_case,
        channels: tuple[OutboxWorker, FakeStaff, FakePeople]) -> None:
    outbox, staff, people = channels
    woken: list[int] = []
    cases = Cases(storage, lambda: content, clock, on_change=lambda: woken.append(1))
    case_id = await open_case(4001)
    await outbox.deliver_ready()
    assert [name for name, _ in staff.calls] == ["open_topic", "post_note"]
    _, (topic, note) = staff.calls[1]
    assert isinstance(note, CaseNote) and (note.case_id, note.status) == (case_id, "new")
    assert note.topic == staff.calls[0][1] and f"Fall #{case_id}" in note.text
    async with storage.session() as session:
        case = await session.get_one(Case, case_id)
    assert (case.staff_thread_id, case.staff_message_id) == (topic, 900)

    await cases.claim(case_id, Counsellor(7, "Lena"))
    await cases.relay_to_user(case_id, "photo", "Formular", "file-1")
    assert woken == [1, 1]  # once per commit that wrote outbox rows
    await outbox.deliver_ready()
    name = note.topic.replace("neu", "bei Lena")
    assert staff.calls[2:] == [("update_note", (topic, 900, "claimed", name)),
                               ("notice", (topic, "Übernommen von Lena."))]
    assert people.sent == [("4001", Relayed("photo", "Formular", "file-1"))]
    assert await waiting(storage) == []


async def test_the_channels_errors_decide_retry_rest_drop_or_wait(
        storage: Storage, content: Content, clock: Clock, open_case,
        channels: tuple[OutboxWorker, FakeStaff, FakePeople]) -> None:
    outbox, staff, people = channels
    case_id = await open_case(4002)
    staff.fail("open_topic", StaffUnreachable("gone", "bring it back"))
    await outbox.deliver_ready()
    [note] = await waiting(storage)
    assert note.attempts == 0 and outbox.staff_wait() > 0  # unreachable: waits, no failure

    outbox.wake()  # tries the channel again at once
    staff.fail("open_topic", Retry("FakeError: busy", "other"))
    await outbox.deliver_ready()
    [note] = await waiting(storage)
    assert (note.attempts, note.last_error) == (1, "FakeError: busy")

    clock.advance(60)
    await outbox.deliver_ready()
    assert await waiting(storage) == []

    cases = Cases(storage, lambda: content, clock)
    await cases.relay_to_user(case_id, "text", "Hallo")
    people.fail("relay", Rested(90))
    assert 89 < await outbox.deliver_ready() <= 90  # the person's chat rests
    [relay] = await waiting(storage)
    assert relay.attempts == 0  # a rest is no failure

    people.resting.clear()
    people.fail("relay", PersonGone("Forbidden: blocked", blocked=True))
    await outbox.deliver_ready()
    assert await waiting(storage) == []
    async with storage.session() as session:
        relay = await session.get_one(OutboxMessage, relay.id)
        user = await session.scalar(select(User).where(User.external_id == "4002"))
    assert relay.last_error == "blocked" and user is not None and user.blocked_at is not None
    assert people.sent == []


async def test_a_note_whose_answer_was_lost_goes_again_in_a_new_topic_one_refused_in_the_same(
        storage: Storage, content: Content, clock: Clock, open_case,
        channels: tuple[OutboxWorker, FakeStaff, FakePeople]) -> None:
    """A post that may have arrived (the answer lost: a timeout) is not posted again beside
    itself: its topic is deleted and the note goes into a new one. A post Telegram refused goes
    again in the same topic."""
    outbox, staff, _ = channels
    lost = await open_case(4003)
    staff.fail("post_note", TimeoutError())
    await outbox.deliver_ready()
    clock.advance(60)
    await outbox.deliver_ready()
    assert [name for name, _ in staff.calls] == ["open_topic", "delete_topic", "open_topic",
                                                 "post_note"]
    assert staff.calls[1] == ("delete_topic", 71) and staff.calls[0][1] == staff.calls[2][1]
    async with storage.session() as session:
        case = await session.get_one(Case, lost)
    assert (case.staff_thread_id, case.staff_message_id) == (72, 900)

    refused = await open_case(4004)
    staff.calls.clear()
    staff.fail("post_note", Retry("TelegramServerError: Bad Gateway", "5xx"))
    await outbox.deliver_ready()
    clock.advance(60)
    await outbox.deliver_ready()
    assert [name for name, _ in staff.calls] == ["open_topic", "post_note"]
    async with storage.session() as session:
        case = await session.get_one(Case, refused)
    assert (case.staff_thread_id, case.staff_message_id) == (73, 900)
    assert await waiting(storage) == []
