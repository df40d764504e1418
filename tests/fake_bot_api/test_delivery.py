"""Updates reach the bot: long polling, a real aiogram Dispatcher, webhooks, forum topics."""
from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from aiogram import Bot, Dispatcher, F
from aiogram.exceptions import TelegramBadRequest, TelegramConflictError
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiohttp import web

from tests.fake_bot_api import FakeBotApi
from tests.fake_bot_api.fixtures import fake_api, fake_bot  # noqa: F401


async def test_long_poll_returns_when_a_user_writes(
        fake_api: FakeBotApi, fake_bot: Bot) -> None:  # noqa: F811
    user = fake_api.user(42, "Amira", language_code="ar")
    poll = asyncio.create_task(fake_bot.get_updates(timeout=5))
    await fake_api.wait_until(lambda: fake_api.polls_started == 1)  # waiting in the server
    assert not poll.done()
    started = time.monotonic()
    await user.send("/start de")
    [update] = await poll
    assert time.monotonic() - started < 1
    assert update.message.text == "/start de" and update.message.from_user.language_code == "ar"
    assert update.message.entities[0].type == "bot_command"
    assert await fake_bot.get_updates(offset=update.update_id + 1, timeout=0) == []


async def test_redelivered_update_keeps_its_id(
        fake_api: FakeBotApi, fake_bot: Bot) -> None:  # noqa: F811
    await fake_api.user(42).send("eins")
    [first] = await fake_bot.get_updates()
    fake_api.redeliver(first.update_id)
    [again] = await fake_bot.get_updates(offset=first.update_id + 1)
    assert again.update_id == first.update_id and again.message.text == "eins"
    assert await fake_bot.get_updates(offset=first.update_id + 1) == []


async def test_dispatcher_echo_bot(fake_api: FakeBotApi, fake_bot: Bot) -> None:  # noqa: F811
    dp = Dispatcher()

    @dp.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(f"<i>{message.text}</i>", parse_mode="HTML",
                             reply_markup=InlineKeyboardMarkup(inline_keyboard=[[
                                 InlineKeyboardButton(text="Nochmal", callback_data="again")]]))

    @dp.callback_query(F.data == "again")
    async def again(query: CallbackQuery) -> None:
        await query.answer("ok")
        await query.message.edit_text("erledigt")

    polling = asyncio.create_task(dp.start_polling(fake_bot, handle_signals=False,
                                                   polling_timeout=1))
    user = fake_api.user(42)
    await user.send("Merhaba")
    reply = await fake_api.wait_for(user, timeout=5)
    assert (reply.text, reply.html) == ("Merhaba", "<i>Merhaba</i>")
    press = await user.press("Nochmal")
    assert (await press.wait_answered(5))["text"] == "ok"
    await fake_api.wait_until(lambda: reply.text == "erledigt", timeout=5)
    await dp.stop_polling()
    await asyncio.wait_for(polling, 5)


async def test_webhook_delivery_with_secret(
        fake_api: FakeBotApi, fake_bot: Bot) -> None:  # noqa: F811
    received: list[tuple[str | None, dict[str, Any]]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"),
                         await request.json()))
        # Answer with a method call in the response body, as aiogram's webhook handler can.
        return web.json_response({"method": "sendMessage", "chat_id": 42, "text": "per Webhook"})

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
        assert await fake_bot.set_webhook(url, secret_token="s3cret")
        with pytest.raises(TelegramConflictError):
            await fake_bot.get_updates()
        await fake_api.user(42).send("hallo")
        reply = await fake_api.wait_for(42, timeout=5)
        assert reply.text == "per Webhook"
        [(secret, update)] = received
        assert secret == "s3cret" and update["message"]["text"] == "hallo"
        assert (await fake_bot.get_webhook_info()).pending_update_count == 0
    finally:
        await runner.cleanup()


async def test_forum_topics(fake_api: FakeBotApi, fake_bot: Bot) -> None:  # noqa: F811
    staff = fake_api.user(7, "Berater")
    group = fake_api.group(-1001, "Beratung", forum=True, members=[staff])
    fake_api.group(-1002, "Plain", forum=False)
    with pytest.raises(TelegramBadRequest, match="the chat is not a forum"):
        await fake_bot.create_forum_topic(-1002, "x")
    topic = await fake_bot.create_forum_topic(-1001, "Fall #1 Amira")
    assert [t.name for t in fake_api.topics(group)] == ["Fall #1 Amira"]
    sent = await fake_bot.send_message(
        -1001, "Neue Anfrage", message_thread_id=topic.message_thread_id,
        reply_markup=InlineKeyboardMarkup(inline_keyboard=[[
            InlineKeyboardButton(text="Übernehmen", callback_data="take:1")]]))
    assert sent.message_thread_id == topic.message_thread_id and sent.is_topic_message
    with pytest.raises(TelegramBadRequest, match="message thread not found"):
        await fake_bot.send_message(-1001, "x", message_thread_id=9999)
    seen = await fake_api.wait_for(group, thread_id=topic.message_thread_id, timeout=1)
    await staff.send("Ich übernehme", chat=group, reply_to=seen)
    await staff.press("Übernehmen", chat=group)
    message_update, callback_update = await fake_bot.get_updates()
    assert message_update.message.message_thread_id == topic.message_thread_id
    assert message_update.message.reply_to_message.message_id == sent.message_id
    assert callback_update.callback_query.data == "take:1"
    assert await fake_bot.close_forum_topic(-1001, topic.message_thread_id)
    with pytest.raises(TelegramBadRequest, match="TOPIC_CLOSED"):
        await fake_bot.send_message(-1001, "x", message_thread_id=topic.message_thread_id)
    assert await fake_bot.delete_forum_topic(-1001, topic.message_thread_id)
    assert fake_api.topics(group) == [] and fake_api.messages(group) == []
