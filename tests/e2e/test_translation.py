"""Machine translation of the chat end to end: the real `lotse run` process against the fake Bot
API and the fake translation server (tests/fake_translation.py), in each provider's real
protocol. An Arabic person and a German counsellor write both ways: the topic shows the original
with the German beneath, marked; the person gets the translation with a note and the German
original on request; a URL, a phone number and "§ 60c AufenthG" come through unchanged, and so
does Telegram's HTML. A provider timing out or answering 500 lets the original through, marked,
in order and once; `/delete` erases originals and translations. The counsellor's `/orig` and
`/translation off|on`, and a photo's caption."""
from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from babel.support import NullTranslations

from bot.core.content.model import Content
from bot.handoff import relay_translation
from tests.e2e.test_staff import (
    STAFF,
    all_calls_accepted,
    case_topic,
    db,
    intake,
    patient,
    plain,
    press_when,
    staff_bot,
)
from tests.fake_bot_api import FakeBotApi
from tests.fake_bot_api.actors import FakeGroup, FakeUser
from tests.fake_translation import FakeTranslation

KEPT = ("+49 30 1234567", "https://example.org/kurs?a=1&b=2", "§ 60c AufenthG")
ASKED = ("هل يمكنني الاتصال بكم على +49 30 1234567 بخصوص https://example.org/kurs?a=1&b=2 و "
         "§ 60c AufenthG؟ Quokka <b>")
LABEL = "🌐 Maschinell übersetzt (ar → de)"


@pytest.fixture
async def fake() -> AsyncIterator[FakeTranslation]:
    async with FakeTranslation() as server:
        yield server


@dataclass
class Chat:
    """Amira writes Arabic; Lena counsels in the staff group."""

    api: FakeBotApi
    amira: FakeUser
    lena: FakeUser
    group: FakeGroup
    t: NullTranslations


def chat(fake_api: FakeBotApi, content: Content) -> Chat:
    api = patient(fake_api)
    lena = api.user(7001, "Lena")
    return Chat(api, api.user(1001, "Amira", language_code="ar"), lena,
                api.group(STAFF, "Beratung", members=[lena]), content.ui.get("ar"))


@asynccontextmanager
async def arabic_case(c: Chat, folder: Path, content: Content,
                      settings: dict[str, str]) -> AsyncIterator[int]:
    """The bot running with `settings`, and Amira's case open: its topic."""
    async with staff_bot(c.api, folder, **settings):
        await intake(c.api, c.amira, content, "ar", "أين أجد دورة لغة قريبة؟")
        thread, _ = await case_topic(c.api, c.group, 1)
        yield thread


def routed(fake: FakeTranslation, provider: str) -> dict[str, str]:
    """The settings that route Arabic to `provider` on the fake."""
    servers = {"llm": {"TRANSLATION_LLM_URL": fake.base + "/v1",
                       "TRANSLATION_LLM_MODEL": fake.llm_model},
               "libretranslate": {"TRANSLATION_LIBRETRANSLATE_URL": fake.base},
               "deepl": {"TRANSLATION_DEEPL_API_KEY": fake.deepl_key,
                         "TRANSLATION_DEEPL_URL": fake.base}}
    return {"TRANSLATION_ROUTES": f"{provider}: ar", "TRANSLATION_TIMEOUT": "2",
            "TRANSLATION_RETRIES": "1", **servers[provider]}


