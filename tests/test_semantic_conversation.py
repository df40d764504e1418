"""The semantic layer wired into the conversation (bot/services/conversation.py and, for start-up, reloads
and shutdown, bot/channels/telegram/app.py) against the fake embeddings server: its scores reach
the matcher and change the answer; a server that is down, slow or failing leaves the lexical
answer within the timeout; a text for a counsellor, for intake or about a crisis never goes to
the server; and every content version, at start-up and after each reload, gets its index in the
background."""
from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from aiogram import Bot

from bot.channels.telegram.app import make_dispatcher
from bot.config import REPO_ROOT, load_settings
from bot.core import telegram_html
from bot.core.content.loader import load_or_raise, match_docs
from bot.core.content.model import Content
from bot.core.events import Reply, Start, Text
from bot.core.state import State
from bot.ops.content_store import ContentStore, Outcome
from bot.semantic.embeddings import EmbeddingsClient
from bot.semantic.layer import Semantic
from bot.services.conversation import Conversations, Person
from bot.storage import migrate
from bot.storage.repository import Storage
from tests.fake_embeddings import FakeEmbeddings
from tests.handoff.test_staff_cases import open_case, rows
from tests.test_content_store import copy_content, edit

UI_DIR = REPO_ROOT / "translations"
AMIRA = Person("telegram", "1001")
# The fake's vectors share a dimension for declared synonyms: "Lohnuntergrenze" means "Mindestlohn"
# (worker-rights) to it, while the words alone know no "Lohnuntergrenze" and find nothing.
SYNONYMS = ("mindestlohn", "lohnuntergrenze")  # a word no concept knows (yet)
QUESTION = "Lohnuntergrenze"
ENTRY = "worker-rights"
TIMEOUT = 0.2
CRISIS = "Mein Mann schlägt mich"


def shown(replies: list[Reply]) -> str:
    """The replies' text and button labels."""
    return "\n".join(telegram_html.parse(r.text) + "\n" + " | ".join(
        b.label for row in r.buttons for b in row) for r in replies)


@pytest.fixture(scope="session")
def content(shipped_content: Content) -> Content:
    return shipped_content  # loaded once for the whole run (tests/conftest.py)


@pytest.fixture
async def fake() -> AsyncIterator[FakeEmbeddings]:
    async with FakeEmbeddings() as server:
        server.synonyms(*SYNONYMS)
        yield server


MakeConversations = Callable[..., Conversations]


@pytest.fixture
async def make(storage: Storage, content: Content, fake: FakeEmbeddings
               ) -> AsyncIterator[MakeConversations]:
    """`make(semantic=True)`: the conversation service with the semantic layer on the fake
    (index built), or without it."""
    made: list[Semantic] = []

    def conversations(semantic: bool = True) -> Conversations:
        layer = Semantic(EmbeddingsClient(fake.url, fake.model), timeout=TIMEOUT) \
            if semantic else None
        if layer is not None:
            made.append(layer)
        return Conversations(storage, lambda: content, semantic=layer)

    yield conversations
    for layer in made:
        await layer.close()


async def ready(conversations: Conversations, content: Content) -> None:
    conversations.semantic.follow(content)
    await conversations.semantic.settled()
    assert conversations.semantic.ready_version == content.version


async def ask(conversations: Conversations, person: Person, text: str) -> list[Reply]:
    await conversations.handle(person, Start(client_locale="de"))
    return await conversations.handle(person, Text(text))


def title(content: Content) -> str:
    return content.entries[ENTRY].text["de"].title


async def test_the_scores_reach_the_matcher_and_change_the_answer(
        make: MakeConversations, content: Content, fake: FakeEmbeddings) -> None:
    lexical = shown(await ask(make(semantic=False), Person("telegram", "1"), QUESTION))
    assert title(content) not in lexical  # words alone do not find it
    conversations = make()
    await ready(conversations, content)
    requests = fake.requests
    with_meaning = shown(await ask(conversations, AMIRA, QUESTION))
    assert title(content) in with_meaning and with_meaning != lexical
    assert fake.requests == requests + 1 and fake.texts[-1] == QUESTION  # one request, the text


