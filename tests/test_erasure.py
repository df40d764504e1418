"""/delete: after it, no row in any table holds anything the person told or sent."""
from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.conversation import Conversations, Person
from bot.core.events import Choice, Command, Text

PHONE = "+4915123456789"
NAME = "Zainab"
QUESTION = "Mein Sohn braucht einen Platz in der Berufsschule"


async def press(conversations: Conversations, person: Person, label_part: str) -> list:
    """Press the live button whose label contains `label_part`."""
    user = await conversations.storage.user(person.channel, person.external_id)
    state = await conversations.storage.load_state(user.id)
    assert state is not None
    index = next(i for i, o in enumerate(state["options"]) if label_part in o[2])
    return await conversations.handle(person, Choice(f"{state['screen']}:{index}"))


def everything_stored(database: Path) -> str:
    """Every value of every row of every table, as one text."""
    with sqlite3.connect(database) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return "\n".join(repr(row) for table in tables
                         for row in db.execute(f'SELECT * FROM "{table}"'))  # noqa: S608


async def test_delete_leaves_nothing_personal(conversations: Conversations, tmp_path: Path) -> None:
    person = Person("telegram", "555")
    await conversations.handle(person, Command("language", "de"))
    await conversations.handle(person, Command("counsellor"))
    await press(conversations, person, "Einverstanden")
    for choice in ("Ausbildung", "Duldung", "A2"):
        await press(conversations, person, choice)
    await conversations.handle(person, Text(QUESTION))
    await press(conversations, person, "Rückruf")
    await conversations.handle(person, Text("0151 23456789"))
    await press(conversations, person, "Vormittags")
    await conversations.handle(person, Text(NAME))
    replies = await press(conversations, person, "Senden")
    assert "#1" in replies[-1].text
    await conversations.handle(person, Text("Noch eine Frage von mir"))
    stored = everything_stored(tmp_path / "lotse.sqlite3")
    assert PHONE in stored and NAME in stored and QUESTION in stored  # the test can fail

    await conversations.handle(person, Command("delete"))
    replies = await press(conversations, person, "Alles löschen")
    assert "gelöscht" in replies[-1].text

    stored = everything_stored(tmp_path / "lotse.sqlite3")
    for personal in (PHONE, NAME, QUESTION, "Noch eine Frage", "duldung", "'555'"):
        assert personal not in stored, personal
    with sqlite3.connect(tmp_path / "lotse.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM users").fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM conversation_states").fetchone() == (0,)
        case = db.execute("SELECT status, outcome, topic, locale FROM cases").fetchone()
    assert case == ("closed", "deleted", "training", "de")  # only anonymous counters remain

    replies = await conversations.handle(person, Text("hallo"))  # afresh: a new person
    assert replies


async def test_a_deleted_persons_id_is_never_reused(conversations: Conversations) -> None:
    first = await conversations.storage.user("telegram", "1")
    await conversations.handle(Person("telegram", "1"), Command("delete"))
    await press(conversations, Person("telegram", "1"), "🗑")
    second = await conversations.storage.user("telegram", "2")
    assert second.id > first.id