@pytest.mark.parametrize("provider", ["llm", "libretranslate", "deepl"])
async def test_an_arabic_person_and_a_german_counsellor_talk_both_ways(
        fake_api: FakeBotApi, fake: FakeTranslation, tmp_path: Path, content: Content,
        provider: str) -> None:
    c = chat(fake_api, content)
    api, amira, lena, group, t = c.api, c.amira, c.lena, c.group, c.t
    async with arabic_case(c, tmp_path, content, routed(fake, provider)) as thread:

        # person → topic: the original, the German beneath, marked with the language pair
        await amira.send(ASKED)
        shown = await api.wait_for(group, lambda m: LABEL in (m.text or ""), thread_id=thread)
        original, translation = plain(shown.text).split(f"\n\n{LABEL}\n")
        assert original == "💬 " + ASKED
        assert re.match(r"\[(DE|GERMAN)\] ", translation) and "QUOKKA" in translation
        assert all(kept in translation for kept in KEPT)
        assert "<" in translation and ">" in translation  # "<b>" as text, not as a tag

        # counsellor → person: the translation, a note in Arabic, the German original on request
        said = "Rufen Sie bitte 0361 123456 an, wegen § 60c AufenthG & <Kurs>."
        await lena.send(said, chat=group, thread_id=thread)
        got = await api.wait_for(amira, lambda m: "RUFEN SIE" in plain(m.text))
        note = t.gettext(relay_translation.MACHINE_TRANSLATED)
        assert re.match(r"\[(AR|ARABIC)\] RUFEN SIE BITTE 0361 123456 AN", plain(got.text))
        assert plain(got.text).endswith(f"\n\n🌐 {note}")
        assert all(kept in plain(got.text) for kept in ("§ 60c AufenthG", "&", "<", "KURS"))
        button = t.gettext(relay_translation.SHOW_ORIGINAL)
        await press_when(api, amira, button)
        back = await api.wait_for(amira, lambda m: plain(m.text).endswith("\n\n" + said))
        assert plain(back.text).startswith(t.gettext(relay_translation.ORIGINAL))
        assert [path for path, _ in fake.requests].count(
            {"llm": "/v1/chat/completions", "libretranslate": "/translate",
             "deepl": "/v2/translate"}[provider]) == 2
    all_calls_accepted(api)


async def test_the_original_button_works_after_a_restart_and_until_delete(
        fake_api: FakeBotApi, fake: FakeTranslation, tmp_path: Path, content: Content) -> None:
    c = chat(fake_api, content)
    api, amira, lena, group, t = c.api, c.amira, c.lena, c.group, c.t
    settings = routed(fake, "libretranslate")
    async with arabic_case(c, tmp_path, content, settings) as thread:
        await amira.send("مرحبا Quokka")
        await api.wait_for(group, lambda m: LABEL in (m.text or ""), thread_id=thread)
        await lena.send("Hallo Wombat", chat=group, thread_id=thread)
        got = await api.wait_for(amira, lambda m: "WOMBAT" in plain(m.text))
    async with staff_bot(api, tmp_path, **settings):
        await amira.press(lambda b: plain(b.text) == t.gettext(relay_translation.SHOW_ORIGINAL),
                          got)
        await api.wait_for(amira, lambda m: plain(m.text).endswith("\n\nHallo Wombat"))
        await amira.send("/delete")
        await press_when(api, amira,
                         lambda s: s.endswith(t.gettext("Delete everything")))
        await api.wait_for(amira, lambda m: t.gettext(
            "Done: everything is deleted. If you write again, Lotse starts afresh.") in
            plain(m.text))
        await api.wait_until(lambda: all(topic.thread_id != thread for topic in api.topics(group)))
        await amira.press(lambda b: plain(b.text) == t.gettext(relay_translation.SHOW_ORIGINAL),
                          got)
        # the person's data and language are gone: the answer is in the default language
        gone = content.ui.get(content.languages.default_language).gettext(relay_translation.GONE)
        await api.wait_for(amira, lambda m: plain(m.text) == gone)
    assert db(tmp_path, "SELECT count(*) FROM transcript_messages") == [(0,)]
    stored = b"".join(path.read_bytes() for path in tmp_path.glob("lotse.sqlite3*"))
    for word in (b"Quokka", b"QUOKKA", b"Wombat", b"WOMBAT"):  # originals and translations
        assert word not in stored
    all_calls_accepted(api)


