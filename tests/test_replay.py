"""Handling the same Telegram update twice (it came again after a crash): it is answered
from its replay record, and its case or relay is written once. On SQLite and PostgreSQL."""
from __future__ import annotations

from sqlalchemy import func, select

from bot.core.events import OpenCase, RelayToCase, Start, Text
from bot.services.conversation import Conversations, Person
from bot.services.replay import replies_of
from bot.storage.models import Case, OutboxMessage, TranscriptMessage

PERSON = Person("telegram", "4242")


async def count(conversations: Conversations, table: type) -> int:
    async with conversations.storage.session() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


async def test_an_update_handled_again_gives_its_replies_without_a_second_step(
        conversations: Conversations) -> None:
    await conversations.handle(PERSON, Start(None, "de"), "telegram:1")
    first = await conversations.handle(PERSON, Text("Deutschkurs"), "telegram:2")
    user = await conversations.storage.user(PERSON.channel, PERSON.external_id)
    saved = await conversations.storage.load_state(user.id)
    # The same update again: the same answer (buttons too), and the state is left alone.
    assert await conversations.handle(PERSON, Text("Deutschkurs"), "telegram:2") == first
    assert await conversations.storage.load_state(user.id) == saved
    assert any(r.buttons for r in first)
    # A new update with the same text is a new update: the engine runs, and it is recorded.
    again = await conversations.handle(PERSON, Text("Deutschkurs"), "telegram:3")
    assert replies_of(await conversations.storage.load_state(user.id), "telegram:3") == again
    assert replies_of(await conversations.storage.load_state(user.id), "telegram:2") is None


async def test_the_same_turn_opens_one_case_and_relays_once(
        conversations: Conversations) -> None:
    user = await conversations.storage.user(PERSON.channel, PERSON.external_id)
    request = OpenCase({"topic": "language", "question": "Wo gibt es Kurse?"}, "de")
    case_id = await conversations.cases.open(user.id, request, "telegram:7")
    assert await conversations.cases.open(user.id, request, "telegram:7") == case_id
    assert await conversations.cases.open(user.id, request, "telegram:8") != case_id

    relay = RelayToCase(case_id, "Noch eine Frage")
    await conversations.cases.relay(relay, "telegram:9")
    await conversations.cases.relay(relay, "telegram:9")
    first = await conversations.cases.relay_to_user(case_id, "text", "Hallo", update_key="telegram:10")
    again = await conversations.cases.relay_to_user(case_id, "text", "Hallo", update_key="telegram:10")
    assert first is not None and again == first
    assert await count(conversations, Case) == 2
    async with conversations.storage.session() as session:
        kinds = list(await session.scalars(select(OutboxMessage.kind).order_by(OutboxMessage.id)))
    assert kinds == ["case_note", "case_note", "relay_to_staff", "relay_to_user"]
    assert await count(conversations, TranscriptMessage) == 2 + 2  # two questions, two relays
