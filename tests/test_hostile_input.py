"""Hostile input, property-based: random Unicode, 100 000-character texts, control and zero-width
characters, right-to-left overrides, HTML-looking text and emoji sequences fed to the engine (in
random event sequences from random states), the matcher and the renderer. Nothing crashes; every
outgoing message passes Telegram's HTML, length and keyboard rules (checked by our parser and by
the fake Bot API's independent one); user text never turns into markup or a link."""
from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from bot.channels.telegram.buttons import OptionButton
from bot.channels.telegram.render import MAX_MESSAGES_PER_UPDATE, Message, messages
from bot.config import REPO_ROOT
from bot.core import bidi, telegram_html
from bot.core.case_note import CaseFacts, note
from bot.core.commands import NAMES as COMMANDS
from bot.core.content.loader import load
from bot.core.content.model import Content
from bot.core.engine import MAX_TEXT, step
from bot.core.events import (
    FOREIGN,
    Button,
    CaseClaimed,
    CaseClosed,
    CaseOpened,
    Choice,
    Command,
    Event,
    Media,
    MediaKind,
    Reply,
    Start,
    Text,
    typed,
)
from bot.core.intake import MAX_NAME, MAX_QUESTION, STEPS
from bot.core.state import State
from tests.fake_bot_api.keyboards import inline_keyboard
from tests.fake_bot_api.markup import parse_html, trim, utf16_len
from tests.shipped import unexpected

pytestmark = pytest.mark.e2e  # 10 000 hypothesis examples, many of 100 000 characters: minutes

MAX_REPLIES_PER_EVENT = 4
PIECES = (
    "<b>", "</b>", "<i>x</i>", '<a href="https://evil.example/">click</a>', "<a href=x>",
    "<script>alert(1)</script>", "<tg-spoiler>", "<pre><code>", "</code>", "&amp;", "&lt;",
    "&#x202E;", "&#0;", "&", "<", ">", '"', "'", "\u202e", "\u202d", "\u2066", "\u2069", "\u200f",
    "\u200b", "\u200c", "\u200d", "\ufeff", "\x00", "\x07", "\x1b[31m", "\x85", "\u2028", "\r\n",
    "\n\n", "\t", " ", "👨\u200d👩\u200d👧\u200d👦", "🏳️\u200d🌈", "👍🏽", "🇩🇪", "ـً", "١٢٣",
    "0151 23456789", "+49 (151) 234-567", "/start", "/delete", "/language ar", "@lotse_bot",
    "integrationskurs", "Arbeitserlaubnis", "دورة اللغة", "курс німецької", "1", "2", "99",
    "https://evil.example/?q=<b>", "{name}", "{phone}", "%s", "${x}",
)
ANY_CHAR = st.characters(blacklist_categories=("Cs",))  # Telegram sends valid UTF-8 only
SHORT = st.one_of(
    st.text(ANY_CHAR, max_size=60),
    st.lists(st.one_of(st.sampled_from(PIECES), st.text(ANY_CHAR, max_size=6)),
             max_size=14).map("".join),
)