async def test_a_provider_timing_out_or_failing_lets_the_originals_through_marked_in_order_once(
        fake_api: FakeBotApi, fake: FakeTranslation, tmp_path: Path, content: Content) -> None:
    c = chat(fake_api, content)
    api, amira, lena, group, t = c.api, c.amira, c.lena, c.group, c.t
    async with arabic_case(c, tmp_path, content, routed(fake, "libretranslate")) as thread:

        fake.stall_next(2)  # the try and its retry: no answer within TRANSLATION_TIMEOUT
        await lena.send("Erstens", chat=group, thread_id=thread)
        fake.fail_next(2, status=500)
        await lena.send("Zweitens", chat=group, thread_id=thread)
        await lena.send("Drittens", chat=group, thread_id=thread)
        await api.wait_for(amira, lambda m: "DRITTENS" in plain(m.text))
        relayed = [plain(m.text) for m in api.messages(amira)
                   if any(w in plain(m.text).upper() for w in ("ERSTENS", "ZWEITENS",
                                                               "DRITTENS"))]
        marked = f"\n\n⚠️ {t.gettext(relay_translation.NOT_TRANSLATED)}"
        assert relayed == ["Erstens" + marked, "Zweitens" + marked,
                           "[AR] DRITTENS\n\n🌐 " + t.gettext(relay_translation.MACHINE_TRANSLATED)]
        told = [m for m in api.messages(group) if m.thread_id == thread and
                m.text == relay_translation.SENT_UNTRANSLATED]
        assert len(told) == 2

        fake.fail_next(2, status=500)
        await amira.send("شكرا Quokka")
        await amira.send("مرحبا")
        await api.wait_for(group, lambda m: "[DE] مرحبا" in (m.text or ""), thread_id=thread)
        shown = [plain(m.text) for m in api.messages(group) if m.thread_id == thread and
                 (m.text or "").startswith("💬")]
        assert shown == ["💬 شكرا Quokka\n\n⚠️ Nicht übersetzt (ar → de): der "
                         "Übersetzungsdienst hat nicht geantwortet",
                         f"💬 مرحبا\n\n{LABEL}\n[DE] مرحبا"]
    assert db(tmp_path, "SELECT translation_state FROM transcript_messages ORDER BY id") == [
        (None,), ("timeout",), ("server_error",), ("translated",), ("server_error",),
        ("translated",)]
    all_calls_accepted(api)


async def test_the_counsellor_sends_one_message_as_written_and_turns_translation_off_and_on(
        fake_api: FakeBotApi, fake: FakeTranslation, tmp_path: Path, content: Content) -> None:
    c = chat(fake_api, content)
    api, amira, lena, group = c.api, c.amira, c.lena, c.group
    async with arabic_case(c, tmp_path, content, routed(fake, "libretranslate")) as thread:
        await lena.send("/orig Herr Meier, Zimmer 12", chat=group, thread_id=thread)
        got = await api.wait_for(amira, lambda m: "Meier" in (m.text or ""))
        assert got.text == "Herr Meier, Zimmer 12" and not got.buttons

        await lena.send("/translation", chat=group, thread_id=thread)
        await api.wait_for(group, lambda m: (m.text or "").startswith("So geht es: /translation"),
                           thread_id=thread)
        await lena.send("/translation off", chat=group, thread_id=thread)
        await api.wait_for(group, lambda m: (m.text or "").startswith(
            "Maschinelle Übersetzung in diesem Fall aus"), thread_id=thread)
        await lena.send("Ohne Übersetzung", chat=group, thread_id=thread)
        got = await api.wait_for(amira, lambda m: "Ohne" in (m.text or ""))
        assert got.text == "Ohne Übersetzung" and not got.buttons
        await amira.send("مرحبا Quokka")
        shown = await api.wait_for(group, lambda m: "Quokka" in (m.text or ""),
                                   thread_id=thread)
        assert shown.text == "💬 مرحبا Quokka"

        await lena.send("/translation on", chat=group, thread_id=thread)
        await api.wait_for(group, lambda m: m.text == "🌐 Maschinelle Übersetzung in diesem "
                           "Fall an.", thread_id=thread)
        await lena.send("Wieder übersetzt", chat=group, thread_id=thread)
        await api.wait_for(amira, lambda m: "WIEDER" in plain(m.text))

        # a photo's caption: the photo as sent, its translation beneath with the button
        await lena.send_photo(caption="Das Formular", chat=group, thread_id=thread)
        beneath = await api.wait_for(amira, lambda m: "FORMULAR" in plain(m.text))
        photo = api.messages(amira)[-2]
        assert photo.kind == "photo" and photo.caption == "Das Formular"
        assert plain(beneath.text) == "[AR] DAS FORMULAR\n\n🌐 " + c.t.gettext(
            relay_translation.MACHINE_TRANSLATED)
        assert [plain(b.text) for row in beneath.buttons for b in row] == [
            c.t.gettext(relay_translation.SHOW_ORIGINAL)]
        assert [path for path, _ in fake.requests] == ["/translate", "/translate"]
    all_calls_accepted(api)
