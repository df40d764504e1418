"""Pytest fixtures for the fake Bot API; a conftest.py can re-export them:

    from tests.fake_bot_api.fixtures import fake_api, fake_bot  # noqa: F401
"""
from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from .server import FakeBotApi


def bot_for(api: FakeBotApi) -> Bot:
    """An aiogram Bot talking to `api` (close it with `await bot.session.close()`)."""
    return Bot(api.token, session=AiohttpSession(api=TelegramAPIServer.from_base(api.base_url)))


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as api:
        yield api


@pytest.fixture
async def fake_bot(fake_api: FakeBotApi) -> AsyncIterator[Bot]:
    bot = bot_for(fake_api)
    yield bot
    await bot.session.close()
