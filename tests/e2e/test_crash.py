"""Crashes in the middle of handoffs: the real `lotse run` process is killed with SIGKILL at
seeded random moments (20 times, each followed by a restart on the same database) while ten
people go through consent and intake, press Send and write into their cases, and a counsellor
answers in the case topics. Afterwards no case is missing or doubled and nothing anyone wrote or
was promised is lost.

What a crash may repeat: Telegram has no idempotency key, so a call it carried out just before
the SIGKILL, whose answer the bot had not yet committed, is made again by the next process (the
outbox's documented window; a person's replies are at-least-once by design, `bot.services.replay`). The
test therefore allows a second copy of a message only from another process lifetime, never two
from one process."""
from __future__ import annotations

import asyncio
import bisect
import html
import random
import re
import sqlite3
import time
from collections import defaultdict
from pathlib import Path

from bot.core import bidi
from bot.core.content.model import Content
from tests.e2e.harness import BotProcess
from tests.e2e.test_staff import intake, patient
from tests.fake_bot_api import FakeBotApi
from tests.fake_bot_api.actors import FakeGroup, FakeUser

STAFF = -1001234567000
PEOPLE = 10
KILLS = 20
SEED = 20240607
PATIENCE = 60.0


def plain(text: str | None) -> str:
    return bidi.strip_marks(text or "")


class Crashes:
    """The bot process, killed after a random run time and started again, `KILLS` times."""

    def __init__(self, api: FakeBotApi, folder: Path) -> None:
        self.api = api
        self.bot = BotProcess(api, folder, forked=True, STAFF_CHAT_ID=str(STAFF),
                              STAFF_GROUP_MESSAGES_PER_MINUTE="600")
        self.random = random.Random(SEED)
        self.killed_at: list[float] = []

    async def run(self) -> None:
        """Kill and restart the running bot `KILLS` times."""
        while not self.done:
            await asyncio.sleep(self.random.uniform(0.1, 0.9))
            await self.bot.kill()
            self.killed_at.append(time.monotonic())
            await self.bot.start(timeout=PATIENCE)

    @property
    def done(self) -> bool:
        return len(self.killed_at) >= KILLS

    def sent(self, chat: int, method: str = "sendMessage") -> dict[str, list[int]]:
        """Text (or topic name) → the process lifetimes (0 = before the first kill) in which
        the bot had Telegram carry out `method` in `chat` with it."""
        lifetimes: dict[str, list[int]] = defaultdict(list)
        for call in self.api.calls_to(method):
            if call.ok and str(call.params.get("chat_id")) == str(chat):
                text = str(call.params.get("text") or call.params.get("name"))
                text = plain(html.unescape(re.sub(r"<[^>]*>", "", text)))  # as shown
                lifetimes[text].append(bisect.bisect(self.killed_at, call.at))
        return lifetimes


async def person_story(api: FakeBotApi, content: Content, person: FakeUser, group: FakeGroup,
                       counsellor: FakeUser, crashes: Crashes, numbers: dict[int, int],
                       written: dict[int, list[str]], answered: dict[int, list[str]]) -> None:
    """Intake and Send, then rounds of writing into the case and an answer in its topic (two,
    and more until the crashes are over)."""
    t = content.ui.get("de")
    await intake(api, person, content, "de", f"Frage von {person.id}: Wo gibt es Kurse?")
    sent = re.escape(t.gettext("Sent. Your case number is #{number}.")).replace(
        re.escape("{number}"), r"(\d+)")
    confirmation = await api.wait_for(person, lambda m: re.search(sent, plain(m.text)) is not None)
    number = int(re.search(sent, plain(confirmation.text)).group(1))  # type: ignore[union-attr]
    numbers[person.id] = number
    await case_topic(api, group, number)
    round_ = 0
    while round_ < 2 or not crashes.done:  # at least two rounds, more while the kills go on
        round_ += 1
        text = f"Nachricht {round_} von {person.id}"
        written[person.id].append(text)
        await person.send(text)
        # Looked up each round: a kill while the note was being posted moves the case to a new
        # topic (the outbox deletes the one whose note it cannot know was posted), and relays
        # come only after the note, so the relay's topic is the case's for this round.
        relayed = f"💬 {text}"
        await api.wait_until(lambda relayed=relayed: any(
            m.text == relayed for m in api.messages(group)))
        thread = next(m.thread_id for m in api.messages(group) if m.text == relayed)
        answer = f"Antwort {round_} an {person.id}"
        answered[person.id].append(answer)
        await counsellor.send(answer, chat=group, thread_id=thread)
        await api.wait_until(lambda answer=answer: any(
            m.text == answer for m in api.messages(person)))


