"""Emergencies come first, in every language and every situation, and only emergencies.

The crises of the development set (tests/data/match_eval.yaml) each get the numbers at once or the
one question "Are you in danger right now?", whose "yes" gets them; how many at once is a figure of
`lotse content eval` (BENCHMARKS.md), not a test."""
from __future__ import annotations

import datetime as dt

import pytest

from bot.config import REPO_ROOT
from bot.core.content.model import Content
from bot.core.events import (
    CaseOpened,
    Choice,
    Command,
    MarkUrgent,
    OpenCase,
    RelayToCase,
    Start,
    Text,
)
from bot.core.match_eval import load_eval_cases
from bot.core.state import State
from tests.steps import DANGER_QUESTION, run

CASES = load_eval_cases(REPO_ROOT / "tests" / "data" / "match_eval.yaml")
EMERGENCIES = [c for c in CASES if c.expect == "emergency"]
ORDINARY = [c for c in CASES if c.expect != "emergency"]
EVERYDAY_WORDS = [("hilfe", "de"), ("help", "en"), ("problem", "de"), ("ich habe ein problem", "de"),
                  ("i need help", "en"), ("مساعدة", "ar"), ("عندي مشكلة", "ar"), ("کمک", "fa"),
                  ("помогите", "ru"), ("допоможіть", "uk"), ("yardım", "tr"), ("sorun var", "tr"),
                  ("alîkarî", "ku"), ("ሓገዝ", "ti"), ("مرسته", "ps"), ("ALT", "de"),
                  ("alt", "de")]


@pytest.fixture(scope="session")
def content(shipped_content: Content) -> Content:
    return shipped_content  # loaded once for the whole run (tests/conftest.py)


def shows_emergency(content: Content, replies: list) -> bool:
    entry = content.emergency_entry
    assert entry is not None
    titles = {text.title for text in entry.text.values()}
    return any(title in replies[0].text for title in titles)


@pytest.mark.parametrize("case", EMERGENCIES, ids=lambda c: f"{c.lang}:{c.text}")
def test_an_emergency_in_any_language_shows_the_numbers_first(content: Content, case) -> None:
    state, replies, _ = run(content, State(locale="en"), Text(case.text))
    if replies[0].text == DANGER_QUESTION:
        assert not state.urgent
        state, replies, _ = run(content, state, Choice(state.screen, 0))  # yes
    assert shows_emergency(content, replies) and state.urgent
    assert "112" in replies[0].text


@pytest.mark.parametrize(("text", "lang"), [
    ("Notfall Kurs", "de"), ("gibt es einen Notfall-Deutschkurs", "de"), ("emergency course", "en"),
    ("I am in danger of failing my exam, is there tutoring", "en"),
    ("my husband wants to do a course", "en"), ("دورة طوارئ للغة الألمانية", "ar"),
])
def test_questions_that_share_a_crisis_word_are_ordinary(
        content: Content, text: str, lang: str) -> None:
    state, replies, _ = run(content, State(locale=lang), Text(text))
    assert not state.urgent and not shows_emergency(content, replies)
    assert replies[0].text != DANGER_QUESTION


def test_ordinary_questions_never_raise_the_alarm(content: Content) -> None:
    false_alarms = [(c.lang, c.text) for c in ORDINARY
                    if run(content, State(locale=c.lang), Text(c.text))[0].urgent]
    assert false_alarms == []
    everyday = [(lang, text) for text, lang in EVERYDAY_WORDS
                if run(content, State(locale=lang), Text(text))[0].urgent]
    assert everyday == []


def test_inside_a_flow_that_waits_for_a_postcode(content: Content) -> None:
    flow = next(f for f in content.flows.values() for n in f.nodes.values()
                if getattr(n, "input", None) is not None)
    node = next(k for k, n in flow.nodes.items() if getattr(n, "input", None) is not None)
    state = State(locale="de", flow=flow.id, node=node)
    _, replies, _ = run(content, state, Text("mein mann schlägt mich"))
    assert shows_emergency(content, replies)


def test_before_a_language_is_chosen(content: Content) -> None:
    _, replies, _ = run(content, State(), Text("I want to kill myself"))
    assert shows_emergency(content, replies)
    assert replies[-1].text.startswith("🌐")  # then the language picker


def test_during_intake_the_case_becomes_urgent(content: Content) -> None:
    state = State(locale="en")
    state, _, _ = run(content, state, Command("counsellor"))
    state, _, _ = run(content, state, Choice(state.screen, 0))  # I agree
    state, replies, _ = run(content, state, Text("my husband hits me"))
    assert shows_emergency(content, replies)
    assert state.intake_step == "topic" and "What is your question about?" in replies[-1].text
    while state.intake_step != "review":
        state, _, _ = run(content, state, Choice(state.screen, len(state.options) - 2))
    state, _, effects = run(content, state, Choice(state.screen, 0))  # Send
    assert [(e.urgent, e.crisis) for e in effects if isinstance(e, OpenCase)] == [
        (True, "violence")]
    assert not state.urgent and state.crisis is None  # the next case starts afresh


def test_in_an_open_case_the_counsellor_is_alerted(content: Content) -> None:
    state = State(locale="uk")
    state, _, _ = run(content, state, CaseOpened(7, dt.datetime.now(dt.UTC)))
    state, replies, effects = run(content, state, Text("я не хочу жити"))
    assert shows_emergency(content, replies)
    assert MarkUrgent(7, "suicide") in effects
    assert RelayToCase(7, "я не хочу жити") in effects


def test_start_after_an_emergency_is_ordinary_again(content: Content) -> None:
    _, replies, _ = run(content, State(), Start(None, "de"), Text("wie viel kostet der kurs"))
    assert not shows_emergency(content, replies)
