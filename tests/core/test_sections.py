"""Answers that depend on the person's situation: an entry's sections shown by the facts a flow
asked, "Which is yours?" for a question asked in the person's own words, on the shipped content."""
from __future__ import annotations

import datetime as dt
from collections import deque

import pytest
from babel.support import NullTranslations

from bot.core import telegram_html, texts
from bot.core.case_note import CaseFacts, note
from bot.core.content import schema
from bot.core.content.model import Content
from bot.core.events import Answered, Choice, Start
from bot.core.state import Option, State
from test_engine import Chat

LANGUAGES = ("ar", "de", "en", "fa", "ku", "ps", "ru", "ti", "tr", "uk")
STATUSES = ("permit", "asylum", "duldung", "ukraine", "eu", "settled", "unknown")
SHOWN = {
    # (flow, residence status): the entry its first answer shows, and that entry's sections
    ("work", "asylum"): ("work-permit", ["asylum", "asylum, duldung"]),
    ("work", "duldung"): ("work-permit", ["duldung", "asylum, duldung"]),
    ("work", "permit"): ("work-permit", ["permit, ukraine", "permit, eu, settled, unknown"]),
    ("work", "ukraine"): ("job-search", []),
    ("work", "eu"): ("job-search", []),
    ("work", "settled"): ("job-search", []),
    ("work", "unknown"): ("work-permit", ["permit, eu, settled, unknown"]),
    ("language-courses", "asylum"): ("integration-course-access", [
        "asylum, duldung, ukraine, eu, settled, unknown", "asylum, duldung, unknown"]),
    ("language-courses", "duldung"): ("integration-course-access", [
        "asylum, duldung, ukraine, eu, settled, unknown", "asylum, duldung, unknown"]),
    ("language-courses", "permit"): ("integration-course-access", ["permit, settled, unknown"]),
    ("language-courses", "ukraine"): ("integration-course-access", [
        "asylum, duldung, ukraine, eu, settled, unknown"]),
    ("language-courses", "eu"): ("integration-course-access", [
        "asylum, duldung, ukraine, eu, settled, unknown"]),
    ("language-courses", "settled"): ("integration-course-access", [
        "permit, settled, unknown", "asylum, duldung, ukraine, eu, settled, unknown"]),
    ("language-courses", "unknown"): (None, []),  # to a counsellor
    ("training", "asylum"): ("vocational-training", []),
    ("training", "duldung"): ("training-residence", ["asylum, duldung, unknown",
                                                     "duldung, unknown"]),
    ("training", "permit"): ("vocational-training", []),
    ("training", "ukraine"): ("vocational-training", []),
    ("training", "eu"): ("vocational-training", []),
    ("training", "settled"): ("vocational-training", []),
    ("training", "unknown"): ("training-residence", ["asylum, duldung, unknown",
                                                     "duldung, unknown"]),
}
"""Written out, not derived from the content: a section moved to the wrong status fails."""
FOLLOWING = {
    # (flow, status, an entry a button of that first answer shows): the sections it shows
    ("work", "duldung", "training-residence"): ["asylum, duldung, unknown", "duldung, unknown"],
    ("training", "asylum", "training-residence"): ["asylum, duldung, unknown"],
    ("training", "duldung", "training-support"): ["duldung, eu, settled, unknown"],
    ("training", "permit", "training-support"): ["permit, ukraine, eu, settled, unknown"],
    ("language-courses", "permit", "integration-course-costs"): ["duldung, permit"],
    ("language-courses", "ukraine", "integration-course-costs"): ["default"],
}
COSTS = {"asylum": ["asylum"], "duldung": ["duldung, permit"], "permit": ["duldung, permit"],
         "ukraine": ["default"], "eu": ["default"], "settled": ["default"], "unknown": ["default"]}
"""The costs entry from the German-course menu, for a status told before."""


def walk_to_status(content: Content, lang: str, flow_id: str, status: str) -> Chat:
    """Open the flow by its deep link, press the buttons to its residence-status question and
    the status, labelled in `lang`."""
    chat = Chat(content).send(Start(flow_id, lang))
    flow = content.flows[flow_id]
    for label in _labels_to_ask(flow, lang, content):
        chat.press(label)
    assert chat.state.node is not None
    ask = flow.nodes[chat.state.node]
    assert isinstance(ask, schema.AskNode) and ask.field == "residence_status"
    return chat.press(content.vocabulary_label("residence_status", status, lang))


