"""The outbox worker against a real database (SQLite and PostgreSQL) and the fake Bot API: every
kind of row, the idempotent case note, retries and backoff, 429, blocked people, an unreachable
staff group."""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import Any

import pytest
from aiogram import Bot
from sqlalchemy import select, update

from bot.channels.telegram.pacing import Pacer
from bot.channels.telegram.staff_group import StaffGroup, case_keyboard
from bot.clock import utcnow
from bot.core.content.model import Content
from bot.handoff.outbox import GIVE_UP_AFTER, OutboxWorker
from bot.shared.buckets import TokenBucket
from bot.storage.models import Case, OutboxMessage, TranscriptMessage, User
from bot.storage.repository import Storage
from tests.fake_bot_api import FakeBotApi, Faults
from tests.fake_bot_api.fixtures import bot_for

from .conftest import STAFF, Clock

Worker = Callable[..., OutboxWorker]


@pytest.fixture
def worker(outbox_workers: Worker) -> Worker:
    """`worker(storage, bot, content, clock, staff=STAFF, per_minute=600)`, stopped after the
    test."""

    def make(storage: Storage, bot: Bot, content: Content, clock: Clock,
             staff: int | None = STAFF, per_minute: int = 600, **options: Any) -> OutboxWorker:
        return outbox_workers(storage, bot, lambda: content, staff, per_minute, clock, **options)

    return make


async def drain(outbox: OutboxWorker) -> float:
    """Deliver until only rows backed off (or nothing) remain, waiting out the pacing as the
    worker's task would; returns the wait before the next row could go."""
    while (wait := await outbox.deliver_ready()) <= 1.0:
        await asyncio.sleep(wait)
    return wait


def staff_group(outbox: OutboxWorker) -> StaffGroup:
    assert isinstance(outbox.staff, StaffGroup)
    return outbox.staff


async def rows(storage: Storage) -> list[OutboxMessage]:
    async with storage.session() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def case_row(storage: Storage, case_id: int) -> Case:
    async with storage.session() as session:
        return await session.get_one(Case, case_id)


async def add_row(storage: Storage, case_id: int, kind: str, key: str, **payload: object) -> None:
    """A row as the staff side writes it, due at once (on the test's clock, which stands still)."""
    due = utcnow() - dt.timedelta(hours=1)
    async with storage.session() as session:
        session.add(OutboxMessage(kind=kind, dedupe_key=key, case_id=case_id, payload=payload,
                                  next_attempt_at=due))


async def transcript(storage: Storage, case_id: int, direction: str, kind: str = "text",
                     text: str | None = None, file_id: str | None = None) -> int:
    async with storage.session() as session:
        message = TranscriptMessage(case_id=case_id, direction=direction, kind=kind, text=text,
                                    file_id=file_id)
        session.add(message)
        await session.flush()
        return message.id


async def test_case_note_creates_one_topic_with_the_note_and_buttons(
        api: FakeBotApi, bot: Bot, storage: Storage, content: Content, clock: Clock,
        open_case, worker: Worker) -> None:
    staff = api.group(STAFF, "Beratung", forum=True)
    case_id = await open_case(1001, question="أريد دورة <لغة> & عمل")
    outbox = worker(storage, bot, content, clock)
    await drain(outbox)
    await drain(outbox)  # nothing left: nothing twice

    [topic] = api.topics(staff)
    assert topic.name == f"#{case_id} · Sprachkurs · Arabisch · neu"
    [note] = api.messages(staff, thread_id=topic.thread_id)
    assert f"Fall #{case_id}" in note.text and "أريد دورة <لغة> & عمل" in note.text
    assert "Aufenthaltsgestattung" in note.text
    assert note.buttons == [[("Übernehmen", f"case:claim:{case_id}"),
                             ("Schließen", f"case:close:{case_id}")]]
    case = await case_row(storage, case_id)
    assert (case.staff_thread_id, case.staff_message_id) == (topic.thread_id, note.message_id)
    [row] = await rows(storage)
    assert row.delivered_at is not None and row.attempts == 0


