"""The case note's German sentences: a vocabulary value inside one takes its sentence form; a
question's German translation is cut short where the note would not fit one message."""
from __future__ import annotations

import dataclasses
import datetime as dt

from bot.core import telegram_html
from bot.core.case_note import CaseFacts, note
from bot.core.content.model import Content
from bot.core.intake import MAX_QUESTION

CALL_BACK = {"topic": "work", "contact_preference": "phone", "phone": "+4915123456789"}


def contact_line(content: Content, **intake: str) -> str:
    facts = CaseFacts(number=1, created_at=dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC),
                      locale="de", intake={**CALL_BACK, **intake})
    return next(line for line in note(content, facts).splitlines() if "Kontakt" in line)


def test_the_preferred_time_reads_as_part_of_the_sentence(content: Content) -> None:
    assert contact_line(content, preferred_time="morning") == \
        "<b>Kontakt:</b> Rückruf unter +49 1512 3456789 am Vormittag"  # not "(Vormittags)"
    assert contact_line(content) == "<b>Kontakt:</b> Rückruf unter +49 1512 3456789"


def test_a_value_without_a_sentence_form_shows_its_label_in_brackets(content: Content) -> None:
    times = content.vocabularies["preferred_time"]
    bare = dataclasses.replace(content, vocabularies={
        **content.vocabularies, "preferred_time": times.model_copy(update={"sentence": {}})})
    assert contact_line(bare, preferred_time="morning").endswith("3456789 (Vormittags)")


def test_a_long_translation_is_cut_short_so_that_the_note_stays_one_message(
        content: Content) -> None:
    question = "ሕቶ " * (MAX_QUESTION // 3)  # the longest question intake takes
    facts = CaseFacts(number=1, created_at=dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC),
                      locale="ti", intake={"topic": "work", "question": question},
                      translations={"question": "Frage &amp; Antwort " * 300})
    text = note(content, facts)
    assert telegram_html.problem(text) is None
    assert telegram_html.length(text) == telegram_html.MESSAGE_LIMIT
    assert "Frage &amp; Antwort Frage" in text and "…</blockquote>" in text