def sized(least: int, most: int) -> st.SearchStrategy[str]:
    """Long texts: one hostile piece repeated to a length between `least` and `most`."""
    return st.builds(lambda piece, size: (piece * (size // len(piece) + 1))[:size],
                     st.sampled_from([p for p in PIECES if p.strip()] + ["wort ", "a"]),
                     st.integers(least, most))


HOSTILE = st.one_of(SHORT, SHORT, SHORT, sized(MAX_TEXT - 10, 100_000))
LOCALES = ("de", "en", "ar", "fa", "ps", "uk", "ru", "tr", "ku", "ti")
NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)  # a Monday, office open


@functools.cache
def shipped() -> Content:
    """The shipped content, loaded once per session (not a fixture: hypothesis would print all
    of it with every falsifying example)."""
    content, problems = load(REPO_ROOT, REPO_ROOT / "translations")
    assert content is not None and not unexpected(problems)
    return content


def content_urls() -> frozenset[str]:
    """Every address written in the content files: the only links a reply may carry."""
    found: set[str] = set()
    for folder in ("faq", "flows"):
        for path in (REPO_ROOT / folder).rglob("*.yaml"):
            found.update(re.findall(r"(?:https?|tg|mailto):[^\s\"'<>]+", path.read_text("utf-8")))
    return frozenset(found)


URLS = content_urls()


def sendable(message: Message) -> str:
    """Check `message` as Telegram would; returns its plain text."""
    ours = telegram_html.parse(message.text)  # raises where Telegram would
    theirs = trim(parse_html(message.text, strict_ampersand=True))
    assert theirs.text == ours.strip(" \t\r\n\x0b\x0c")
    assert 0 < utf16_len(theirs.text) <= telegram_html.MESSAGE_LIMIT
    links = {str(e["url"]) for e in theirs.entities if e["type"] == "text_link"}
    assert links <= URLS, links
    if message.keyboard is not None:
        markup = inline_keyboard(message.keyboard.model_dump(exclude_none=True))
        assert markup is not None
        for row in markup["inline_keyboard"]:
            for button in row:
                assert len(button.get("callback_data", "").encode()) <= 64
                assert button.get("url") is None or button["url"] in URLS
    return theirs.text


def check_replies(replies: list[Reply]) -> None:
    assert len(replies) <= MAX_REPLIES_PER_EVENT
    parts = [part for reply in replies for part in messages(reply)]
    assert len(parts) <= MAX_MESSAGES_PER_UPDATE
    for part in parts:
        sendable(part)


# ----- the engine -----------------------------------------------------------------------------

@dataclass(frozen=True)
class LiveButton:
    """A press on one of the buttons the person sees at that moment (resolved against the state,
    so that sequences reach deep into flows and intake)."""

    index: int


@dataclass(frozen=True)
class TheirCase:
    """A counsellor claims or closes the person's open case (whichever it is then)."""

    closed: bool


def resolve(drawn: Event | LiveButton | TheirCase, state: State) -> Event:
    if isinstance(drawn, LiveButton):
        index = drawn.index % len(state.options) if state.options else drawn.index
        return Choice(state.screen, index)
    if isinstance(drawn, TheirCase):
        return (CaseClosed if drawn.closed else CaseClaimed)(state.case or 7)
    return drawn


def states(content: Content) -> st.SearchStrategy[State]:
    """Where a person may be: also at flows, nodes and steps that no longer exist."""
    flows = list(content.flows)
    nodes = sorted({n for f in content.flows.values() for n in f.nodes})
    return st.builds(
        State,
        locale=st.sampled_from([None, *LOCALES]),
        flow=st.sampled_from([None, "gone", *flows]),
        node=st.sampled_from([None, "gone", *nodes]),
        intake_step=st.sampled_from([None, "consent", *STEPS]),
        intake=st.dictionaries(st.sampled_from(STEPS[:-1]), SHORT, max_size=4),
        fields=st.dictionaries(st.sampled_from(["residence_status", "german_level"]),
                               st.sampled_from(["gestattung", "A1", "x"]), max_size=2),
        case=st.sampled_from([None, 1, 42]),
        case_claimed=st.booleans(),
        pending_start=st.sampled_from([None, "work", "nothing"]),
        screen=st.integers(0, 10**6),
        misses=st.integers(0, 3),
    )


def forged(data: str) -> Choice:
    """What the Telegram adapter makes of forged button data (`bot.channels.telegram.users`)."""
    try:
        return OptionButton.unpack(data).choice
    except (TypeError, ValueError):
        return FOREIGN


def events(content: Content) -> st.SearchStrategy[Event | LiveButton | TheirCase]:
    targets = [*content.flows, *content.entries, "nothing"]
    pressed = st.builds(LiveButton, st.integers(0, 63))
    return st.one_of(
        pressed, pressed, pressed,
        HOSTILE.map(forged),  # forged or stale button data
        st.builds(Choice, st.integers(), st.integers()),
        HOSTILE.map(Text),
        HOSTILE.map(typed),
        st.builds(Command, st.sampled_from([*COMMANDS, "x"]),
                  st.one_of(st.sampled_from(["", *LOCALES, *targets]), SHORT)),
        st.builds(Media, st.sampled_from(list(MediaKind)), st.one_of(st.none(), SHORT)),
        st.builds(Start, st.one_of(st.none(), st.sampled_from(targets), SHORT),
                  st.sampled_from([None, "ar", "de-AT", "xx", ""])),
        st.builds(CaseOpened, st.integers(1, 10**9), st.just(NOW), st.booleans()),
        st.builds(TheirCase, st.booleans()),
    )


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(state=st.deferred(lambda: states(shipped())),
       sequence=st.lists(st.deferred(lambda: events(shipped())), min_size=1, max_size=6))
def test_random_event_sequences_never_crash_and_always_send_valid_messages(
        state: State, sequence: list[Event | LiveButton | TheirCase]) -> None:
    for drawn in sequence:
        result = step(shipped(), state, resolve(drawn, state))
        check_replies(result.replies)
        state = State.from_json(result.state.to_json())  # as saved between events


def reach_review(content: Content, locale: str, question: str, name: str
                 ) -> tuple[State, Reply] | None:
    """Intake through the engine: the question, answer in the chat, the first name; None when
    the engine took the question for something else (an emergency, a typed button)."""
    state = State(locale=locale, intake_step="question",
                  intake={"topic": "language", "residence_status": "", "german_level": ""})
    for event in (Text(question), None, Text(name)):
        if event is None:  # contact preference: answer in the chat
            if state.intake_step != "contact_preference":
                return None
            chat = next(i for i, o in enumerate(state.options) if o.action == ("intake", "chat"))
            event = Choice(state.screen, chat)
        result = step(content, state, event)
        state = result.state
    return (state, result.replies[-1]) if state.intake_step == "review" else None


@settings(max_examples=1500, deadline=None)
@given(locale=st.sampled_from(LOCALES), question=HOSTILE, name=SHORT)
@example(locale="de", question="0", name="²")  # "²" is a digit to str.isdigit, not to int()
@example(locale="ar", question="x", name="<a href=\"https://evil.example/\">a</a>" + " " * 60)
def test_the_intake_review_shows_what_was_typed_literally(
        locale: str, question: str, name: str) -> None:
    assume(question[:MAX_TEXT].strip() and name.strip())
    assume(not re.fullmatch(r"\s*\d+\s*", question + name))  # a typed number presses a button
    reached = reach_review(shipped(), locale, question, name)
    assume(reached is not None)
    assert reached is not None
    state, review = reached
    assume(state.intake.get("question") and state.intake.get("first_name"))
    plain = [sendable(part) for part in messages(review)]
    assert len(plain) == 1
    entities = trim(parse_html(messages(review)[0].text)).entities
    assert {e["type"] for e in entities} == {"bold"}  # the labels; nothing from the person
    assert state.intake["question"] == telegram_html.truncate(
        question[:MAX_TEXT].strip(), MAX_QUESTION).strip()
    for typed_value in (state.intake["question"], state.intake["first_name"]):
        assert bidi.strip_marks(typed_value) in bidi.strip_marks(plain[0])
    assert len(state.intake["first_name"]) <= MAX_NAME


@settings(max_examples=2000, deadline=None)
@given(locale=st.sampled_from(LOCALES), question=HOSTILE, name=SHORT, counsellor=SHORT,
       urgent=st.booleans())
@example(locale="de", question="👍🏽" * 1000, name="", counsellor="", urgent=False)  # 4000 units
def test_the_case_note_shows_what_was_typed_literally(
        locale: str, question: str, name: str, counsellor: str,
        urgent: bool) -> None:
    question = telegram_html.truncate(question, MAX_QUESTION).strip()  # as intake keeps them
    name, counsellor = name[:MAX_NAME].strip(), counsellor[:128].strip()
    facts = CaseFacts(7, NOW, locale, {"question": question, "first_name": name,
                                       "topic": "language", "contact_preference": "chat"},
                      status="claimed", urgent=urgent, claimed_by=counsellor or None)
    text = note(shipped(), facts)
    plain = sendable(Message(text))
    for value in (question, name, counsellor):
        assert value in plain
    entities = trim(parse_html(text)).entities
    assert {e["type"] for e in entities} <= {"bold", "blockquote"}


# ----- the renderer ---------------------------------------------------------------------------

def squeezed(text: str) -> str:
    return "".join(text.split())


def rendered(text: str, bold: bool, buttons: int) -> None:
    """`text` from a person, rendered: valid messages, buttons on the last, nothing lost."""
    html = telegram_html.escape(text)
    if bold:
        html = f"<b>Titel</b>\n\n<i>{html}</i>"
    assume(telegram_html.parse(html).strip())
    rows = tuple((Button("x", data=Choice(10**9, i)),) for i in range(buttons))
    parts = messages(Reply(html, rows))
    plain = [sendable(part) for part in parts]
    assert squeezed("".join(plain)) == squeezed(telegram_html.parse(html))
    assert all(part.keyboard is None for part in parts[:-1])
    assert (parts[-1].keyboard is not None) == bool(buttons)


@settings(max_examples=2000, deadline=None)
@given(text=st.one_of(SHORT, sized(MAX_TEXT - 10, 5_000)), bold=st.booleans(),
       buttons=st.integers(0, 3))
@example(text="👍🏽" * 1025, bold=True, buttons=0)  # the part after a cut overflowed
def test_any_text_renders_into_valid_messages_and_loses_nothing(
        text: str, bold: bool, buttons: int) -> None:
    rendered(text, bold, buttons)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=sized(10_000, 100_000), bold=st.booleans())
