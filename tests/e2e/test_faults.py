"""Delivery under faults, end to end: the real `lotse run` process against a fake Bot API that
fails 20 % of ALL calls (429 with retry_after, 500, 502) — start-up calls, getUpdates, sends,
edits, callback answers, forum topics — adds random latency and enforces Telegram's flood limits.

200 people walk a flow and 50 of them then go through consent and intake to a counsellor. Every
person gets every message, in order; each of the 50 has exactly one case, one forum topic and one
case note; no limit is ever exceeded. The per-chat limit is Telegram's (1 message a second per
private chat after a burst of 3). The overall and the staff group's limits are raised, the same
logic on a faster clock: Telegram's 30 a second in all would make the ~1 600 calls of the run
(with their retries) take a minute, and its 20 a minute per group would make 50 cases take five,
so the fake and the bot both run with 100 a second (SEND_PER_SECOND) and 600 a minute, 3 at once
(STAFF_GROUP_MESSAGES_PER_MINUTE). tests/test_pacing.py checks Telegram's own values.
The SQLite file lives in /dev/shm where there is one: this test is about Telegram, not the disk,
whose fsync (about 9 ms a commit on the CI machine) would cap the bot at ~100 transactions a
second and make the run twice as long."""
from __future__ import annotations

import asyncio
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

from bot.core import bidi
from bot.core.content.model import Content
from bot.core.intake import QUESTIONS
from tests.e2e.harness import BotProcess
from tests.e2e.test_outbox import Person, plain
from tests.e2e.test_staff import patient
from tests.fake_bot_api import FakeBotApi, FakeUser
from tests.fake_bot_api.policies import Faults, RateLimits
from tests.servers import RAM_FOLDER

PEOPLE = 200
HANDOFFS = 50
"""The first HANDOFFS people go on to a counsellor after their flow."""
STAFF = -1001234500
GROUP_PER_MINUTE = 600
FAULTS = Faults(rate=0.2, kinds=(429, 500, 502), retry_after=1, latency=(0.0, 0.05), seed=7,
                get_updates=True)
LIMITS = RateLimits(group_rate=GROUP_PER_MINUTE / 60, group_burst=3, global_rate=100,
                    global_burst=100)
START_UP = ("deleteWebhook", "setMyCommands", "getMe")
STAFF_METHODS = ("createForumTopic", "sendMessage")
WAIT = 60.0
"""Longest wait for one reply: everyone shares the 100 messages a second."""


def first_line(text: str | None) -> str:
    return bidi.strip_marks(text or "").split("\n")[0]


def question_of(person: FakeUser) -> str:
    return f"Wo finde ich einen Deutschkurs? (Frage {person.id})"


def database_folder(tmp_path: Path) -> Path:
    if RAM_FOLDER.is_dir():
        return Path(tempfile.mkdtemp(prefix="lotse-faults-", dir=RAM_FOLDER))
    return tmp_path


def cases_by_person(folder: Path) -> dict[int, list[tuple[int, int | None, int | None]]]:
    """Each person's cases: (id, staff_thread_id, staff_message_id)."""
    with sqlite3.connect(folder / "lotse.sqlite3") as db:
        rows = db.execute("SELECT users.external_id, cases.id, cases.staff_thread_id, "
                          "cases.staff_message_id FROM cases JOIN users "
                          "ON users.id = cases.user_id ORDER BY cases.id").fetchall()
    found: dict[int, list[tuple[int, int | None, int | None]]] = {}
    for person, *case in rows:
        found.setdefault(int(person), []).append(tuple(case))  # type: ignore[arg-type]
    return found


