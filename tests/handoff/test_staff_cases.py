"""The counsellors' side in the database: claim, takeover, close, internal notes, relay, canned
replies and the queue, each with its outbox rows; and what the person is told (through the engine,
in their language) when a counsellor claims or closes their case. A real, migrated SQLite file."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.core import bidi
from bot.core.content.model import Content
from bot.core.events import OpenCase
from bot.core.state import State
from bot.handoff.cases import Counsellor
from bot.services.conversation import Conversations, Person
from bot.storage.models import Case, OutboxMessage, TranscriptMessage
from bot.storage.repository import Storage

REPO = Path(__file__).resolve().parents[2]
LENA = Counsellor(7001, "Lena")
JONAS = Counsellor(7002, "Jonas")
AMIRA = Person("telegram", "1001")


@pytest.fixture
def woken() -> list[int]:
    return []


@pytest.fixture
def conversations(storage: Storage, content: Content, woken: list[int]) -> Conversations:
    return Conversations(storage, lambda: content, on_case_change=lambda: woken.append(1))


async def open_case(conversations: Conversations, person: Person = AMIRA, locale: str = "ar",
                    topic: str = "language") -> int:
    """A case as intake leaves it: the case row and the person's state pointing at it."""
    storage = conversations.storage
    user = await storage.user(person.channel, person.external_id)
    await storage.set_locale(user.id, locale)
    await storage.set_consent(user.id, dt.datetime.now(dt.UTC))
    case_id = await conversations.cases.open(user.id, OpenCase(
        {"topic": topic, "question": "أين أجد دورة لغة؟", "contact_preference": "chat"},
        locale))
    await storage.save_state(user.id, State(locale=locale, case=case_id).to_json(), None)
    return case_id


async def rows(storage: Storage, kind: str | None = None) -> list[OutboxMessage]:
    async with storage.session() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if kind:
            query = query.where(OutboxMessage.kind == kind)
        return list(await session.scalars(query))


async def case_row(storage: Storage, case_id: int) -> Case:
    async with storage.session() as session:
        return await session.get_one(Case, case_id)


async def state_of(storage: Storage, person: Person) -> dict[str, Any]:
    user = await storage.user(person.channel, person.external_id)
    data = await storage.load_state(user.id)
    assert data is not None
    return data


async def test_claim_marks_the_case_rerenders_the_note_and_tells_the_person(
        conversations: Conversations, storage: Storage, content: Content,
        woken: list[int]) -> None:
    case_id = await open_case(conversations)
    result = await conversations.claim(case_id, LENA)
    assert (result.result, result.changed) == ("claimed", True)
    case = await case_row(storage, case_id)
    assert (case.status, case.claimed_by_id, case.claimed_by_name) == ("claimed", 7001, "Lena")
    assert case.claimed_at is not None
    assert "in Bearbeitung" in case.note and "Übernommen von: Lena" in case.note
    assert [r.kind for r in await rows(storage)][1:] == [
        "case_update", "reply_to_user", "staff_notice"]
    assert (await rows(storage))[-1].payload == {"text": "Übernommen von Lena."}
    assert all(r.case_id == case_id for r in await rows(storage))

    [told] = await rows(storage, "reply_to_user")
    assert f"#{case_id}" in told.payload["text"] and "Lena" not in told.payload["text"]
    t = content.ui.get("ar")
    expected = t.gettext("A counsellor has taken your case #{number} and will write to you here.")
    assert expected.split("{number}")[0].strip() in told.payload["text"]
    assert (await state_of(storage, AMIRA))["case_claimed"] is True
    assert woken  # the worker was told something waits


async def test_a_held_case_moves_only_by_an_explicit_takeover(
        conversations: Conversations, storage: Storage) -> None:
    case_id = await open_case(conversations)
    await conversations.cases.claim(case_id, LENA)
    before = len(await rows(storage))
    held = await conversations.cases.claim(case_id, JONAS)
    assert (held.result, held.holder, held.changed) == ("held", "Lena", False)
    assert len(await rows(storage)) == before  # nothing changed, nothing to deliver
    assert (await conversations.cases.claim(case_id, LENA)).result == "yours"

    moved = await conversations.cases.claim(case_id, JONAS, takeover=True)
    assert (moved.result, moved.holder) == ("taken_over", "Lena")
    case = await case_row(storage, case_id)
    assert (case.claimed_by_id, case.claimed_by_name) == (7002, "Jonas")
    notices = [r.payload["text"] for r in await rows(storage, "staff_notice")]
    assert notices[-1] == "Übernommen von Jonas (vorher bei Lena)."


