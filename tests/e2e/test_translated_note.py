"""The case note of an intake done in Tigrinya, end to end: the real `lotse run` process with
TRANSLATION_ROUTES against the fake Bot API and the fake translation server (its LLM endpoint).
The note in the staff topic carries the question in Tigrinya and in German, marked as machine
translation with the language pair; the translation server got the question's text and nothing
of the person (no name, no ids)."""
from __future__ import annotations

from pathlib import Path

from bot.core.content.model import Content
from tests.e2e.test_staff import STAFF, case_topic, intake, patient, plain, staff_bot
from tests.fake_bot_api import FakeBotApi
from tests.fake_translation import FakeTranslation

QUESTION = "ኣብ ከተማና ናይ ጀርመንኛ ኮርስ ኣበይ ይርከብ?"
GERMAN = "Wo finde ich in unserer Stadt einen Deutschkurs?"


async def test_the_note_of_a_tigrinya_intake_has_the_question_in_german(
        fake_api: FakeBotApi, tmp_path: Path, content: Content) -> None:
    api = patient(fake_api)
    selam = api.user(1002, "Selam", last_name="Tesfay", language_code="ti")
    lena = api.user(7001, "Lena")
    group = api.group(STAFF, "Beratung", members=[lena])
    async with FakeTranslation() as translation:
        translation.translate = lambda text, source, target: GERMAN
        async with staff_bot(api, tmp_path, TRANSLATION_ROUTES="llm: ti",
                             TRANSLATION_LLM_URL=translation.base + "/v1",
                             TRANSLATION_LLM_MODEL=translation.llm_model):
            await intake(api, selam, content, "ti", QUESTION)
            _, note = await case_topic(api, group, 1)
    text = plain(note.text)
    assert f"Anliegen (Originaltext, Tigrinya):\n{QUESTION}" in text
    assert f"Anliegen auf Deutsch (maschinelle Übersetzung Tigrinya → Deutsch):\n{GERMAN}" in text
    [(path, body)] = translation.requests
    assert path == "/v1/chat/completions" and QUESTION in body["messages"][1]["content"]
    for personal in ("Selam", "Tesfay", "1002", "#1"):
        assert personal not in repr(body), personal