async def test_after_a_crash_between_topic_and_note_only_the_note_is_posted(
        api: FakeBotApi, bot: Bot, storage: Storage, content: Content, clock: Clock,
        open_case, worker: Worker) -> None:
    staff = api.group(STAFF, forum=True)
    case_id = await open_case(1002)
    topic = await bot.create_forum_topic(STAFF, "#1 · Sprachkurs · Arabisch · neu")
    async with storage.session() as session:  # what the crashed process had committed
        await session.execute(update(Case).where(Case.id == case_id)
                              .values(staff_thread_id=topic.message_thread_id))
    await drain(worker(storage, bot, content, clock))
    assert len(api.topics(staff)) == 1
    assert len(api.messages(staff, thread_id=topic.message_thread_id)) == 1


async def test_a_note_already_posted_is_not_posted_again(
        api: FakeBotApi, bot: Bot, storage: Storage, content: Content, clock: Clock,
        open_case, worker: Worker) -> None:
    staff = api.group(STAFF, forum=True)
    case_id = await open_case(1003)
    async with storage.session() as session:
        await session.execute(update(Case).where(Case.id == case_id)
                              .values(staff_thread_id=5, staff_message_id=6))
    await drain(worker(storage, bot, content, clock))
    assert api.topics(staff) == [] and api.messages(staff) == []
    assert (await rows(storage))[0].delivered_at is not None


async def test_relays_and_notices_follow_their_case_note_in_order(
        api: FakeBotApi, bot: Bot, storage: Storage, content: Content, clock: Clock,
        open_case, worker: Worker) -> None:
    case_id = await open_case(1004)
    sent_photo = await api.user(1004).send_photo()  # a real file id on the fake's side
    file_id = sent_photo.content["photo"][0]["file_id"]
    text = await transcript(storage, case_id, "user", text="<b>not bold</b> & more")
    photo = await transcript(storage, case_id, "user", "photo", file_id=file_id)
    no_file = await transcript(storage, case_id, "user", "voice")
    await add_row(storage, case_id, "relay_to_staff", "r1", message=text)
    await add_row(storage, case_id, "relay_to_staff", "r2", message=photo)
    await add_row(storage, case_id, "relay_to_staff", "r3", message=no_file)
    await add_row(storage, case_id, "staff_notice", "n1", text="Fall übernommen von <b>A</b>")
    outbox = worker(storage, bot, content, clock)
    await drain(outbox)  # no staff group yet: everything waits, nothing fails
    assert all(r.delivered_at is None and r.attempts == 0 for r in await rows(storage))

    staff = api.group(STAFF, forum=True)
    outbox.outage.until = 0  # the test does not wait out the pause after an outage
    await drain(outbox)
    [topic] = api.topics(staff)
    sent = api.messages(staff, thread_id=topic.thread_id)
    assert [m.kind for m in sent] == ["text", "text", "photo", "text", "text"]
    assert sent[1].html == "💬 &lt;b&gt;not bold&lt;/b&gt; &amp; more" and not sent[1].entities
    assert sent[2].caption == "💬" and sent[2].content["photo"][0]["file_id"] == file_id
    assert sent[3].text == "💬 [Sprachnachricht]"
    assert sent[4].text == "Fall übernommen von A"
    assert all(r.delivered_at is not None for r in await rows(storage))


async def test_case_update_edits_the_note_and_renames_the_topic(
        api: FakeBotApi, bot: Bot, storage: Storage, content: Content, clock: Clock,
        open_case, worker: Worker) -> None:
    staff = api.group(STAFF, forum=True)
    case_id = await open_case(1005)
    outbox = worker(storage, bot, content, clock)
    await drain(outbox)
    async with storage.session() as session:
        case = await session.get_one(Case, case_id)
        case.status, case.claimed_by_name, case.note = "claimed", "Anna", "Fall – übernommen"
    await add_row(storage, case_id, "case_update", "u1")
    await add_row(storage, case_id, "case_update", "u2")  # nothing changed: "not modified"
    await drain(outbox)
    [topic] = api.topics(staff)
    assert topic.name == f"#{case_id} · Sprachkurs · Arabisch · bei Anna"
    [note] = api.messages(staff, thread_id=topic.thread_id)
    assert note.text == "Fall – übernommen" and len(note.buttons[0]) == 2

    async with storage.session() as session:
        (await session.get_one(Case, case_id)).status = "closed"
    await add_row(storage, case_id, "case_update", "u3")
    await drain(outbox)
    assert note.buttons == [] and api.topics(staff)[0].name.endswith("geschlossen")
    assert all(r.delivered_at is not None and r.last_error is None for r in await rows(storage))
    assert case_keyboard(1, "closed") is None