def _labels_to_ask(flow: schema.Flow, lang: str, content: Content) -> list[str]:
    """The labels of the buttons from the flow's start to its residence-status question."""
    todo: deque[tuple[str, list[str]]] = deque([(flow.start, [])])
    seen = set()
    while todo:
        node_id, labels = todo.popleft()
        node = flow.nodes[node_id]
        if isinstance(node, schema.AskNode) and node.field == "residence_status":
            return labels
        seen.add(node_id)
        for button in getattr(node, "buttons", []):
            if button.goto and button.goto not in seen:
                todo.append((button.goto, [*labels, content.pick(button.label, lang).text]))
    raise AssertionError(f"{flow.id} does not ask for the residence status")


def plain(html: str) -> str:
    return " ".join(telegram_html.parse(html).split())


def section_plain(content: Content, entry_id: str, lang: str, key: str) -> str:
    entry = content.entries[entry_id]
    shown = content.entry_lang(entry, lang)
    return plain(entry.text[shown].sections["residence_status"][key])


def assert_only_sections(content: Content, chat: Chat, entry_id: str, keys: list[str],
                         lang: str) -> None:
    """The answer shows the sections `keys` of the entry, and none of its other sections."""
    answered = [e for e in chat.effects if isinstance(e, Answered) and e.entry_id == entry_id]
    assert answered, (entry_id, chat.effects)
    assert [key for _, key in answered[0].sections] == keys
    text = " ".join(chat.text.split())
    sections = content.entries[entry_id].text["de"].sections.get("residence_status", {})
    for key in sections:
        piece = section_plain(content, entry_id, lang, key)
        assert (piece in text) == (key in keys), (lang, entry_id, key)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize(("flow_id", "status"), sorted(SHOWN))
def test_a_flow_shows_only_the_section_of_the_status_told(shipped_content: Content, lang: str,
                                                          flow_id: str, status: str) -> None:
    chat = walk_to_status(shipped_content, lang, flow_id, status)
    entry_id, keys = SHOWN[(flow_id, status)]
    if entry_id is None:
        assert chat.asked_consent and not any(isinstance(e, Answered) for e in chat.effects)
        return
    assert_only_sections(shipped_content, chat, entry_id, keys, lang)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize(("flow_id", "status", "entry_id"), sorted(FOLLOWING))
def test_a_button_under_the_answer_shows_the_section_of_the_status_told(
        shipped_content: Content, lang: str, flow_id: str, status: str, entry_id: str) -> None:
    chat = walk_to_status(shipped_content, lang, flow_id, status)
    title = shipped_content.entries[entry_id].text[lang].title
    node = shipped_content.flows[flow_id].nodes[chat.state.node or ""]
    button = next(b for b in getattr(node, "buttons", []) if b.faq == entry_id)
    chat.press(shipped_content.pick(button.label, lang).text)
    assert title in chat.text
    assert_only_sections(shipped_content, chat, entry_id, FOLLOWING[(flow_id, status, entry_id)],
                         lang)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("status", STATUSES)
def test_the_costs_from_the_menu_show_the_section_of_the_status_told(
        shipped_content: Content, lang: str, status: str) -> None:
    chat = walk_to_status(shipped_content, lang, "language-courses", status)
    chat.send(Start("language-courses", lang))
    start = shipped_content.flows["language-courses"].nodes["start"]
    button = next(b for b in getattr(start, "buttons", []) if b.faq == "integration-course-costs")
    chat.press(shipped_content.pick(button.label, lang).text)
    assert_only_sections(shipped_content, chat, "integration-course-costs", COSTS[status], lang)


def test_every_status_and_flow_is_in_the_table(shipped_content: Content) -> None:
    vocabulary = shipped_content.vocabularies["residence_status"]
    assert set(STATUSES) == set(vocabulary.values)
    assert {(flow, status) for flow in shipped_content.flows for status in STATUSES} == set(SHOWN)
    assert set(COSTS) == set(STATUSES)


def test_the_duldung_person_reads_the_duldung_rule_not_the_others(
        shipped_content: Content) -> None:
    chat = walk_to_status(shipped_content, "de", "work", "duldung")
    assert "§ 60b" in chat.text and "Duldung" in chat.text
    assert "In den ersten 3 Monaten" not in chat.text  # the asylum procedure's rule
    assert "§ 24" not in chat.text  # protection status and Ukraine