@pytest.mark.parametrize("trouble", ["down", "slow", "failing", "not_ready"])
async def test_without_the_server_the_lexical_answer_comes_within_the_timeout(
        make: MakeConversations, content: Content, fake: FakeEmbeddings, trouble: str,
        caplog: pytest.LogCaptureFixture) -> None:
    lexical = shown(await ask(make(semantic=False), Person("telegram", "1"), QUESTION))
    conversations = make()
    if trouble != "not_ready":
        await ready(conversations, content)
    if trouble == "down":
        await fake.close()
    elif trouble == "slow":
        fake.delay = 5.0
    elif trouble == "failing":
        fake.fail_next(1, 503)
    else:
        fake.fail_next(1, 500)  # the index cannot be built
        await ready_failed(conversations, content)
    await conversations.handle(AMIRA, Start(client_locale="de"))
    started = time.perf_counter()
    with caplog.at_level("DEBUG", logger="bot"):
        replies = await conversations.handle(AMIRA, Text(QUESTION))
    assert time.perf_counter() - started < TIMEOUT + 0.5
    assert shown(replies) == lexical
    assert QUESTION not in caplog.text and "Lohnuntergrenze" not in caplog.text


async def ready_failed(conversations: Conversations, content: Content) -> None:
    conversations.semantic.follow(content)
    await conversations.semantic.settled()
    assert conversations.semantic.ready_version is None


async def test_a_text_for_the_counsellor_never_goes_to_the_server(
        make: MakeConversations, content: Content, fake: FakeEmbeddings,
        storage: Storage) -> None:
    conversations = make()
    await ready(conversations, content)
    requests = fake.requests
    case_id = await open_case(conversations, AMIRA, locale="de")
    await conversations.handle(AMIRA, Text(QUESTION))
    [relay] = await rows(storage, "relay_to_staff")  # it went to the counsellor …
    assert relay.case_id == case_id
    assert fake.requests == requests and QUESTION not in fake.texts  # … and nowhere else


async def test_an_intake_answer_never_goes_to_the_server(
        make: MakeConversations, content: Content, fake: FakeEmbeddings,
        storage: Storage) -> None:
    conversations = make()
    await ready(conversations, content)
    requests = fake.requests
    user = await storage.user(AMIRA.channel, AMIRA.external_id)
    await storage.save_state(user.id, State(
        locale="de", intake_step="question",
        intake={"topic": "work", "residence_status": "other", "german_level": "a1"}).to_json(),
        None)
    await conversations.handle(AMIRA, Text(QUESTION))
    saved = await storage.load_state(user.id)
    assert saved is not None and saved["intake"]["question"] == QUESTION  # taken as the answer
    assert fake.requests == requests and QUESTION not in fake.texts


async def test_a_crisis_never_goes_to_the_server(make: MakeConversations, content: Content,
                                                 fake: FakeEmbeddings) -> None:
    conversations = make()
    await ready(conversations, content)
    requests = fake.requests
    replies = await ask(conversations, AMIRA, CRISIS)
    assert "112" in shown(replies)  # the numbers, from the signals alone
    assert fake.requests == requests and CRISIS not in fake.texts


async def test_start_up_and_every_reload_prepare_the_index_and_shutdown_closes_it(
        fake: FakeEmbeddings, fake_bot: Bot, tmp_path: Path) -> None:
    root = copy_content(tmp_path / "content")
    store = ContentStore(load_or_raise(root, UI_DIR), UI_DIR)
    url = f"sqlite+aiosqlite:///{tmp_path / 'lotse.sqlite3'}"
    await migrate.upgrade(url)
    storage = Storage.open(url)
    settings = load_settings(_env_file=None, EMBEDDINGS_URL=fake.url, EMBEDDINGS_MODEL=fake.model,
                             EMBEDDINGS_TIMEOUT=TIMEOUT, DATABASE_URL=url, BOT_TOKEN="1:x")
    dispatcher = make_dispatcher(storage, store, fake_bot, settings)
    semantic: Semantic = dispatcher["conversations"].semantic
    try:
        assert semantic.enabled and semantic.ready_version is None
        await dispatcher.emit_startup(bot=fake_bot, **dispatcher.workflow_data)
        await semantic.settled()
        first = store().version
        assert semantic.ready_version == first
        assert sorted(set(fake.texts)) == sorted({d.text for d in match_docs(
            store().entries.values()) if d.text.strip()})  # content texts only

        added = "stundenlohn im minijob"
        edit(root / "faq/entries/work/worker-rights.yaml", "      - mindestlohn\n",
             f"      - mindestlohn\n      - {added}\n")
        result = await store.reload()
        assert result.outcome is Outcome.APPLIED
        await semantic.settled()  # started by the reload, not by a message
        assert semantic.ready_version == result.live.version != first
        assert fake.texts[-1] == added and fake.batches[-1] == 1  # only the new text
    finally:
        await dispatcher.emit_shutdown(bot=fake_bot, **dispatcher.workflow_data)
        await storage.close()
    assert semantic._client is not None and not semantic._client._session.is_open
