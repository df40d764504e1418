"""The case note of an intake done in Tigrinya, with a translator over the fake LLM server: the
question in Tigrinya and in German, marked as machine translation with the language pair, the
note valid Telegram HTML; only the question's text goes to the provider. A provider that fails
leaves the original, marked "nicht übersetzt"; none configured leaves the note as before; /delete
erases the translation with the question."""
from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select

from bot.core import telegram_html
from bot.core.content.model import Content
from bot.core.events import Command
from bot.handoff.records import Counsellor
from bot.services.conversation import Conversations, Person
from bot.storage.models import Case
from bot.storage.repository import Storage
from tests.fake_translation import FakeTranslation
from tests.test_erasure import choose, everything_stored, full_intake
from tests.translation.conftest import MakeTranslator

QUESTION = "ኣብ ከተማና ናይ ጀርመንኛ ኮርስ ኣበይ ይርከብ? <ብቕልጡፍ> & ሕጂ"
"""With the characters Telegram HTML must have escaped, in the original and in the German."""
GERMAN = "Wo gibt es in unserer Stadt einen Deutschkurs? <schnell> & jetzt"
NAME = "Selam"
PHONE = "0151 23456789"
PERSON = Person("telegram", "4242")


async def intake_in_tigrinya(conversations: Conversations, person: Person = PERSON) -> Case:
    """Consent, a full intake in Tigrinya with a call back, Send: the case it opened."""
    await full_intake(conversations, person, "ti", ("language", "asylum", "a1"), QUESTION, PHONE,
                      NAME)
    user = await conversations.storage.user(person.channel, person.external_id)
    async with conversations.storage.session() as session:
        return (await session.scalars(select(Case).where(Case.user_id == user.id))).one()


@pytest.fixture
def translated_by(storage: Storage, shipped_content: Content) -> Callable[..., Conversations]:
    """The conversation service with this translator (None: none configured)."""
    return lambda translator: Conversations(storage, lambda: shipped_content,
                                            translator=translator)


def german(text: str, source: str, target: str) -> str:
    """The fake LLM's German for the question: it came escaped and translated as HTML, so its
    `<`, `>` and `&` are placeholders, which the German keeps."""
    assert source.startswith("Tigrinya") and target == "German", (source, target)
    assert text.endswith('<x i="1"/>ብቕልጡፍ<x i="2"/> <x i="3"/> ሕጂ'), text
    return ('Wo gibt es in unserer Stadt einen Deutschkurs? <x i="1"/>schnell<x i="2"/> '
            '<x i="3"/> jetzt')


def after(note_html: str, heading: str) -> str:
    """The blockquote under the line that starts with `heading`, as the counsellor reads it."""
    lines = note_html.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith(heading))
    return telegram_html.parse(lines[at + 1])


async def test_the_note_has_the_question_in_tigrinya_and_in_german(
        fake: FakeTranslation, make_translator: MakeTranslator,
        translated_by: Callable[..., Conversations]) -> None:
    fake.translate = german
    conversations = translated_by(make_translator({"ti": "llm"}))
    case = await intake_in_tigrinya(conversations)

    for text in (case.note, await claimed(conversations, case.id)):  # a claim keeps it
        assert telegram_html.problem(text) is None
        assert "<b>Anliegen</b> (Originaltext, Tigrinya):" in text
        assert after(text, "<b>Anliegen</b>") == QUESTION
        assert "<b>Anliegen auf Deutsch</b> (maschinelle Übersetzung Tigrinya → Deutsch):" in text
        assert after(text, "<b>Anliegen auf Deutsch</b>") == GERMAN
    # the provider got the question's text with the language pair, and nothing else of the case
    [(path, body)] = fake.requests
    assert path == "/v1/chat/completions"
    sent = repr(body)
    assert "ጀርመንኛ ኮርስ" in sent and "Tigrinya" in sent
    for personal in (NAME, PHONE, "4915123456789", PERSON.external_id, f"#{case.id}", "asylum"):
        assert personal not in sent, personal


async def claimed(conversations: Conversations, case_id: int) -> str:
    """The note after a counsellor claimed the case (written afresh from the case row)."""
    await conversations.claim(case_id, Counsellor(7001, "Lena"))
    async with conversations.storage.session() as session:
        return (await session.get_one(Case, case_id)).note


async def test_a_failed_translation_leaves_the_original_marked(
        fake: FakeTranslation, make_translator: MakeTranslator,
        translated_by: Callable[..., Conversations]) -> None:
    fake.fail_next(2, 500)
    case = await intake_in_tigrinya(translated_by(make_translator({"ti": "llm"}, retries=1)))
    assert len(fake.requests) == 2  # the provider was asked, and tried again
    assert "<b>Anliegen</b> (Originaltext, Tigrinya; nicht übersetzt):" in case.note
    assert after(case.note, "<b>Anliegen</b>") == QUESTION
    assert "Anliegen auf Deutsch" not in case.note


async def test_without_a_translator_or_a_route_the_note_is_as_before(
        fake: FakeTranslation, make_translator: MakeTranslator,
        translated_by: Callable[..., Conversations]) -> None:
    plain = await intake_in_tigrinya(translated_by(None))
    unrouted = await intake_in_tigrinya(translated_by(make_translator({"ar": "llm"})),
                                        Person("telegram", "4343"))
    assert fake.requests == []
    for case in (plain, unrouted):
        assert "<b>Anliegen</b> (Originaltext, Tigrinya):" in case.note
        assert "Übersetzung" not in case.note and "nicht übersetzt" not in case.note
        assert case.translations is None


async def test_delete_erases_the_translation_with_the_question(
        fake: FakeTranslation, make_translator: MakeTranslator,
        translated_by: Callable[..., Conversations]) -> None:
    fake.translate = german
    conversations = translated_by(make_translator({"ti": "llm"}))
    await intake_in_tigrinya(conversations)
    assert "Deutschkurs" in await everything_stored(conversations.storage)  # the test can fail
    await conversations.handle(PERSON, Command("delete"))
    await choose(conversations, PERSON, "erase")
    assert "Deutschkurs" not in await everything_stored(conversations.storage)