async def test_person_rows_reach_the_person_escaped_with_buttons(
        api: FakeBotApi, bot: Bot, storage: Storage, content: Content, clock: Clock,
        open_case, worker: Worker) -> None:
    api.group(STAFF, forum=True)
    person = api.user(1006, language_code="ar")
    person.started = True
    case_id = await open_case(1006)
    staff_member = api.user(7)
    group = api.group(-100999, members=[staff_member])
    file_id = (await staff_member.send_document(chat=group)).content["document"]["file_id"]
    text = await transcript(storage, case_id, "counsellor", text="Hallo <Amira> & Co")
    doc = await transcript(storage, case_id, "counsellor", "document", text="Formular",
                           file_id=file_id)
    await add_row(storage, case_id, "relay_to_user", "a", message=text)
    await add_row(storage, case_id, "relay_to_user", "b", message=doc)
    # a row as it was written before Reply.as_json: no kind, the choice as "<screen>:<index>"
    await add_row(storage, case_id, "reply_to_user", "c", text="<b>Fertig</b>", buttons=[
        [{"label": "👍", "data": "4:0"}], [{"label": "Web", "url": "https://example.org"}]])
    await drain(worker(storage, bot, content, clock))
    sent = api.messages(person)
    assert [m.kind for m in sent] == ["text", "document", "text"]
    assert sent[0].text == "Hallo <Amira> & Co"
    assert sent[1].caption == "Formular"
    assert sent[2].text == "Fertig" and sent[2].buttons == [[("👍", "o:4:0")],
                                                            [("Web", "https://example.org")]]


async def test_a_person_who_blocked_the_bot_is_marked_and_the_row_dropped(
        api: FakeBotApi, bot: Bot, storage: Storage, content: Content, clock: Clock,
        open_case, worker: Worker) -> None:
    api.group(STAFF, forum=True)
    person = api.user(1007)
    person.started = True
    person.block()
    case_id = await open_case(1007)
    await add_row(storage, case_id, "relay_to_user", "a",
                  message=await transcript(storage, case_id, "counsellor", text="Hallo"))
    await drain(worker(storage, bot, content, clock))
    row = (await rows(storage))[1]
    assert row.delivered_at is not None and row.last_error == "blocked"
    async with storage.session() as session:
        assert (await session.scalar(select(User.blocked_at))) is not None
    assert len(api.calls_to("sendMessage")) == 2  # the note, and one try to the person


async def test_failures_back_off_exponentially_and_record_no_text(
        storage: Storage, content: Content, clock: Clock, open_case, worker: Worker) -> None:
    async with FakeBotApi(faults=Faults(rate=1.0, kinds=(500,), methods={"sendMessage"})) as api:
        api.group(STAFF, forum=True)
        bot = bot_for(api)
        case_id = await open_case(1008, question="geheim")
        outbox = worker(storage, bot, content, clock)
        for expected_delay in (2, 4, 8):
            await drain(outbox)
            [row] = await rows(storage)
            assert row.delivered_at is None
            assert row.last_error == "TelegramServerError: Internal Server Error"
            assert round((row.next_attempt_at - clock()).total_seconds()) == expected_delay
            clock.advance(expected_delay)
        assert row.attempts == 3 and "geheim" not in (row.last_error or "")
        assert len(api.topics(STAFF)) == 1  # the topic was kept; only the note is retried
        assert (await case_row(storage, case_id)).staff_message_id is None
        await bot.session.close()