async def case_topic(api: FakeBotApi, group: FakeGroup, number: int) -> int:
    """The topic with the case's note (a crash right after creating a topic can leave an empty
    one with the same name behind)."""
    def note() -> int | None:
        return next((m.thread_id for m in api.messages(group)
                     if plain(m.text).startswith(f"Fall #{number} ")), None)

    await api.wait_until(lambda: note() is not None)
    thread = note()
    assert thread is not None
    return thread


def cases_per_user(folder: Path) -> dict[str, int]:
    with sqlite3.connect(folder / "lotse.sqlite3") as db:
        rows = db.execute("SELECT u.external_id, count(*) FROM cases c JOIN users u "
                          "ON u.id = c.user_id GROUP BY u.external_id").fetchall()
    return {external_id: count for external_id, count in rows}


def once_per_lifetime(lifetimes: list[int]) -> bool:
    """Sent at least once, and never twice by the same process."""
    return bool(lifetimes) and len(set(lifetimes)) == len(lifetimes)


async def test_sigkill_during_handoffs_loses_and_doubles_nothing(
        fake_api: FakeBotApi, tmp_path: Path, content: Content) -> None:
    api = patient(fake_api, PATIENCE)
    lena = api.user(7001, "Lena")
    group = api.group(STAFF, "Beratung", members=[lena])
    people = [api.user(3001 + n, f"P{n}", language_code="de") for n in range(PEOPLE)]
    crashes = Crashes(api, tmp_path)
    numbers: dict[int, int] = {}
    written: dict[int, list[str]] = {p.id: [] for p in people}
    answered: dict[int, list[str]] = {p.id: [] for p in people}
    async with crashes.bot:
        async with asyncio.TaskGroup() as everyone:  # a failed restart stops the stories
            everyone.create_task(crashes.run())
            for person in people:
                everyone.create_task(person_story(api, content, person, group, lena, crashes,
                                                  numbers, written, answered))
        assert await crashes.bot.stop() == 0

    # No case lost, none doubled: one case per person, its topic and its note in the group.
    assert cases_per_user(tmp_path) == {str(p.id): 1 for p in people}
    assert sorted(numbers.values()) == list(range(1, PEOPLE + 1))
    topics = crashes.sent(STAFF, "createForumTopic")
    staff = crashes.sent(STAFF)
    for number in numbers.values():
        assert once_per_lifetime(next(v for k, v in topics.items() if k.startswith(f"#{number} ")))
        assert once_per_lifetime(next(v for k, v in staff.items()
                                      if k.startswith(f"Fall #{number} ")))
    assert len([m for m in api.messages(group) if m.text.startswith("Fall #")]) >= PEOPLE
    t = content.ui.get("de")
    repeats = 0
    for person in people:
        number = numbers[person.id]
        thread = await case_topic(api, group, number)
        # Every message the person wrote into the case reached its topic, in order.
        in_topic = [m.text for m in api.messages(group, thread_id=thread)
                    if m.text.startswith("💬 ")]
        assert list(dict.fromkeys(in_topic)) == [f"💬 {text}" for text in written[person.id]]
        # Every counsellor answer reached the person, in order.
        to_person = crashes.sent(person.id)
        answers = [plain(m.text) for m in api.messages(person) if plain(m.text).startswith("A")]
        assert list(dict.fromkeys(answers)) == answered[person.id]
        confirmation = t.gettext("Sent. Your case number is #{number}.").format(number=number)
        checked = [*(f"💬 {text}" for text in written[person.id])]
        for text in checked:
            assert once_per_lifetime(staff[text]), (text, staff[text])
        for text in [*answered[person.id],
                     next(k for k in to_person if confirmation in k)]:
            assert once_per_lifetime(to_person[text]), (text, to_person[text])
            repeats += len(to_person[text]) - 1
        repeats += sum(len(staff[text]) - 1 for text in checked)
    assert len(crashes.killed_at) == KILLS and all(written.values())
    print(f"{sum(map(len, written.values()))} messages each way, {repeats} repeated by a crash")
