"""Cases reaching the staff group, end to end: the real `lotse run` process against the fake Bot
API with a forum supergroup as STAFF_CHAT_ID. A person asks in Arabic and the counsellors read a
German case note; SIGKILL before and in the middle of delivery; a burst of cases under Telegram's
group limit; a staff group that is missing at first."""
from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path

from bot.core import bidi
from bot.core.content.model import Content
from bot.core.events import OpenCase
from bot.core.intake import QUESTIONS
from bot.handoff.cases import Cases
from bot.storage.leadership import DELIVERS
from bot.storage.migrate import upgrade
from bot.storage.repository import Storage
from tests.database import rows
from tests.e2e.harness import BotProcess
from tests.fake_bot_api import FakeBotApi, FakeUser, RateLimits, SentMessage

STAFF = -1001234500


def plain(text: str | None) -> str:
    return bidi.strip_marks(text or "")


def newest_keyboard(api: FakeBotApi, user: FakeUser) -> SentMessage | None:
    return next((m for m in reversed(api.messages(user)) if m.buttons), None)


class Person:
    """A fake user going through consent and intake in their language."""

    def __init__(self, api: FakeBotApi, content: Content, user: FakeUser, locale: str) -> None:
        self.api, self.content, self.user, self.locale = api, content, user, locale
        self.t = content.ui.get(locale)

    async def shown(self, prompt: str) -> SentMessage:
        """The newest message with buttons, once it says `prompt` (an interface string)."""
        text = self.t.gettext(prompt)

        def found() -> bool:
            message = newest_keyboard(self.api, self.user)
            return message is not None and text in plain(message.text)

        await self.api.wait_until(found)
        message = newest_keyboard(self.api, self.user)
        assert message is not None
        return message

    async def press(self, message: SentMessage, label: str) -> None:
        await self.user.press(lambda b: label in plain(b.text), message)

    async def answer(self, step: str, value: str | None = None, typed: str | None = None) -> None:
        """Answer an intake step: a vocabulary value, typed text, or Skip (neither given)."""
        message = await self.shown(QUESTIONS[step])
        if typed is not None:
            await self.user.send(typed)
        elif value is not None:
            await self.press(message, self.content.vocabulary_label(step, value, self.locale))
        else:
            await self.press(message, self.t.gettext("Skip"))

    async def consent(self) -> None:
        await self.user.send("/start")
        menu = await self.shown("What would you like to know? Choose a topic, or write your "
                                "question in your own words.")
        await self.press(menu, self.t.gettext("Talk to a counsellor"))
        await self.press(await self.shown("Do you agree?"), self.t.gettext("I agree"))

    async def quick_intake(self, question: str) -> SentMessage:
        """Consent, skip what can be skipped, write the question; returns the review message."""
        await self.consent()
        for step in ("topic", "residence_status", "german_level"):
            await self.answer(step)
        await self.answer("question", typed=question)
        await self.answer("contact_preference")
        await self.answer("first_name")
        return await self.shown("Please check what the counsellor will receive:")

    def confirmation(self, number: int) -> str:
        return self.t.gettext("Sent. Your case number is #{number}.").format(number=number)

    async def send_and_confirm(self, review: SentMessage, number: int) -> None:
        await self.press(review, self.t.gettext("Send"))
        await self.api.wait_for(self.user, lambda m: self.confirmation(number) in plain(m.text))


