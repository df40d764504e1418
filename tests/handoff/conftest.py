"""Fixtures for the handoff tests: a real migrated database (every test runs on SQLite and on
PostgreSQL), the shipped content, the fake Bot API with a forum staff group, and helpers that open
cases the way the conversation does."""
from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot
from sqlalchemy import select

from bot.channels.telegram.app import make_outbox
from bot.clock import utcnow
from bot.core.content.model import Content
from bot.core.events import OpenCase
from bot.handoff.cases import Cases
from bot.handoff.outbox import OutboxWorker
from bot.storage.migrate import upgrade
from bot.storage.models import OutboxMessage
from bot.storage.repository import Storage
from tests.fake_bot_api import FakeBotApi

REPO = Path(__file__).resolve().parents[2]
STAFF = -1001500


class Clock:
    """A clock the test moves by hand (for backoff): starts at the real time."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


async def waiting(storage: Storage) -> list[OutboxMessage]:
    """The outbox rows not delivered yet, in id order."""
    async with storage.session() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)
                                          .where(OutboxMessage.delivered_at.is_(None))))


@pytest.fixture(scope="session")
def content(shipped_content: Content) -> Content:
    return shipped_content  # loaded once for the whole run (tests/conftest.py)


@pytest.fixture
async def storage(database_url: str) -> AsyncIterator[Storage]:
    await upgrade(database_url)
    storage = Storage.open(database_url)
    yield storage
    await storage.close()


@pytest.fixture
def api(fake_api: FakeBotApi) -> FakeBotApi:
    return fake_api


@pytest.fixture
def bot(fake_bot: Bot) -> Bot:
    return fake_bot


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def outbox_workers() -> AsyncIterator[Callable[..., OutboxWorker]]:
    """`outbox_workers(storage, bot, ...)`: an OutboxWorker on Telegram (`make_outbox`) that is
    stopped (and steps down) at the end of the test."""
    made: list[OutboxWorker] = []

    def make(*args: Any, **kwargs: Any) -> OutboxWorker:
        made.append(make_outbox(*args, **kwargs))
        return made[-1]

    yield make
    for outbox in made:
        await outbox.stop()


@pytest.fixture
def open_case(storage: Storage, content: Content, clock: Clock):
    """`await open_case(person_id, question=..., **intake)`: a case as the conversation opens it;
    the person's private chat id is `person_id`."""

    async def open_(person_id: int, question: str = "سؤال", locale: str = "ar",
                    **intake: str) -> int:
        user = await storage.user("telegram", str(person_id))
        await storage.set_consent(user.id, clock())
        answers = {"topic": "language", "residence_status": "asylum",
                   "german_level": "a1", "question": question} | intake
        return await Cases(storage, lambda: content, clock).open(
            user.id, OpenCase(answers, locale))

    return open_
