"""Anonymous statistics and unanswered questions are recorded as people talk to Lotse."""
from __future__ import annotations

import dataclasses
import datetime as dt

from bot.core.content.model import Content
from bot.core.events import Command, Text
from bot.core.state import State
from bot.services.conversation import Conversations, Person
from bot.services.usage import Usage, scrub
from bot.storage.repository import Storage
from tests.database import rows, tables


def test_scrub_removes_contact_details() -> None:
    assert scrub("call me 0151 2345 6789 or a.b@example.org please") == "call me … or … please"


async def test_events_and_gaps_are_recorded_without_a_person(conversations: Conversations) -> None:
    amira, jonas = Person("telegram", "1"), Person("telegram", "2")
    await conversations.handle(amira, Command("language", "ar"))
    await conversations.handle(amira, Text("كم تكلفة دورة الاندماج"))
    await conversations.handle(amira, Text("wo finde ich einen hund für meine kinder +49 151 2345678"))
    await conversations.handle(jonas, Command("language", "de"))
    await conversations.handle(jonas, Command("menu"))
    storage = conversations.storage
    events = await rows(storage, "SELECT kind, locale, entry, topic FROM usage_events ORDER BY id")
    sessions = {row[0] for row in await rows(storage, "SELECT session FROM usage_events")}
    gaps = await rows(storage, "SELECT locale, text FROM unanswered_questions")
    columns = (await tables(storage))["usage_events"]
    kinds = [e[0] for e in events]
    assert kinds.count("person") == 2 and kinds.count("conversation") == 2
    assert ("answer", "ar", "integration-course-costs", "language") in events
    assert len(sessions) == 2 and "1" not in sessions and "2" not in sessions
    assert not any("user" in c for c in columns)
    assert gaps == [("ar", "wo finde ich einen hund für meine kinder …")]


async def test_a_person_counts_again_in_the_offices_new_month(storage: Storage,
                                                             shipped_content: Content) -> None:
    """The "person" event follows the report's months (Europe/Berlin), not UTC's."""
    usage = Usage(storage)
    january = dt.datetime(2026, 1, 31, 22, 50, tzinfo=dt.UTC)  # 23:50 in Berlin
    first = State(locale="de")
    await usage.record(shipped_content, State(), first, [], january)
    february = january + dt.timedelta(minutes=20)  # 00:10 on 1 February in Berlin, still January in UTC
    await usage.record(shipped_content, dataclasses.replace(first), State(locale="de"), [],
                       february)
    events = await rows(storage, "SELECT kind FROM usage_events ORDER BY id")
    assert [kind for (kind,) in events].count("person") == 2


async def test_a_section_chosen_under_an_answer_is_not_a_second_answer(
        conversations: Conversations) -> None:
    lena = Person("telegram", "3")
    await conversations.handle(lena, Command("language", "en"))
    replies = await conversations.handle(lena, Text("may i work in germany"))
    duldung = next(b.data for r in replies for row in r.buttons for b in row
                   if b.label == "Tolerated stay (Duldung)")
    assert duldung is not None
    chosen = await conversations.handle(lena, duldung)
    assert "§ 60b" in chosen[0].text
    events = await rows(conversations.storage,
                        "SELECT kind, entry FROM usage_events WHERE kind = 'answer'")
    assert events == [("answer", "work-permit")]