async def test_429_is_waited_out_within_the_row_and_not_counted(
        storage: Storage, content: Content, clock: Clock, open_case, worker: Worker) -> None:
    faults = Faults(rate=0.5, kinds=(429,), retry_after=1, seed=4,
                    methods={"createForumTopic", "sendMessage"})
    async with FakeBotApi(faults=faults) as api:
        staff = api.group(STAFF, forum=True)
        bot = bot_for(api)
        await open_case(1009)
        await drain(worker(storage, bot, content, clock))
        assert api.injected_faults[:2] == [("createForumTopic", 429), ("sendMessage", 429)]
        assert len(api.topics(staff)) == 1 and len(api.messages(staff)) == 1
        [row] = await rows(storage)
        assert row.attempts == 0 and row.delivered_at is not None
        await bot.session.close()


async def test_a_long_429_ends_the_attempt_without_counting_it(
        storage: Storage, content: Content, clock: Clock, open_case, worker: Worker) -> None:
    faults = Faults(rate=1.0, kinds=(429,), retry_after=90, methods={"createForumTopic"})
    async with FakeBotApi(faults=faults) as api:
        api.group(STAFF, forum=True)
        bot = bot_for(api)
        await open_case(1009)
        outbox = worker(storage, bot, content, clock)
        wait = await drain(outbox)
        [row] = await rows(storage)
        assert row.attempts == 0 and row.delivered_at is None and 89 < wait <= 90
        assert staff_group(outbox).delay() > 89  # the group rests (its bucket emptied too)
        await bot.session.close()


async def test_an_unreachable_staff_group_is_reported_once_a_minute_and_resumes(
        api: FakeBotApi, bot: Bot, storage: Storage, content: Content, clock: Clock,
        open_case, caplog: pytest.LogCaptureFixture, worker: Worker) -> None:
    caplog.set_level(logging.WARNING, "bot.handoff")
    await open_case(1010)
    await open_case(1011)
    outbox = worker(storage, bot, content, clock)
    for _ in range(3):
        outbox.outage.until = 0
        await drain(outbox)
    warnings = [r.getMessage() for r in caplog.records]
    assert warnings == [f"STAFF_CHAT_ID={STAFF}: Bad Request: chat not found — check the id "
                        "and add the bot to the staff group as admin with 'Manage topics'; "
                        "case notes wait in the outbox until then"]
    assert all(r.attempts == 0 and r.delivered_at is None for r in await rows(storage))

    group = api.group(STAFF, forum=False)  # there now, but without topics
    outbox.outage.until = 0
    await drain(outbox)
    assert "turn on Topics" in caplog.records[-1].getMessage()

    group.chat.is_forum = True
    outbox.outage.until = 0
    await drain(outbox)
    assert [t.name[:3] for t in api.topics(group)] == ["#1 ", "#2 "]
    assert "reachable again" in caplog.records[-1].getMessage()


async def test_without_staff_chat_id_people_still_get_theirs(
        api: FakeBotApi, bot: Bot, storage: Storage, content: Content, clock: Clock,
        open_case, caplog: pytest.LogCaptureFixture, worker: Worker) -> None:
    caplog.set_level(logging.WARNING, "bot.handoff")
    person = api.user(1012)
    person.started = True
    case_id = await open_case(1012)
    await add_row(storage, case_id, "reply_to_user", "a", text="Hallo", buttons=[])
    outbox = worker(storage, bot, content, clock, staff=None)
    await drain(outbox)
    await drain(outbox)
    assert [m.text for m in api.messages(person)] == ["Hallo"]
    note, reply = await rows(storage)
    assert note.delivered_at is None and reply.delivered_at is not None
    assert [r.getMessage() for r in caplog.records] == [
        "STAFF_CHAT_ID is not set — set STAFF_CHAT_ID to the staff group's id (like "
        "-1001234567890) and restart; case notes wait in the outbox until then"]


async def test_the_staff_group_is_paced_and_cases_stay_in_order(
        api: FakeBotApi, bot: Bot, storage: Storage, content: Content, clock: Clock,
        open_case, worker: Worker) -> None:
    staff = api.group(STAFF, forum=True)
    for person in range(6):
        await open_case(2000 + person)
    outbox = worker(storage, bot, content, clock, per_minute=600)  # 10 a second, 3 at once
    loop_time = __import__("time").monotonic
    started = loop_time()
    await drain(outbox)
    elapsed = loop_time() - started
    assert elapsed >= (12 - 3) / 10 - 0.05  # 12 calls, 3 at once, then 10 a second
    assert [t.name.split(" ")[0] for t in api.topics(staff)] == [f"#{n}" for n in range(1, 7)]