async def test_close_records_the_outcome_and_the_person_gets_the_rating(
        conversations: Conversations, storage: Storage, content: Content) -> None:
    case_id = await open_case(conversations, locale="uk")
    await conversations.claim(case_id, LENA)
    assert await conversations.close(case_id, LENA, "referred") is True
    case = await case_row(storage, case_id)
    assert (case.status, case.outcome) == ("closed", "referred") and case.closed_at
    assert "Ergebnis: weitervermittelt" in case.note and "geschlossen" in case.note
    assert [r.kind for r in await rows(storage)][-3:] == [
        "case_update", "reply_to_user", "staff_notice"]
    assert (await rows(storage))[-1].payload == {"text": "Geschlossen von Lena: weitervermittelt."}
    assert await conversations.cases.close(case_id, JONAS, "answered") is False  # once only
    assert (await conversations.cases.claim(case_id, JONAS)).result == "closed"
    with pytest.raises(ValueError):
        await conversations.cases.close(case_id, LENA, "lost")

    [_, told] = await rows(storage, "reply_to_user")
    t = content.ui.get("uk")
    assert t.gettext("Did we help you?") in told.payload["text"]
    labels = [b["label"] for row in told.payload["buttons"] for b in row]
    assert any(t.gettext("It helped") in label for label in labels) and len(labels) == 4
    assert all("choice" in b for row in told.payload["buttons"] for b in row)
    state = await state_of(storage, Person("telegram", "1001"))
    assert state["case"] is None and state["case_claimed"] is False


async def test_a_note_stays_internal(conversations: Conversations, storage: Storage) -> None:
    case_id = await open_case(conversations)
    transcript_id = await conversations.cases.add_note(case_id, LENA, "Ruft morgen an <b>")
    async with storage.session() as session:
        note = await session.get_one(TranscriptMessage, transcript_id)
    assert (note.direction, note.text) == ("note", "Ruft morgen an <b>")
    kinds = [r.kind for r in await rows(storage)]
    assert kinds == ["case_note", "staff_notice"]
    assert (await rows(storage))[-1].payload == {"text": "📝 Interne Notiz gespeichert."}
    assert await conversations.cases.add_note(999, LENA, "x") is None


async def test_relay_to_the_person_text_and_photo_until_the_case_is_closed(
        conversations: Conversations, storage: Storage) -> None:
    case_id = await open_case(conversations)
    first = await conversations.cases.relay_to_user(case_id, "text", "Guten Tag!")
    photo = await conversations.cases.relay_to_user(case_id, "photo", "Formular", "FILE-1")
    relays = await rows(storage, "relay_to_user")
    assert [r.payload for r in relays] == [{"message": first}, {"message": photo}]
    assert len({r.dedupe_key for r in relays}) == 2
    async with storage.session() as session:
        sent = await session.get_one(TranscriptMessage, photo)
    assert (sent.direction, sent.kind, sent.text, sent.file_id) == (
        "counsellor", "photo", "Formular", "FILE-1")
    await conversations.cases.close(case_id, LENA, "answered")
    assert await conversations.cases.relay_to_user(case_id, "text", "Noch was") is None


async def test_a_canned_reply_in_the_persons_language_with_placeholders_filled_and_marked_rtl(
        conversations: Conversations, storage: Storage, content: Content) -> None:
    case_id = await open_case(conversations, locale="ar")
    sent = await conversations.cases.canned(case_id, "appointment")
    assert sent is not None and sent.title == "Termin anbieten"
    [reply] = await rows(storage, "reply_to_user")
    expected = content.canned_replies["appointment"].text["ar"].replace(
        "{phone}", content.organisation.phone or "")
    phone = content.organisation.phone or ""
    assert phone and reply.payload == {"text": bidi.for_rtl(expected), "kind": "answer",
                                       "buttons": []}
    assert reply.payload["text"].startswith(bidi.RLM)  # as the engine's replies in Arabic
    assert f"{bidi.LRI}{phone}{bidi.PDI}" in reply.payload["text"]  # the digits keep their order
    assert "{phone}" not in reply.payload["text"]
    assert (await rows(storage, "staff_notice"))[-1].payload == {
        "text": "📋 Textbaustein gesendet: Termin anbieten"}
    async with storage.session() as session:
        message = await session.get_one(TranscriptMessage, sent.transcript_id)
    assert (message.direction, message.text) == ("counsellor", expected)
    assert await conversations.cases.canned(case_id, "no-such-reply") is None


async def test_a_number_no_case_can_have_is_no_case(conversations: Conversations) -> None:
    """A button's data may carry any number; asking the database for one that does not fit its
    ids fails (OverflowError on SQLite past 64 bits, a DataError on PostgreSQL past 32)."""
    case_id = await open_case(conversations)
    assert (await conversations.cases.get(case_id)) is not None
    for number in (0, -1, 2**31, 2**63, 10**20):
        assert await conversations.cases.get(number) is None, number


async def test_every_canned_reply_is_in_every_language(content: Content) -> None:
    for name, reply in content.canned_replies.items():
        assert set(reply.text) == set(content.languages.languages), name