def test_a_100_000_character_text_renders_too(text: str, bold: bool) -> None:
    rendered(text, bold, 1)


@settings(max_examples=2500, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(PIECES), st.text(ANY_CHAR, max_size=5)),
                max_size=20).map("".join))
@example("&#0;")
@example("&#x110000;")
@example("&#xD800;")
def test_escaped_text_is_only_text_and_our_parser_agrees_with_the_fake(text: str) -> None:
    escaped = telegram_html.escape(text)
    assert telegram_html.parse(escaped) == text
    assert parse_html(escaped, strict_ampersand=True).text == text
    assert parse_html(escaped).entities == ()
    if telegram_html.problem(text) is None:  # what our check lets through, Telegram accepts
        assert parse_html(text).text == telegram_html.parse(text)


# ----- the matcher ----------------------------------------------------------------------------

@settings(max_examples=1000, deadline=None)
@given(text=HOSTILE, lang=st.sampled_from([*LOCALES, "", "xx"]))
def test_the_matcher_takes_anything(
        text: str, lang: str) -> None:
    content = shipped()
    ranked = content.matcher.rank(text, lang)
    assert all(0 <= c.score <= 100 for c in ranked)
    assert all(c.entry_id in content.entries for c in ranked)
    assert len(content.matcher.match(text, lang).candidates) <= 3