async def eventually(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Poll `condition` (for what the fake does not announce: call records, the database, the
    log file)."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.05)


def database(folder: Path) -> sqlite3.Connection:
    return sqlite3.connect(folder / "lotse.sqlite3")


def outbox_rows(folder: Path) -> list[tuple[str, str | None, int, str | None]]:
    with database(folder) as db:
        return db.execute("SELECT kind, delivered_at, attempts, last_error FROM outbox_messages "
                          "ORDER BY id").fetchall()


def all_calls_accepted(api: FakeBotApi, *allowed: str) -> None:
    rejected = [(c.method, c.description) for c in api.calls
                if not c.ok and c.method != "getUpdates" and c.description not in allowed]
    assert rejected == []


async def test_arabic_intake_pressed_send_twice_gives_one_german_case_note(
        fake_api: FakeBotApi, tmp_path: Path, content: Content) -> None:
    api = fake_api
    staff = api.group(STAFF, "Beratung", forum=True)
    amira = Person(api, content, api.user(1001, "Amira", language_code="ar"), "ar")
    question = "هل يمكنني الحصول على دورة اندماج مع رعاية الأطفال؟ <مهم> & عاجل"
    async with BotProcess(api, tmp_path, STAFF_CHAT_ID=str(STAFF)) as bot:
        await amira.consent()
        await amira.answer("topic", "language")
        await amira.answer("residence_status", "asylum")
        await amira.answer("german_level", "a1")
        await amira.answer("question", typed=question)
        await amira.answer("contact_preference", "phone")
        await amira.answer("phone", typed="0151 23456789")
        await amira.answer("preferred_time", "morning")
        await amira.answer("first_name", typed="أميرة")
        review = await amira.shown("Please check what the counsellor will receive:")
        send = amira.t.gettext("Send")
        await amira.press(review, send)  # twice at once: both updates arrive in one batch
        await amira.press(review, send)
        await api.wait_for(amira.user, lambda m: amira.confirmation(1) in plain(m.text))

        await api.wait_until(lambda: len(api.messages(staff)) == 1)
        [topic] = api.topics(staff)
        assert topic.name == "#1 · Sprachkurs · Arabisch · neu"
        [note] = api.messages(staff, thread_id=topic.thread_id)
        lines = note.text.split("\n")
        assert lines[0] == "Fall #1 · neu"
        for line in ("Sprache: Arabisch (ar)", "Thema: Sprachkurs",
                     "Aufenthaltsstatus: Aufenthaltsgestattung (Asylverfahren)",
                     "Deutschkenntnisse: A1", "Anliegen (Originaltext, Arabisch):", question,
                     "Kontakt: Rückruf unter +49 1512 3456789 am Vormittag", "Vorname: أميرة"):
            assert line in lines, "\n".join(lines)
        assert any(line.startswith("Einwilligung: ") for line in lines)
        assert note.buttons == [[("Übernehmen", "case:claim:1"), ("Schließen", "case:close:1")]]
        # A later message of hers goes after the second press (her updates go in order) and
        # reaches the staff group after any case note written before it (rows go in id order)
        await amira.user.send("شكرا")
        await api.wait_for(staff, lambda m: plain(m.text) == "💬 شكرا")
        assert len(api.topics(staff)) == 1 and len(api.messages(staff)) == 2
        texts = [plain(m.text) for m in api.messages(amira.user)]
        assert sum(amira.confirmation(1) in t for t in texts) == 1
        assert await bot.stop() == 0
    assert [(kind, delivered is not None) for kind, delivered, *_ in outbox_rows(tmp_path)] == [
        ("case_note", True), ("relay_to_staff", True)]
    with database(tmp_path) as db:
        assert db.execute("SELECT count(*) FROM cases").fetchone() == (1,)
    all_calls_accepted(api)


async def test_sigkill_before_the_topic_and_before_the_note_delivers_the_case_once(
        fake_api: FakeBotApi, tmp_path: Path, content: Content) -> None:
    api = fake_api
    staff = api.group(STAFF, "Beratung", forum=False)  # topics off: the note cannot go yet
    person = Person(api, content, api.user(1002, language_code="uk"), "uk")
    bot = BotProcess(api, tmp_path, STAFF_CHAT_ID=str(STAFF))
    async with bot:
        review = await person.quick_intake("Де знайти курс німецької?")
        await person.send_and_confirm(review, 1)
        await eventually(lambda: len(api.calls_to("createForumTopic")) >= 1)
        await bot.kill()  # the case is saved, nothing delivered
    assert api.topics(staff) == [] and outbox_rows(tmp_path)[0][1] is None

    staff.chat.is_forum = True
    # One staff-group call a minute: the topic is created, the note has to wait for a minute.
    bot = BotProcess(api, tmp_path, STAFF_CHAT_ID=str(STAFF), STAFF_GROUP_MESSAGES_PER_MINUTE="1")
    async with bot:
        await api.wait_until(lambda: len(api.topics(staff)) == 1)

        def thread_stored() -> bool:
            with database(tmp_path) as db:
                return db.execute("SELECT staff_thread_id FROM cases").fetchone()[0] is not None

        await eventually(thread_stored)
        await bot.kill()  # between creating the topic and posting the note
    assert api.messages(staff) == []

    async with BotProcess(api, tmp_path, STAFF_CHAT_ID=str(STAFF)):
        [topic] = api.topics(staff)
        note = await api.wait_for(staff, thread_id=topic.thread_id)
        assert note.text.startswith("Fall #1")
        # the case's lane goes in order: a relay after its note arrives after any second try
        await person.user.send("Дякую")
        await api.wait_for(staff, lambda m: plain(m.text) == "💬 Дякую")
    assert len(api.topics(staff)) == 1 and len(api.messages(staff)) == 2
    assert [c.ok for c in api.calls_to("createForumTopic")][-2:] == [False, True]
    assert sum(c.ok for c in api.calls_to("createForumTopic")) == 1
    assert outbox_rows(tmp_path)[0][1] is not None
    # The kill can come before the Send press was acknowledged: it is delivered again, and
    # answering its callback a second time is refused (the person sees nothing of it).
    all_calls_accepted(api, "Bad Request: the chat is not a forum",
                       "Bad Request: query is too old and response timeout expired or query ID "
                       "is invalid")


async def test_sigkill_after_the_note_was_posted_before_it_was_recorded_leaves_one_note(
        fake_api: FakeBotApi, tmp_path: Path, content: Content) -> None:
    """Telegram posted the note, the bot died before it committed that: the next process cannot
    know whether the note arrived, so it deletes that topic and posts the note in a new one."""
    api = fake_api
    staff = api.group(STAFF, "Beratung", forum=True)
    person = Person(api, content, api.user(1003, language_code="uk"), "uk")
    async with BotProcess(api, tmp_path, STAFF_CHAT_ID=str(STAFF)) as bot:
        review = await person.quick_intake("Де знайти курс німецької?")
        api.hold_answers("sendMessage")  # from Send on, messages go out and the bot never hears
        await person.press(review, person.t.gettext("Send"))
        await api.wait_until(lambda: len(api.messages(staff)) == 1)  # the note is posted
        await bot.kill()
    api.release_answers()
    assert outbox_rows(tmp_path)[0][1] is None

    async with BotProcess(api, tmp_path, STAFF_CHAT_ID=str(STAFF)):
        await eventually(lambda: outbox_rows(tmp_path)[0][1] is not None, timeout=30)
        [topic] = api.topics(staff)
        await person.user.send("Дякую")  # after the note in the case's lane
        await api.wait_for(staff, lambda m: plain(m.text) == "💬 Дякую")
        [note, relay] = api.messages(staff)
        assert note.text.startswith("Fall #1") and note.thread_id == topic.thread_id
        assert relay.thread_id == topic.thread_id
    assert sum(c.ok for c in api.calls_to("createForumTopic")) == 2
    assert sum(c.ok for c in api.calls_to("deleteForumTopic")) == 1
    all_calls_accepted(api, "Bad Request: query is too old and response timeout expired or "
                       "query ID is invalid")


async def test_a_burst_of_cases_waits_in_order_within_the_group_limit(
        database_url: str, tmp_path: Path, content: Content) -> None:
    """On SQLite and on PostgreSQL, after an instance that held the outbox was killed (its lock
    must not hold up the next one)."""
    await upgrade(database_url)
    # Telegram's group limit, scaled up so the test is quick: 10 a second, 3 at once.
    limits = RateLimits(group_rate=10, group_burst=3)
    settings = {"DATABASE_URL": database_url, "STAFF_CHAT_ID": str(STAFF),
                "STAFF_GROUP_MESSAGES_PER_MINUTE": "600"}
    storage = Storage.open(database_url)
    async with FakeBotApi(rate_limits=limits) as api:
        staff = api.group(STAFF, forum=True)
        async with BotProcess(api, tmp_path, **settings) as killed:
            await eventually(lambda: DELIVERS in killed.log.read_text())
            await killed.kill()
        cases = Cases(storage, lambda: content)
        for n in range(25):  # 25 cases at once, before the bot starts (a backlog after an outage)
            user = await storage.user("telegram", str(5000 + n))
            await cases.open(user.id, OpenCase({"topic": "work", "question": f"Frage {n + 1}"},
                                               "de"))
        async with BotProcess(api, tmp_path, **settings) as bot:
            await api.wait_until(lambda: len(api.messages(staff)) == 25, timeout=30)
            assert await bot.stop() == 0  # SIGTERM: the row in hand is finished and marked
        assert api.rate_violations == []
        topics = api.topics(staff)
        assert [t.name.split(" · ")[0] for t in topics] == [f"#{n}" for n in range(1, 26)]
        notes = api.messages(staff)
        assert [n.thread_id for n in notes] == [t.thread_id for t in topics]
        assert [n.text.split("\n")[0] for n in notes] == [f"Fall #{n} · neu" for n in range(1, 26)]
        assert all(f"Frage {n}" in note.text for n, note in enumerate(notes, 1))
        all_calls_accepted(api)
    try:
        assert await rows(storage, "SELECT count(*) FROM outbox_messages WHERE "
                                   "delivered_at IS NULL OR attempts > 0") == [(0,)]
    finally:
        await storage.close()


async def test_a_missing_staff_group_keeps_cases_waiting_and_says_how_to_fix_it(
        fake_api: FakeBotApi, tmp_path: Path, content: Content) -> None:
    api = fake_api
    person = Person(api, content, api.user(1003, language_code="en"), "en")
    bot = BotProcess(api, tmp_path, STAFF_CHAT_ID=str(STAFF))
    async with bot:
        review = await person.quick_intake("Where can I find a German course?")
        await person.send_and_confirm(review, 1)  # told the case is saved, group or not

        expected = (f"STAFF_CHAT_ID={STAFF}: Bad Request: chat not found — check the id and add "
                    "the bot to the staff group as admin with 'Manage topics'")

        await eventually(lambda: expected in bot.log.read_text())
        assert outbox_rows(tmp_path) == [("case_note", None, 0, None)]

        staff = api.group(STAFF, "Beratung", forum=True)  # the admin adds the bot
        await person.user.send("I also have a question about childcare.")  # wakes the worker
        await api.wait_until(lambda: len(api.messages(staff)) == 2)
        assert await bot.stop() == 0
    [topic] = api.topics(staff)
    note, relay = api.messages(staff, thread_id=topic.thread_id)
    assert note.text.startswith("Fall #1") and "Where can I find" in note.text
    assert relay.text == "💬 I also have a question about childcare."
    assert bot.log.read_text().count(expected) == 1  # once a minute, not once a try
    assert [(kind, delivered is not None) for kind, delivered, *_ in outbox_rows(tmp_path)] == [
        ("case_note", True), ("relay_to_staff", True)]