async def test_the_queue_lists_unclaimed_open_cases_oldest_first(
        conversations: Conversations) -> None:
    first = await open_case(conversations, Person("telegram", "1"))
    second = await open_case(conversations, Person("telegram", "2"))
    third = await open_case(conversations, Person("telegram", "3"))
    fourth = await open_case(conversations, Person("telegram", "4"))
    await conversations.cases.claim(second, LENA)
    await conversations.cases.close(fourth, LENA, "no_reply")
    assert [c.id for c in await conversations.cases.queue()] == [first, third]


async def test_names_are_escaped_and_unknown_people_get_nothing(
        conversations: Conversations, storage: Storage) -> None:
    case_id = await open_case(conversations)
    await conversations.cases.claim(case_id, Counsellor(1, "<Ann & Bo>"))
    assert (await rows(storage, "staff_notice"))[-1].payload["text"] == \
        "Übernommen von &lt;Ann &amp; Bo&gt;."
    assert "&lt;Ann &amp; Bo&gt;" in (await case_row(storage, case_id)).note
    assert await conversations.cases.claim(404, LENA) is not None
    assert (await conversations.cases.claim(404, LENA)).result == "missing"


async def test_a_person_who_deleted_their_data_is_told_nothing(
        conversations: Conversations, storage: Storage) -> None:
    case_id = await open_case(conversations)
    user = await storage.user(AMIRA.channel, AMIRA.external_id)
    await conversations.cases.erase(user.id)
    assert await conversations.close(case_id, LENA, "answered") is False  # erased cases close
    assert await rows(storage, "reply_to_user") == []


async def test_the_same_update_again_finds_its_claim_and_close_done_and_answers_the_same(
        conversations: Conversations, storage: Storage) -> None:
    """A press delivered again after a crash: nothing is written twice, the answer is the
    first one's (not "you hold it already"), and the person's state learns of the change
    even when the crash came between the change's commit and the state's save."""
    case_id = await open_case(conversations)
    first = await conversations.claim(case_id, LENA, update_key="telegram:7")
    written = len(await rows(storage))
    again = await conversations.claim(case_id, LENA, update_key="telegram:7")
    assert (first.result, again.result, again.again) == ("claimed", "claimed", True)
    assert len(await rows(storage)) == written
    assert (await conversations.claim(case_id, LENA, update_key="telegram:8")).result == "yours"

    other = await open_case(conversations, Person("telegram", "1002"))
    await conversations.cases.claim(other, LENA, update_key="telegram:9")  # crash: state unsaved
    assert (await state_of(storage, Person("telegram", "1002")))["case_claimed"] is False
    assert (await conversations.claim(other, LENA, update_key="telegram:9")).result == "claimed"
    assert (await state_of(storage, Person("telegram", "1002")))["case_claimed"] is True

    assert await conversations.close(case_id, LENA, "answered", "telegram:10") is True
    written = len(await rows(storage))
    assert await conversations.close(case_id, LENA, "answered", "telegram:10") is True
    assert len(await rows(storage)) == written
    assert await conversations.close(case_id, LENA, "answered", "telegram:11") is False
    assert (await state_of(storage, AMIRA))["case"] is None
    assert len([r for r in await rows(storage, "reply_to_user") if r.case_id == case_id]) == 2


async def test_the_same_update_again_sends_a_canned_reply_or_keeps_a_note_once(
        conversations: Conversations, storage: Storage) -> None:
    case_id = await open_case(conversations)
    sent = await conversations.cases.canned(case_id, "appointment", "telegram:7")
    assert await conversations.cases.canned(case_id, "appointment", "telegram:7") == sent
    assert len(await rows(storage, "reply_to_user")) == 1
    note = await conversations.cases.add_note(case_id, LENA, "Ruft an", "telegram:8")
    assert await conversations.cases.add_note(case_id, LENA, "Ruft an", "telegram:8") == note
    assert len(await rows(storage, "staff_notice")) == 2
    async with storage.session() as session:
        transcript = await session.scalars(select(TranscriptMessage.direction)
                                           .where(TranscriptMessage.case_id == case_id))
        assert sorted(transcript) == ["counsellor", "note", "user"]


async def test_the_same_update_again_opens_no_second_case_and_logs_the_first_only(
        conversations: Conversations, storage: Storage,
        caplog: pytest.LogCaptureFixture) -> None:
    user = await storage.user(AMIRA.channel, AMIRA.external_id)
    request = OpenCase({"topic": "language", "contact_preference": "chat"}, "ar")
    with caplog.at_level("INFO", logger="bot.handoff.cases"):
        first = await conversations.cases.open(user.id, request, "telegram:5")
        assert await conversations.cases.open(user.id, request, "telegram:5") == first
    assert [r.getMessage() for r in caplog.records].count(
        f"case opened case={first} user={user.id}") == 1