def test_own_words_show_the_common_part_and_which_is_yours(shipped_content: Content) -> None:
    chat = Chat(shipped_content).start(locale="uk").type("чи можу я працювати з duldung")
    answered = [e for e in chat.effects if isinstance(e, Answered)]
    assert [(e.entry_id, e.sections) for e in answered] == [("work-permit", ())]
    assert "§ 60b" not in chat.text and "§ 24" not in chat.text
    question = chat.text.index("Що з цього стосується Вас?")  # in the person's language
    assert question < chat.text.index(shipped_content.ui.get("uk").gettext(
        "This text was translated by a machine and may contain mistakes."))  # the note is last
    labels = [shipped_content.vocabulary_label("residence_status", value, "uk")
              for value in STATUSES]
    assert [label for label in chat.labels if label in labels] == labels
    chat.press(shipped_content.vocabulary_label("residence_status", "duldung", "uk"))
    assert chat.state.fields["residence_status"] == "duldung"
    assert_only_sections(shipped_content, chat, "work-permit", ["duldung", "asylum, duldung"],
                         "uk")
    assert [e.chosen for e in chat.effects if isinstance(e, Answered)] == [True]
    title = shipped_content.entries["work-permit"].text["uk"].title
    common = plain(shipped_content.entries["work-permit"].text["uk"].answer)
    assert title in chat.text and common not in " ".join(chat.text.split())


def test_a_fact_told_earlier_picks_the_section_of_a_question_in_own_words(
        shipped_content: Content) -> None:
    chat = walk_to_status(shipped_content, "en", "work", "asylum")
    chat.send(Start(None, "en")).type("can i work")
    assert_only_sections(shipped_content, chat, "work-permit", ["asylum", "asylum, duldung"],
                         "en")
    assert not any(option.action[0] == "section" for option in chat.state.options)


def test_the_case_note_records_the_status_chosen_under_an_answer(
        shipped_content: Content) -> None:
    chat = Chat(shipped_content).start(locale="ar").type("هل يحق لي العمل")
    chat.press(shipped_content.vocabulary_label("residence_status", "duldung", "ar"))
    chat.press(_counsellor_label(chat))
    assert chat.state.intake.get("residence_status") == "duldung"
    facts = CaseFacts(number=7, created_at=dt.datetime(2026, 12, 4, 10, tzinfo=dt.UTC),
                      locale="ar", intake=chat.state.intake, shown=chat.state.shown)
    assert "Aufenthaltsstatus: Duldung" in note(shipped_content, facts)


def _counsellor_label(chat: Chat) -> str:
    return next(label for label, data in chat.buttons if data and label.startswith("👤"))


def test_a_section_button_of_content_that_changed_leads_to_the_menu(
        shipped_content: Content) -> None:
    for arg in ("gone/residence_status/duldung", "work-permit/nothing/duldung",
                "work-permit/residence_status/nothing", "work-permit"):
        chat = Chat(shipped_content, State(locale="en", screen=1,
                                           options=[Option(("section", arg), "x")]))
        chat.send(Choice(1, 0))
        assert "This part of the menu has changed." in chat.text, arg
        assert "residence_status" not in chat.state.fields


def test_the_mark_places_the_sections_inside_the_common_part(shipped_content: Content) -> None:
    entry = shipped_content.entries["work-permit"]
    german = entry.text["de"].model_copy(update={"answer": "Vorher.\n\n{sections}\n\nNachher.\n"})
    marked = entry.model_copy(update={"text": {**entry.text, "de": german}})
    args = (shipped_content, marked, NullTranslations(), "de")
    told = plain(texts.entry_answer(*args, facts={"residence_status": "permit"}))
    assert told == ("Darf ich arbeiten? Vorher. Schutzstatus, § 24 (Ukraine) oder § 25: Sie dürfen "
                    "ohne extra Erlaubnis arbeiten. Ihr Fall ist anders oder unklar? Fragen Sie "
                    "uns, wir prüfen das mit Ihnen. Nachher.")
    assert plain(texts.entry_answer(*args)) == "Darf ich arbeiten? Vorher. Nachher."
    assert plain(texts.entry_answer(*args, facts={"residence_status": "ukraine"},
                                    common=False)) == (
        "Darf ich arbeiten? Schutzstatus, § 24 (Ukraine) oder § 25: Sie dürfen ohne extra "
        "Erlaubnis arbeiten.")
