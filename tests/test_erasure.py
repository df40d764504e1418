"""/delete: after it, no row in any table holds anything the person told or sent; in an open case
its question takes a typed number (the console's way to press it) only as the very next message."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot.core.content.model import Content
from bot.core.events import CaseOpened, Choice, Command, EraseMe, RelayToCase, Text
from bot.core.state import State
from bot.ops import metrics
from bot.services.conversation import Conversations, Person
from bot.storage import migrate
from bot.storage.repository import Storage
from tests.database import rows, tables
from tests.steps import run

PHONE = "+4915123456789"
TYPED_PHONE = "0151 23456789"
NAME = "Zainab"
QUESTION = "Mein Sohn braucht einen Platz in der Berufsschule"


async def press(conversations: Conversations, person: Person, label_part: str) -> list:
    """Press the live button whose label contains `label_part`."""
    user = await conversations.storage.user(person.channel, person.external_id)
    state = await conversations.storage.load_state(user.id)
    assert state is not None
    index = next(i for i, o in enumerate(state["options"]) if label_part in o[2])
    return await conversations.handle(person, Choice(state['screen'], index))


async def everything_stored(storage: Storage) -> str:
    """Every value of every row of every table, as one text."""
    stored = [await rows(storage, f'SELECT * FROM "{table}"') for table in await tables(storage)]
    return "\n".join(repr(row) for table_rows in stored for row in table_rows)


def closed_as_deleted() -> float:
    return metrics.REGISTRY.get_sample_value("lotse_cases_closed_total",
                                             {"outcome": "deleted"}) or 0.0


async def choose(conversations: Conversations, person: Person, value: str) -> list:
    """Press the live button whose action carries `value` (whatever the language)."""
    user = await conversations.storage.user(person.channel, person.external_id)
    state = await conversations.storage.load_state(user.id)
    assert state is not None
    index = next(i for i, option in enumerate(state["options"]) if value in option[:2])
    return await conversations.handle(person, Choice(state["screen"], index))


async def full_intake(conversations: Conversations, person: Person, locale: str,
                      choices: tuple[str, str, str], question: str, phone: str,
                      name: str) -> list:
    """Consent and every intake step in `locale` (topic, residence status and German level
    `choices`, a call back in the morning), then Send; the replies to Send."""
    await conversations.handle(person, Command("language", locale))
    await conversations.handle(person, Command("counsellor"))
    for value in ("yes", *choices):
        await choose(conversations, person, value)
    await conversations.handle(person, Text(question))
    await choose(conversations, person, "phone")
    await conversations.handle(person, Text(phone))
    await choose(conversations, person, "morning")
    await conversations.handle(person, Text(name))
    return await choose(conversations, person, "send")


async def hand_over(conversations: Conversations, person: Person) -> None:
    """`person` asks for a counsellor, tells their name, phone number and question, and writes
    once more in the open case."""
    replies = await full_intake(conversations, person, "de", ("training", "duldung", "a2"),
                                QUESTION, TYPED_PHONE, NAME)
    assert "#1" in replies[-1].text
    await conversations.handle(person, Text("Noch eine Frage von mir"))


async def delete_everything(conversations: Conversations, person: Person) -> None:
    await conversations.handle(person, Command("delete"))
    replies = await press(conversations, person, "Alles löschen")
    assert "gelöscht" in replies[-1].text


async def test_delete_leaves_nothing_personal(conversations: Conversations) -> None:
    person = Person("telegram", "555")
    deleted_before = closed_as_deleted()
    await hand_over(conversations, person)
    stored = await everything_stored(conversations.storage)
    assert PHONE in stored and NAME in stored and QUESTION in stored  # the test can fail

    await delete_everything(conversations, person)

    stored = await everything_stored(conversations.storage)
    for personal in (PHONE, NAME, QUESTION, "Noch eine Frage", "duldung", "'555'"):
        assert personal not in stored, personal
    assert await rows(conversations.storage, "SELECT count(*) FROM users") == [(0,)]
    assert await rows(conversations.storage, "SELECT count(*) FROM conversation_states") == [(0,)]
    cases = await rows(conversations.storage, "SELECT status, outcome, topic, locale FROM cases")
    assert cases == [("closed", "deleted", "training", "de")]  # only anonymous counters remain
    assert closed_as_deleted() == deleted_before + 1  # /metrics counts the case as closed

    replies = await conversations.handle(person, Text("hallo"))  # afresh: a new person
    assert replies


async def test_delete_leaves_no_trace_in_the_sqlite_files(
        tmp_path: Path, shipped_content: Content) -> None:
    """SQLite keeps deleted values in free pages and in the WAL until they are overwritten:
    after /delete neither the database file nor its WAL holds the name or the phone number
    (secure_delete on every connection, the WAL checkpointed and truncated), read while the bot
    still has the database open."""
    database = tmp_path / "lotse.sqlite3"
    url = f"sqlite+aiosqlite:///{database}"
    await migrate.upgrade(url)
    storage = Storage.open(url)
    conversations = Conversations(storage, lambda: shipped_content)
    files = (database, database.with_name(database.name + "-wal"))
    try:
        person = Person("telegram", "556")
        await hand_over(conversations, person)
        on_disk = b"".join(path.read_bytes() for path in files if path.exists())
        assert NAME.encode() in on_disk and PHONE.encode() in on_disk  # the test can fail
        await delete_everything(conversations, person)
        on_disk = b"".join(path.read_bytes() for path in files if path.exists())
        for personal in (NAME, PHONE, TYPED_PHONE, QUESTION):
            assert personal.encode() not in on_disk, personal
        # set by the engine, whatever the SQLite build's default (Debian's is on already)
        assert await rows(storage, "PRAGMA secure_delete") == [(1,)]
    finally:
        await storage.close()


async def test_a_deleted_persons_id_is_never_reused(conversations: Conversations) -> None:
    first = await conversations.storage.user("telegram", "1")
    await conversations.handle(Person("telegram", "1"), Command("delete"))
    await press(conversations, Person("telegram", "1"), "🗑")
    second = await conversations.storage.user("telegram", "2")
    assert second.id > first.id


def test_in_an_open_case_the_delete_question_takes_a_typed_number(shipped_content: Content) -> None:
    state, _, _ = run(shipped_content, State(locale="en"), CaseOpened(7, dt.datetime.now(dt.UTC)))
    state, _, _ = run(shipped_content, state, Command("delete"))
    _, _, effects = run(shipped_content, state, Text("1"))
    assert EraseMe() in effects and not any(isinstance(e, RelayToCase) for e in effects)


def test_in_an_open_case_the_delete_question_expires_with_the_next_message(
        shipped_content: Content) -> None:
    state, _, _ = run(shipped_content, State(locale="en"), CaseOpened(7, dt.datetime.now(dt.UTC)))
    state, _, _ = run(shipped_content, state, Command("delete"))
    state, _, effects = run(shipped_content, state, Text("sorry, one more question"))
    assert RelayToCase(7, "sorry, one more question") in effects
    _, _, effects = run(shipped_content, state, Text("1"))  # the counsellor had asked "1 or 2?"
    assert RelayToCase(7, "1") in effects and EraseMe() not in effects
