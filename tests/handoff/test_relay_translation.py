"""Machine translation of the relayed chat in the database (`bot.handoff.relay_translation`):
what a relay stores with its transcript message, against the fake translation server speaking
LibreTranslate's protocol, on a real migrated database; and what the outbox hands the channels.
The whole way through Telegram is tests/e2e/test_translation.py."""
from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from bot.core.content.model import Content
from bot.core.events import RelayToCase
from bot.handoff import relay_translation
from bot.handoff.deliveries import Deliveries
from bot.handoff.delivery import Relayed
from bot.services.conversation import Conversations, Person
from bot.storage.models import TranscriptMessage
from bot.storage.outbox_rows import OutboxRows
from bot.storage.repository import Storage
from bot.translation.providers.libretranslate import LibreTranslate
from bot.translation.translator import Translator
from tests.fake_translation import FakeTranslation
from tests.handoff.fake_delivery import FakePeople, FakeStaff
from tests.handoff.test_staff_cases import AMIRA, LENA, open_case, rows


@pytest.fixture
async def fake() -> AsyncIterator[FakeTranslation]:
    async with FakeTranslation() as server:
        yield server


@pytest.fixture
async def conversations(storage: Storage, content: Content,
                        fake: FakeTranslation) -> AsyncIterator[Conversations]:
    translator = Translator({"ar": LibreTranslate(fake.base)}, backoff=0.0, timeout=2.0,
                            retries=1, glossary=lambda: content.glossary)
    yield Conversations(storage, lambda: content, translator=translator)
    await translator.close()


async def transcript(storage: Storage) -> list[tuple[Any, ...]]:
    async with storage.session() as session:
        found = await session.execute(
            select(TranscriptMessage.direction, TranscriptMessage.text,
                   TranscriptMessage.translation, TranscriptMessage.translation_state)
            .order_by(TranscriptMessage.id))
        return [tuple(row) for row in found]


async def test_both_directions_are_stored_translated_with_what_must_survive_and_valid_html(
        conversations: Conversations, storage: Storage, fake: FakeTranslation) -> None:
    case_id = await open_case(conversations)
    said = "اتصلوا <بي> & على +49 30 1234567، https://example.org/a?b=1&c=2، § 60c AufenthG"
    await conversations.cases.relay(RelayToCase(case_id, said))
    await conversations.cases.relay_to_user(case_id, "text", "Bitte zum Jobcenter gehen.")
    [_, person, counsellor] = await transcript(storage)
    assert person[:2] == ("user", said) and person[3] == "translated"
    assert person[2].startswith("[DE] ")
    for kept in ("&lt;", "&gt;", "&amp;", "+49 30 1234567", "https://example.org/a?b=1&amp;c=2",
                 "§ 60c AufenthG"):
        assert kept in person[2]
    assert counsellor[3] == "translated" and counsellor[2].startswith("[AR] BITTE ZUM Jobcenter")
    # the provider got the escaped text with the kept pieces as placeholders, never the pieces
    libre = [body for path, body in fake.requests if path == "/translate"]
    assert [(b["source"], b["target"], b["format"]) for b in libre] == [("ar", "de", "html"),
                                                                      ("de", "ar", "html")]
    assert "+49" not in libre[0]["q"] and "AufenthG" not in libre[0]["q"]


async def test_orig_translation_off_and_canned_replies_are_never_machine_translated(
        conversations: Conversations, storage: Storage, fake: FakeTranslation) -> None:
    case_id = await open_case(conversations)
    await conversations.cases.relay_to_user(case_id, "text", "Herr Meier", untranslated=True)
    assert await conversations.cases.canned(case_id, "appointment") is not None
    assert await conversations.cases.set_translation(case_id, on=False)
    await conversations.cases.relay(RelayToCase(case_id, "شكراً"))
    await conversations.cases.relay_to_user(case_id, "text", "Gern geschehen.")
    assert await conversations.cases.set_translation(case_id, on=True)
    await conversations.cases.relay_to_user(case_id, "text", "Bis bald.")
    states = [(row[0], row[3]) for row in (await transcript(storage))[1:]]
    assert states == [("counsellor", "kept"), ("counsellor", None), ("user", "kept"),
                      ("counsellor", "kept"), ("counsellor", "translated")]
    assert len(fake.requests) == 1  # only "Bis bald."
    assert not await conversations.cases.set_translation(999, on=False)


@pytest.mark.parametrize("fault", ["stall", "500"])
async def test_a_failing_provider_stores_the_reason_and_tells_the_counsellor(
        conversations: Conversations, storage: Storage, fake: FakeTranslation,
        fault: str) -> None:
    case_id = await open_case(conversations)
    for _ in range(2):  # the try and its retry
        fake.stall_next() if fault == "stall" else fake.fail_next(status=500)
    await conversations.cases.relay_to_user(case_id, "text", "Guten Tag")
    [_, sent] = await transcript(storage)
    assert sent == ("counsellor", "Guten Tag", None,
                    "timeout" if fault == "stall" else "server_error")
    notices = [r.payload["text"] for r in await rows(storage, "staff_notice")]
    assert notices == [relay_translation.SENT_UNTRANSLATED]


async def test_the_outbox_hands_the_channels_the_marked_translation_and_the_original_button(
        conversations: Conversations, storage: Storage, content: Content,
        fake: FakeTranslation) -> None:
    case_id = await open_case(conversations)
    await conversations.claim(case_id, LENA)
    await conversations.cases.relay(RelayToCase(case_id, "مرحبا"))
    message_id = await conversations.cases.relay_to_user(case_id, "text", "Hallo")
    fake.fail_next(2, status=500)
    await conversations.cases.relay_to_user(case_id, "text", "Tschüss")
    people, staff = FakePeople(), FakeStaff()
    deliveries = Deliveries(OutboxRows(storage), lambda: content, people, staff,
                            conversations.cases.clock)
    for row in await OutboxRows(storage).waiting([frozenset({"case_note", "relay_to_staff",
                                                            "relay_to_user"})]):
        await deliveries.deliver(row)
    [(_, to_staff)] = [what for name, what in staff.calls if name == "relay"]
    assert isinstance(to_staff, Relayed) and to_staff.translated is not None
    assert to_staff.translated.label == "🌐 Maschinell übersetzt (ar → de)"
    assert to_staff.translated.text == "[DE] مرحبا"
    t = content.ui.get("ar")
    translated, failed = [what for _, what in people.sent if isinstance(what, Relayed)]
    assert translated.translated is not None and translated.translated.original == (
        t.gettext(relay_translation.SHOW_ORIGINAL), message_id)
    assert failed.translated is not None and failed.translated.text is None
    assert t.gettext(relay_translation.NOT_TRANSLATED) in failed.translated.label
    original = await conversations.original(AMIRA, message_id or 0)
    assert original.endswith("\n\nHallo")
    gone = t.gettext(relay_translation.GONE)
    assert await conversations.original(AMIRA, 999) == gone
    someone = Person("telegram", "1002")  # a forged press for Amira's message: nothing shown
    await conversations.storage.set_locale(
        (await conversations.storage.user("telegram", "1002")).id, "ar")
    assert await conversations.original(someone, message_id or 0) == gone

