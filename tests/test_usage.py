"""Anonymous statistics and unanswered questions are recorded as people talk to Lotse."""
from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.conversation import Conversations, Person
from bot.core.events import Command, Text
from bot.usage import scrub


def test_scrub_removes_contact_details() -> None:
    assert scrub("call me 0151 2345 6789 or a.b@example.org please") == "call me … or … please"


async def test_events_and_gaps_are_recorded_without_a_person(conversations: Conversations,
                                                             tmp_path: Path) -> None:
    amira, jonas = Person("telegram", "1"), Person("telegram", "2")
    await conversations.handle(amira, Command("language", "ar"))
    await conversations.handle(amira, Text("كم تكلفة دورة الاندماج"))
    await conversations.handle(amira, Text("wo finde ich einen hund für meine kinder +49 151 2345678"))
    await conversations.handle(jonas, Command("language", "de"))
    await conversations.handle(jonas, Command("menu"))
    with sqlite3.connect(tmp_path / "lotse.sqlite3") as db:
        events = db.execute("SELECT kind, locale, entry, topic FROM usage_events ORDER BY id").fetchall()
        sessions = {row[0] for row in db.execute("SELECT session FROM usage_events")}
        gaps = db.execute("SELECT locale, text FROM unanswered_questions").fetchall()
        columns = [row[1] for row in db.execute("PRAGMA table_info(usage_events)")]
    kinds = [e[0] for e in events]
    assert kinds.count("person") == 2 and kinds.count("conversation") == 2
    assert ("answer", "ar", "integration-course-costs", "language") in events
    assert len(sessions) == 2 and "1" not in sessions and "2" not in sessions
    assert not any("user" in c for c in columns)
    assert gaps == [("ar", "wo finde ich einen hund für meine kinder …")]
