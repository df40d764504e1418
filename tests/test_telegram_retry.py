"""The retry policy against the fake Bot API failing on purpose: start-up calls and the staff
gate's membership check survive 429 and 5xx, everything else is left to its caller, the Sender
retries paced, and an admin notice that cannot go out does not end the content watcher."""
from __future__ import annotations

import dataclasses
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramBadRequest, TelegramServerError
from aiogram.types import BotCommand

from bot.channels.telegram.admin import Reloads
from bot.channels.telegram.pacing import Pacer
from bot.channels.telegram.render import Message
from bot.channels.telegram.retry import RetryPolicy, RetrySafeCalls
from bot.channels.telegram.sender import Blocked, Sender
from bot.config import REPO_ROOT, Settings
from bot.core.content.model import Content
from bot.ops.content_store import ContentStore
from tests.fake_bot_api import FakeBotApi
from tests.fake_bot_api.policies import Faults

QUICK = RetryPolicy(first_pause=0.01)
STAFF = -1001


def retrying_bot(api: FakeBotApi, policy: RetryPolicy = QUICK) -> Bot:
    """A Bot set up like `make_bot`'s, with short pauses."""
    session = AiohttpSession(api=TelegramAPIServer.from_base(api.base_url))
    session.middleware(RetrySafeCalls(policy))
    return Bot(api.token, session=session)


SAFE_CALLS: dict[str, Callable[[Bot], Awaitable[Any]]] = {
    "deleteWebhook": lambda bot: bot.delete_webhook(),
    "setMyCommands": lambda bot: bot.set_my_commands([BotCommand(command="start",
                                                                 description="Start")]),
    "getMe": lambda bot: bot.me(),
    "setWebhook": lambda bot: bot.set_webhook("https://lotse.example/hook"),
    "getChatMember": lambda bot: bot.get_chat_member(STAFF, 7),
}


@pytest.mark.parametrize("method", sorted(SAFE_CALLS))
async def test_a_start_up_call_survives_server_errors(method: str) -> None:
    faults = Faults(rate=1.0, kinds=(500, 502), limit=3, methods=(method,))
    async with FakeBotApi(faults=faults) as api:
        api.group(STAFF, members=[api.user(7)])
        bot = retrying_bot(api)
        await SAFE_CALLS[method](bot)
        await bot.session.close()
    assert [c.ok for c in api.calls_to(method)] == [False, False, False, True]


async def test_a_429_is_waited_out_for_its_retry_after() -> None:
    faults = Faults(rate=1.0, kinds=(429,), retry_after=1, limit=1, methods=("getMe",))
    async with FakeBotApi(faults=faults) as api:
        bot = retrying_bot(api)
        began = time.monotonic()
        assert (await bot.me()).is_bot
        took = time.monotonic() - began
        await bot.session.close()
    assert took >= 1.0
    assert [(c.ok, c.error_code) for c in api.calls_to("getMe")] == [(False, 429), (True, None)]


async def test_the_retries_are_bounded_and_the_last_error_is_raised() -> None:
    async with FakeBotApi(faults=Faults(rate=1.0, kinds=(502,), methods=("getMe",))) as api:
        bot = retrying_bot(api, RetryPolicy(attempts=3, first_pause=0.01))
        with pytest.raises(TelegramServerError, match="Bad Gateway"):
            await bot.get_me()
        await bot.session.close()
    assert [c.ok for c in api.calls_to("getMe")] == [False, False, False]


async def test_other_calls_and_other_errors_are_not_repeated() -> None:
    faults = Faults(rate=1.0, kinds=(502,), limit=1, methods=("sendMessage",))
    async with FakeBotApi(faults=faults) as api:
        api.user(42)
        bot = retrying_bot(api)
        with pytest.raises(TelegramServerError):  # the Sender retries sends, paced
            await bot.send_message(42, "Hallo")
        with pytest.raises(TelegramBadRequest, match="chat not found"):
            await bot.get_chat_member(-1009, 42)
        await bot.session.close()
    assert [c.ok for c in api.calls_to("sendMessage")] == [False]
    assert [c.ok for c in api.calls_to("getChatMember")] == [False]


def test_the_pauses_grow_up_to_the_longest() -> None:
    assert [RetryPolicy().pause(n) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]


async def test_the_sender_retries_paced_and_reports_a_block() -> None:
    faults = Faults(rate=1.0, kinds=(429, 500, 502), limit=3, methods=("sendMessage",))
    async with FakeBotApi(faults=faults) as api:
        person = api.user(42)
        await person.send("/start")
        bot = retrying_bot(api)
        sender = Sender(bot, Pacer(30.0, 1.0), QUICK)
        await sender.send(42, Message("Hallo"))
        person.block()
        with pytest.raises(Blocked):
            await sender.send(42, Message("Noch da?"))
        await bot.session.close()
    assert [m.text for m in api.messages(person)] == ["Hallo"]
    assert [c.ok for c in api.calls_to("sendMessage")] == [False, False, False, True, False]


@pytest.mark.e2e  # a real reload of the shipped content: seconds
async def test_an_admin_notice_that_cannot_go_out_is_logged_not_raised(
        shipped_content: Content, caplog: pytest.LogCaptureFixture) -> None:
    async with FakeBotApi(faults=Faults(rate=1.0, kinds=(502,), methods=("sendMessage",))) as api:
        await api.user(42).send("/start")
        bot = retrying_bot(api)
        sender = Sender(bot, Pacer(30.0, 1.0), RetryPolicy(attempts=2, first_pause=0.01))
        older = dataclasses.replace(shipped_content, version="older")
        reloads = Reloads(ContentStore(older, REPO_ROOT / "translations"), sender,
                          Settings(BOT_TOKEN=api.token, ADMIN_IDS=[42]))
        await reloads.reload_and_tell_admins("files")  # the watcher's loop calls this
        await bot.session.close()
    assert [c.ok for c in api.calls_to("sendMessage")] == [False, False]
    assert "admin=42 not reachable" in caplog.text and "TelegramServerError" in caplog.text