async def test_flows_and_handoffs_arrive_once_in_order_within_limits_despite_faults(
        tmp_path: Path, content: Content) -> None:
    de = content.ui.get("de")
    flow = content.flows["language-courses"]
    start = flow.nodes[flow.start]
    title = content.pick(flow.title, "de").text
    step = start.buttons[0]
    entry = content.entries[step.faq]
    answer_title = entry.text[content.entry_lang(entry, "de")].title
    greeting = de.gettext("Hello! I am Lotse, the digital assistant {name_of}.").split("{")[0]
    flow_messages = [greeting, first_line(content.pick(start.text, "de").text), answer_title]
    # the flow told the bot the topic, so intake does not ask for it
    handoff_messages = [de.gettext("Do you agree?"),
                        *(de.gettext(QUESTIONS[s]) for s in ("residence_status", "german_level",
                                                              "question", "contact_preference",
                                                              "first_name")),
                        de.gettext("Please check what the counsellor will receive:")]

    async with FakeBotApi(rate_limits=LIMITS, faults=FAULTS) as api:
        api = patient(api)
        staff = api.group(STAFF, "Beratung", forum=True)
        people = [api.user(10_000 + i, language_code="de") for i in range(PEOPLE)]
        data = database_folder(tmp_path)
        settings = {"DATABASE_URL": f"sqlite:///{data / 'lotse.sqlite3'}",
                    "SEND_PER_SECOND": str(LIMITS.global_rate),
                    "SEND_PER_CHAT_PER_SECOND": str(LIMITS.private_rate),
                    "STAFF_CHAT_ID": str(STAFF),
                    "STAFF_GROUP_MESSAGES_PER_MINUTE": str(GROUP_PER_MINUTE)}
        began = time.monotonic()
        async with BotProcess(api, tmp_path, **settings) as bot:

            async def walk(person: FakeUser) -> None:
                await person.send("/start")
                await api.wait_for(person, timeout=WAIT)
                menu = await api.wait_for(person, lambda m: bool(m.buttons), timeout=WAIT)
                await person.press(lambda b: bidi.strip_marks(b.text) == title, menu)
                await api.wait_until(lambda: first_line(menu.text) == flow_messages[1],
                                     timeout=WAIT)
                await person.press(lambda b: bidi.strip_marks(b.text) == content.pick(
                    step.label, "de").text, menu)
                await api.wait_for(person, lambda m: answer_title in m.text, timeout=WAIT)

            async def hand_off(person: FakeUser) -> None:
                await walk(person)
                asker = Person(api, content, person, "de")
                await person.send("/counsellor")
                await asker.press(await asker.shown("Do you agree?"), de.gettext("I agree"))
                for name in ("residence_status", "german_level"):
                    await asker.answer(name)
                await asker.answer("question", typed=question_of(person))
                await asker.answer("contact_preference")
                await asker.answer("first_name")
                review = await asker.shown("Please check what the counsellor will receive:")
                await asker.press(review, de.gettext("Send"))
                sent = de.gettext("Sent. Your case number is #{number}.").split("{")[0]
                await api.wait_for(person, lambda m: sent in plain(m.text), timeout=WAIT)

            await asyncio.gather(*(hand_off(p) for p in people[:HANDOFFS]),
                                 *(walk(p) for p in people[HANDOFFS:]))
            await api.wait_until(lambda: len(api.messages(staff)) >= HANDOFFS, timeout=WAIT)
            assert await bot.stop() == 0
        took = time.monotonic() - began

    cases = cases_by_person(data)
    if data != tmp_path:
        shutil.rmtree(data)
    assert sorted(cases) == sorted(p.id for p in people[:HANDOFFS])  # no one else has a case
    topics = {t.thread_id: t for t in api.topics(staff)}
    notes = api.messages(staff)
    assert len(topics) == HANDOFFS and len(notes) == HANDOFFS
    for person in people:
        expected = flow_messages
        if person.id in cases:
            [(case, thread, note_id)] = cases[person.id]  # exactly one case
            expected = [*flow_messages, *handoff_messages,
                        Person(api, content, person, "de").confirmation(case)]
            [note] = [n for n in notes if n.thread_id == thread]
            assert note.message_id == note_id and topics[thread].name.startswith(f"#{case} ")
            assert first_line(note.text) == f"Fall #{case} · neu"
            assert question_of(person) in note.text and "Thema: Sprachkurs" in note.text
        texts = [plain(m.text) for m in api.messages(person)]
        assert len(texts) == len(expected), (person.id, [t[:40] for t in texts])
        assert all(marker in text for marker, text in zip(expected, texts)), (person.id, texts)

    assert api.rate_violations == []
    faults = api.injected_faults
    assert any(method in START_UP for method, _ in faults), "no fault hit a start-up call"
    assert {method for method, _ in faults} >= {"getUpdates", "answerCallbackQuery",
                                                 "editMessageText"}
    staff_faults = [c for c in api.calls if not c.ok and c.method in STAFF_METHODS and
                    c.params.get("chat_id") == str(STAFF)]
    assert staff_faults, "no fault hit the staff group"
    print(f"\n{PEOPLE} people ({HANDOFFS} handed off) in {took:.1f}s: {len(api.calls)} calls, "
          f"{len(faults)} faults ({sum(m in START_UP for m, _ in faults)} at start-up, "
          f"{len(staff_faults)} in the staff group)")