async def test_worker_task_wakes_stops_and_delivers_on_start(
        api: FakeBotApi, bot: Bot, storage: Storage, content: Content, clock: Clock,
        open_case, worker: Worker) -> None:
    staff = api.group(STAFF, forum=True)
    await open_case(3001)  # waited from before a "restart"
    outbox = worker(storage, bot, content, clock, poll_seconds=30)
    await outbox.start()
    await api.wait_until(lambda: len(api.messages(staff)) == 1, timeout=5)
    await open_case(3002)
    outbox.wake()
    await api.wait_until(lambda: len(api.messages(staff)) == 2, timeout=5)
    await outbox.stop()
    assert outbox._task is None


def test_token_bucket() -> None:
    now = [0.0]
    bucket = TokenBucket(per_minute=20, burst=3, now=lambda: now[0])
    for _ in range(3):
        assert bucket.delay() == 0
        bucket.take()
    refill = 3.0  # 20 a minute
    assert bucket.delay() == pytest.approx(refill)
    now[0] = refill
    assert bucket.delay() == 0
    bucket.take()
    now[0] = 1000.0
    assert bucket.tokens <= 3 and bucket.delay() == 0
    bucket.empty()
    assert bucket.delay() == pytest.approx(refill)


async def test_a_topic_deleted_before_the_note_is_created_again(
        api: FakeBotApi, bot: Bot, storage: Storage, content: Content, clock: Clock,
        open_case, worker: Worker) -> None:
    staff = api.group(STAFF, forum=True)
    case_id = await open_case(1013)
    topic = await bot.create_forum_topic(STAFF, "#1")
    await bot.delete_forum_topic(STAFF, topic.message_thread_id)
    async with storage.session() as session:
        await session.execute(update(Case).where(Case.id == case_id)
                              .values(staff_thread_id=topic.message_thread_id))
    outbox = worker(storage, bot, content, clock)
    await drain(outbox)
    [row] = await rows(storage)
    assert row.attempts == 1 and "thread not found" in (row.last_error or "")
    clock.advance(2)
    await drain(outbox)
    [new_topic] = api.topics(staff)
    assert len(api.messages(staff, thread_id=new_topic.thread_id)) == 1


async def test_a_row_that_keeps_failing_is_given_up_but_never_a_case_note(
        api: FakeBotApi, bot: Bot, storage: Storage, content: Content, clock: Clock,
        open_case, caplog: pytest.LogCaptureFixture, worker: Worker) -> None:
    api.group(STAFF, forum=True)
    case_id = await open_case(1014)
    await add_row(storage, case_id, "staff_notice", "n1", text="Hinweis")
    async with storage.session() as session:
        await session.execute(update(OutboxMessage).values(attempts=GIVE_UP_AFTER - 1))
        await session.execute(update(Case).values(staff_thread_id=None))
        # The note is (wrongly) marked delivered without a topic: the notice can never go.
        await session.execute(update(OutboxMessage).where(OutboxMessage.kind == "case_note")
                              .values(delivered_at=clock()))
    await drain(worker(storage, bot, content, clock))
    notice = (await rows(storage))[1]
    assert notice.delivered_at is not None
    assert notice.last_error == "gave up: LookupError"
    assert any("given up" in r.getMessage() for r in caplog.records)


async def test_staff_group_calls_count_against_the_global_limit_too(
        api: FakeBotApi, bot: Bot, storage: Storage, content: Content, clock: Clock,
        open_case, outbox_workers: Callable[..., OutboxWorker]) -> None:
    api.group(STAFF, forum=True)
    for person in range(4):
        await open_case(2100 + person)
    pacer = Pacer(per_second=5, per_chat_per_second=1)  # the group's own limit is far higher
    outbox = outbox_workers(storage, bot, lambda: content, STAFF, 6000, clock, pacer=pacer)
    started = time.monotonic()
    await drain(outbox)
    assert time.monotonic() - started >= (8 - 5) / 5 - 0.05  # 8 calls, 5 at once, 5 a second
    assert await pacer.buckets.delay(pacer.overall) > 0  # the people's replies now wait for them
