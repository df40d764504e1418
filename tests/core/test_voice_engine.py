"""Voice in the engine: 🔊 under answers and flow texts where a voice reads the person's language,
a press giving the text as a `Speech` (German office terms marked German), /voice, and a voice
note understood (`Spoken`): shown back, then handled as typed text, crises first."""
from __future__ import annotations

from dataclasses import replace

import pytest

from bot.core.content.model import Content
from bot.core.events import (
    Command,
    CrisisSignal,
    MediaKind,
    RelayToCase,
    Reply,
    Speech,
    Spoken,
    Unanswered,
)
from bot.core.speech import plain, speech
from bot.core.state import State
from test_engine import Chat

NO_VOICE = "There is no voice for your language yet."


@pytest.fixture
def voiced(content: Content) -> Content:
    return replace(content, voices=frozenset({"en", "de"}))


def spoken(replies: list[Reply]) -> list[Speech]:
    return [r.voice for r in replies if r.voice is not None]


def test_no_listen_button_where_no_voice_reads_the_language(content: Content) -> None:
    chat = Chat(content).start()
    chat.press("German courses")
    assert not any("Listen" in label for label in chat.labels)
    chat.send(Command("voice"))
    assert NO_VOICE in chat.text and not chat.state.voice
    assert "/voice" not in chat.send(Command("help")).text


def test_listen_reads_the_flow_text_and_keeps_the_buttons_live(voiced: Content) -> None:
    chat = Chat(voiced).start()
    chat.press("German courses")
    shown, screen = chat.labels, chat.state.screen
    assert shown[-1] == "🔊 Listen"
    chat.press("Listen")
    [voice] = spoken(chat.replies)
    assert voice.text == "What would you like to know about German courses?"
    assert voice.language == "en" and NO_VOICE in voice.unavailable
    assert chat.state.screen == screen  # the menu above still works
    assert Reply.from_json(Reply("", voice=voice).as_json()).voice == voice  # replay record


def test_voice_by_default_follows_each_answer_with_its_voice_note(voiced: Content) -> None:
    chat = Chat(voiced).start()
    assert "/voice answers read aloud, on or off" in chat.send(Command("help")).text
    chat.send(Command("voice"))
    assert chat.state.voice and "/voice turns it off" in chat.text
    chat.press("Menu")
    chat.press("German courses")
    assert chat.replies[-1].voice is not None and chat.replies[0].voice is None
    chat.send(Command("voice"))
    assert not chat.state.voice


def test_german_office_terms_are_read_in_german() -> None:
    said = speech("<b>Ask</b> the Ausländerbehörde or the jobcenters.\nhttps://example.org",
                  "en", "de", ["Ausländerbehörde", "Jobcenter"], "none")
    assert said.parts == (("Ask the ", "en"), ("Ausländerbehörde", "de"), (" or the ", "en"),
                          ("jobcenters", "de"), (".", "en"))
    assert speech("Das Jobcenter.", "de", "de", ["Jobcenter"], "").parts == \
        (("Das Jobcenter.", "de"),)
    assert plain("<b>Title</b>\n\nLine one\nLine two!") == "Title. Line one. Line two!"


def test_a_voice_note_understood_is_shown_back_then_answered_like_typed_text(
        content: Content) -> None:
    chat = Chat(content).start()
    chat.send(Spoken("what is an integration course"))
    assert chat.text.startswith("I understood: “what is an integration course”")
    assert "That is not what I said" in " ".join(chat.labels)
    typed = Chat(content).start().type("what is an integration course")
    assert chat.text.endswith(typed.text)
    chat.press("That is not what I said")
    assert "Please say it again, or write it." in chat.text


def test_a_voice_note_is_read_for_crises_first_and_its_text_is_not_kept(
        shipped_content: Content) -> None:
    chat = Chat(shipped_content).start()
    chat.send(Spoken("my neighbour speaks of domestic violence <b>"))
    assert any(isinstance(e, CrisisSignal) and e.kind == "violence" for e in chat.effects)
    assert "&lt;b&gt;" in chat.replies[0].text  # the transcript is escaped
    chat.send(Spoken("xyzzy banana"))
    assert not any(isinstance(e, Unanswered) for e in chat.effects)
    chat.send(Spoken(""))
    assert "I could not understand this voice message." in chat.text


def test_in_an_open_case_the_counsellor_gets_the_audio_and_the_transcript(
        content: Content) -> None:
    chat = Chat(content, State(locale="en", case=7))
    chat.send(Spoken("when is my appointment", ref="file-1"))
    assert RelayToCase(7, "when is my appointment", MediaKind.VOICE, "file-1") in chat.effects


def test_a_countys_recording_is_offered_and_sent_even_where_no_voice_reads(
        content: Content) -> None:
    entry = content.entries["course-costs"]
    english = entry.text["en"].model_copy(update={"audio": "faq/audio/costs.en.ogg"})
    recorded = replace(content, entries={**content.entries, entry.id: entry.model_copy(
        update={"text": {**entry.text, "en": english}})})
    chat = Chat(recorded).start()
    chat.type("how much does the integration course cost")
    chat.press("Listen")
    [voice] = spoken(chat.replies)
    assert voice.recording == "faq/audio/costs.en.ogg"
    assert voice.text == "How much does the course cost? The course costs 2.29 euros per lesson."
