"""One engine step at a time per person (`Conversations._conversation_lock`, held around load,
step and save): a counsellor's claim that reaches the person's state while their own message is
being handled changes the state after that message, not beside it. Without the lock one of the two
saves overwrites the other (a lost update) on PostgreSQL; on SQLite the message's transaction,
which holds the process's transaction queue from load to save, keeps the claim out too."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.content.model import Content
from bot.core.events import OpenCase, Text
from bot.core.state import State
from bot.handoff.records import Counsellor
from bot.services.conversation import Conversations, Person
from bot.shared.person_locks import LocalPersonLocks
from bot.storage import migrate
from bot.storage.repository import Storage

PERSON = Person("telegram", "5151")


class HeldLoad:
    """The states in `storage`; the first load returns only once `release` is set (the person's
    message, caught between loading and saving its state). `second` is set when anyone else asks
    for the lock or loads a state."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.loaded = asyncio.Event()
        self.release = asyncio.Event()
        self.second = asyncio.Event()

    async def load_state(self, user_id: int) -> dict[str, Any] | None:
        saved = await self.storage.load_state(user_id)
        if self.loaded.is_set():
            self.second.set()
            return saved
        self.loaded.set()
        await self.release.wait()
        return saved

    async def save_state(self, user_id: int, data: dict[str, Any],
                         content_version: str | None) -> None:
        await self.storage.save_state(user_id, data, content_version)

    async def delete_state(self, user_id: int) -> None:
        await self.storage.delete_state(user_id)


class SeenLocks(LocalPersonLocks):
    """`LocalPersonLocks` that tell `states` when a second holder asks while the first holds."""

    def __init__(self, states: HeldLoad) -> None:
        super().__init__()
        self.states = states

    @asynccontextmanager
    async def hold(self, key: str, number: int | None = None) -> AsyncIterator[None]:
        if self.states.loaded.is_set():
            self.states.second.set()
        async with super().hold(key, number):
            yield


class SeenStorage(Storage):
    """`Storage` that tells `states` when, on SQLite, a second transaction begins while the
    first holds the queue (it then waits there)."""

    states: HeldLoad

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        if self.engine.dialect.name == "sqlite" and self.states.loaded.is_set():
            self.states.second.set()
        async with super().session() as session:
            yield session


@pytest.fixture
async def storage(database_url: str) -> AsyncIterator[SeenStorage]:
    await migrate.upgrade(database_url)
    yield (storage := SeenStorage.open(database_url))
    await storage.close()


async def test_a_claim_during_the_persons_message_is_applied_after_it(
        storage: SeenStorage, shipped_content: Content) -> None:
    states = HeldLoad(storage)
    storage.states = states
    conversations = Conversations(storage, lambda: shipped_content, states=states,
                                  person_locks=SeenLocks(states))
    user = await storage.user(PERSON.channel, PERSON.external_id)
    case_id = await conversations.cases.open(user.id, OpenCase({"question": "Kurse?"}, "de"))
    await storage.save_state(user.id, State(locale="de", case=case_id).to_json(),
                             shipped_content.version)

    message = asyncio.create_task(conversations.handle(PERSON, Text("Noch eine Frage"), "t:1"))
    await states.loaded.wait()  # the message has loaded the state and not yet saved it
    claim = asyncio.create_task(conversations.claim(case_id, Counsellor(7001, "Lena")))
    # the claim waits for the lock or SQLite's queue (or, without either, read the state)
    await states.second.wait()
    states.release.set()
    await asyncio.gather(message, claim)

    state = State.from_json(await storage.load_state(user.id))
    assert state.case_claimed, "the claim was lost"
    assert state.case_acknowledged, "the person's message was lost"
