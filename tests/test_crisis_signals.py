"""Crisis signals through the conversation layer: each is counted by kind and certainty
(`lotse_crisis_signals_total`), logged with the person's internal id and the kind and never the
text, and its kind is named in the German case note. The state keeps the kind until the case is
opened; states and cases from before load as they were."""
from __future__ import annotations

import json
import logging

import pytest

from bot.clock import utcnow
from bot.core.case_note import CRISES, CaseFacts, note
from bot.core.content.model import Content
from bot.core.engine import step
from bot.core.events import CrisisSignal, OpenCase, Start, Text
from bot.core.signals import CrisisKind
from bot.core.state import State
from bot.handoff.records import Counsellor
from bot.logs import JsonFormatter
from bot.ops.metrics import REGISTRY
from bot.services.conversation import Conversations, Person
from bot.storage.repository import Storage
from tests.handoff.test_staff_cases import case_row, open_case, rows

CLEAR = "Mein Mann schlägt mich"  # violence, at once
POSSIBLE = "Ich kann nicht mehr"  # suicide?, asked about
AMIRA = Person("telegram", "1001")


@pytest.fixture(scope="session")
def content(shipped_content: Content) -> Content:
    return shipped_content  # loaded once for the whole run (tests/conftest.py)


@pytest.fixture
def conversations(storage: Storage, content: Content) -> Conversations:
    return Conversations(storage, lambda: content)


def counted(kind: str, certain: str) -> float:
    value = REGISTRY.get_sample_value("lotse_crisis_signals_total",
                                      {"kind": kind, "certain": certain})
    assert value is not None  # every kind shows from the start, at 0
    return value


def signal_of(content: Content, text: str) -> CrisisSignal:
    """What the engine reads in `text` (the signal lists are tuned elsewhere)."""
    [signal] = [e for e in step(content, State(locale="de"), Text(text)).effects
                if isinstance(e, CrisisSignal)]
    return signal


async def test_each_signal_is_counted_and_logged_by_id_and_kind_never_the_text(
        conversations: Conversations, content: Content, storage: Storage,
        caplog: pytest.LogCaptureFixture) -> None:
    clear, possible = signal_of(content, CLEAR), signal_of(content, POSSIBLE)
    assert clear.certain and not possible.certain
    before = {kind.value: (counted(kind.value, "true"), counted(kind.value, "false"))
              for kind in CrisisKind}
    await conversations.handle(AMIRA, Start(client_locale="de"))
    with caplog.at_level(logging.DEBUG, logger="bot"):
        await conversations.handle(AMIRA, Text(CLEAR))
        await conversations.handle(AMIRA, Text(POSSIBLE))
    after = {kind.value: (counted(kind.value, "true"), counted(kind.value, "false"))
             for kind in CrisisKind}
    expected = dict(before)
    expected[clear.kind] = (expected[clear.kind][0] + 1, expected[clear.kind][1])
    expected[possible.kind] = (expected[possible.kind][0], expected[possible.kind][1] + 1)
    assert after == expected

    user = await storage.user(AMIRA.channel, AMIRA.external_id)
    lines = [r for r in caplog.records if r.getMessage().startswith("crisis signal")]
    assert [(r.getMessage(), r.levelno) for r in lines] == [
        (f"crisis signal kind={clear.kind} certain=true user={user.id}", logging.WARNING),
        (f"crisis signal kind={possible.kind} certain=false user={user.id}", logging.INFO)]
    as_json = json.loads(JsonFormatter().format(lines[0]))
    assert (as_json["kind"], as_json["user"]) == (clear.kind, user.id)
    for text in (CLEAR, POSSIBLE):
        for word in text.split():
            if len(word) > 3:
                assert word not in caplog.text, word


async def test_a_crisis_before_the_case_is_opened_is_named_in_its_note(
        conversations: Conversations, content: Content, storage: Storage) -> None:
    kind = signal_of(content, CLEAR).kind
    await conversations.handle(AMIRA, Start(client_locale="de"))
    user = await storage.user(AMIRA.channel, AMIRA.external_id)
    await conversations.handle(AMIRA, Text(CLEAR))
    saved = State.from_json(await storage.load_state(user.id))
    assert saved.urgent and saved.crisis == kind
    case_id = await conversations.cases.open(user.id, OpenCase(
        {"topic": "work", "contact_preference": "chat"}, "de", urgent=True, crisis=saved.crisis))
    case = await case_row(storage, case_id)
    assert case.crisis == kind
    assert f"<b>Dringend:</b> {CRISES[kind]}" in case.note and "🚨 DRINGEND" in case.note
    await conversations.cases.claim(case_id, Counsellor(7001, "Lena"))  # the note again
    assert CRISES[kind] in (await case_row(storage, case_id)).note

    await conversations.cases.erase(user.id)
    assert (await case_row(storage, case_id)).crisis is None  # about their safety: erased


async def test_a_crisis_in_an_open_case_is_named_in_the_note(
        conversations: Conversations, content: Content, storage: Storage) -> None:
    kind = signal_of(content, CLEAR).kind
    case_id = await open_case(conversations, AMIRA, locale="de")
    assert "Dringend:" not in (await case_row(storage, case_id)).note
    await conversations.handle(AMIRA, Text(CLEAR))
    case = await case_row(storage, case_id)
    assert case.urgent and case.crisis == kind
    assert f"<b>Dringend:</b> {CRISES[kind]}" in case.note
    assert [r for r in await rows(storage, "staff_notice") if "Notfall" in r.payload["text"]]
    await conversations.handle(AMIRA, Text(POSSIBLE))  # a second one changes nothing there
    await conversations.handle(AMIRA, Text("ich will nicht mehr leben"))
    assert (await case_row(storage, case_id)).crisis == kind


def test_every_kind_has_a_german_name_and_an_old_case_shows_none(content: Content) -> None:
    assert set(CRISES) == {kind.value for kind in CrisisKind}
    facts = CaseFacts(number=3, created_at=utcnow(), locale="de", intake={}, urgent=True)
    assert "🚨 DRINGEND" in note(content, facts) and "Dringend:" not in note(content, facts)


def test_a_state_saved_before_the_kind_was_kept_still_loads() -> None:
    old = State(locale="de", urgent=True).to_json()
    del old["crisis"]
    state = State.from_json(old)
    assert state.urgent and state.crisis is None and state.locale == "de"
    assert State.from_json(State(urgent=True, crisis="suicide").to_json()).crisis == "suicide"

