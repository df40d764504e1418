"""The fake answers aiogram (and raw HTTP) like Telegram: results, checks and error answers."""
from __future__ import annotations

import aiohttp
import pytest
from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
)

from tests.fake_bot_api import FakeBotApi, Faults, RateLimits
from tests.fake_bot_api.fixtures import bot_for, fake_api, fake_bot  # noqa: F401


def keyboard(*buttons: InlineKeyboardButton) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[list(buttons)])


@pytest.fixture
async def amira(fake_api: FakeBotApi):  # noqa: F811
    user = fake_api.user(42, "Amira", language_code="ar")
    await user.send("/start")
    return user


async def test_send_message_returns_a_full_message(
        fake_api, fake_bot: Bot, amira) -> None:  # noqa: F811
    sent = await fake_bot.send_message(42, "<b>Hallo</b> Amira", parse_mode="HTML",
                                       reply_markup=keyboard(InlineKeyboardButton(
                                           text="Weiter", callback_data="next")))
    assert (sent.text, sent.chat.id, sent.from_user.id) == ("Hallo Amira", 42, 123456)
    assert sent.entities[0].type == "bold"
    seen = await fake_api.wait_for(amira, timeout=1)
    assert (seen.message_id, seen.html, seen.buttons) == (
        sent.message_id, "<b>Hallo</b> Amira", [[("Weiter", "next")]])


@pytest.mark.parametrize("text", ["<foo>x</foo>", "<b>offen", "Tom & Jerry"])
async def test_bad_html_is_rejected(fake_bot: Bot, amira, text: str) -> None:  # noqa: F811
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await fake_bot.send_message(42, text, parse_mode="HTML")


async def test_exact_error_description(fake_bot: Bot, amira) -> None:  # noqa: F811
    with pytest.raises(TelegramBadRequest) as error:
        await fake_bot.send_message(42, "Hallo <foo>", parse_mode="HTML")
    assert error.value.message == ("Bad Request: can't parse entities: Unsupported start tag "
                                   '"foo" at byte offset 6')


async def test_length_is_counted_after_parsing_in_utf16(fake_bot: Bot, amira) -> None:  # noqa: F811
    await fake_bot.send_message(42, "<b>" + "a" * 4096 + "</b>", parse_mode="HTML")
    for too_long in ("a" * 4097, "😀" * 2049):
        with pytest.raises(TelegramBadRequest, match="message is too long"):
            await fake_bot.send_message(42, too_long)
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await fake_bot.send_message(42, "<b> </b>\n", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await fake_bot.send_photo(42, BufferedInputFile(b"x", "p.jpg"), caption="c" * 1025)


@pytest.mark.parametrize(("button", "error"), [
    (InlineKeyboardButton(text="x", callback_data="ä" * 33), "BUTTON_DATA_INVALID"),
    (InlineKeyboardButton(text="x", callback_data="d" * 65), "BUTTON_DATA_INVALID"),
    (InlineKeyboardButton(text="x", url="ftp://example.org"), "BUTTON_URL_INVALID"),
    (InlineKeyboardButton(text="", callback_data="d"), "text buttons are unsupported"),
])
async def test_invalid_buttons(fake_bot: Bot, amira, button, error: str) -> None:  # noqa: F811
    with pytest.raises(TelegramBadRequest, match=error):
        await fake_bot.send_message(42, "Menü", reply_markup=keyboard(button))
    await fake_bot.send_message(42, "ok", reply_markup=keyboard(
        InlineKeyboardButton(text="x", callback_data="d" * 64)))


async def test_edit_rules(fake_api, fake_bot: Bot, amira) -> None:  # noqa: F811
    markup = keyboard(InlineKeyboardButton(text="Ja", callback_data="yes"))
    sent = await fake_bot.send_message(42, "Frage?", reply_markup=markup)
    with pytest.raises(TelegramBadRequest, match="message is not modified: specified new message "
                                                 "content and reply markup are exactly the same"):
        await fake_bot.edit_message_text("Frage?", chat_id=42, message_id=sent.message_id,
                                         reply_markup=markup)
    await fake_bot.edit_message_text("Frage?", chat_id=42, message_id=sent.message_id)
    assert fake_api.messages(42)[-1].buttons == []  # edit without markup drops the keyboard
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await fake_bot.edit_message_text("x", chat_id=42, message_id=999)
    assert await fake_bot.delete_message(42, sent.message_id)
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await fake_bot.delete_message(42, sent.message_id)


async def test_chat_errors(fake_api, fake_bot: Bot, amira) -> None:  # noqa: F811
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await fake_bot.send_message(777, "hallo")
    fake_api.user(43)
    with pytest.raises(TelegramForbiddenError, match="bot can't initiate conversation"):
        await fake_bot.send_message(43, "hallo")
    amira.block()
    with pytest.raises(TelegramForbiddenError, match="Forbidden: bot was blocked by the user"):
        await fake_bot.send_message(42, "hallo")
    assert fake_api.messages(42) == []


async def test_callback_query_can_be_answered_once(
        fake_api, fake_bot: Bot, amira) -> None:  # noqa: F811
    await fake_bot.send_message(42, "?", reply_markup=keyboard(
        InlineKeyboardButton(text="Ja", callback_data="yes")))
    press = await amira.press("Ja")
    await fake_bot.answer_callback_query(press.id, text="Danke")
    assert (await press.wait_answered(1))["text"] == "Danke"
    with pytest.raises(TelegramBadRequest, match="query is too old and response timeout expired"):
        await fake_bot.answer_callback_query(press.id)


async def test_files_round_trip(fake_api, fake_bot: Bot, amira) -> None:  # noqa: F811
    sent = await fake_bot.send_document(42, BufferedInputFile(b"%PDF", "info.pdf"))
    assert sent.document.file_name == "info.pdf"
    voice = await amira.send_voice(b"OggS-voice")
    file = await fake_bot.get_file(voice.content["voice"]["file_id"])
    assert (await fake_bot.download_file(file.file_path)).read() == b"OggS-voice"
    copy = await fake_bot.copy_message(42, 42, voice.message_id)
    assert fake_api.messages(42)[-1].kind == "voice" and copy.message_id > voice.message_id


async def test_raw_protocol(fake_api: FakeBotApi, amira) -> None:  # noqa: F811
    base = f"{fake_api.base_url}/bot{fake_api.token}"
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{fake_api.base_url}/bot1:WRONG/getMe") as resp:
            assert (resp.status, await resp.json()) == (
                401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        async with http.get(f"{base}/noSuchMethod") as resp:
            assert (resp.status, (await resp.json())["description"]) == (404, "Not Found")
        async with http.post(f"{base}/sendMessage", json={
                "chat_id": 42, "text": "json", "reply_markup": {"inline_keyboard": [[
                    {"text": "a", "callback_data": "b"}]]}}) as resp:
            markup = (await resp.json())["result"]["reply_markup"]
            assert markup["inline_keyboard"][0][0]["text"] == "a"
        query = {"chat_id": "42", "text": "query"}
        async with http.get(f"{base}/sendmessage", params=query) as resp:
            assert (await resp.json())["ok"]
    assert [m.text for m in fake_api.messages(42)] == ["json", "query"]


async def test_rate_limit_answers_429_and_records_violations() -> None:
    async with FakeBotApi(rate_limits=RateLimits(private_burst=2)) as api:
        await api.user(42).send("hi")
        bot = bot_for(api)
        await bot.send_message(42, "1")
        await bot.send_message(42, "2")
        with pytest.raises(TelegramRetryAfter) as error:
            await bot.send_message(42, "3")
        await bot.session.close()
    assert error.value.retry_after >= 1
    assert [(v.chat_id, v.scope) for v in api.rate_violations] == [(42, "private")]
    assert len(api.messages(42)) == 2


async def test_injected_faults_happen_before_the_call_takes_effect() -> None:
    async with FakeBotApi(faults=Faults(rate=1.0, kinds=(502,), latency=(0.01, 0.02))) as api:
        await api.user(42).send("hi")
        bot = bot_for(api)
        with pytest.raises(TelegramServerError, match="Bad Gateway"):
            await bot.send_message(42, "lost")
        await bot.session.close()
    assert api.messages(42) == [] and api.injected_faults == [("sendMessage", 502)]
    assert [(c.method, c.ok, c.error_code) for c in api.calls] == [("sendMessage", False, 502)]


async def test_commands_and_members(fake_api: FakeBotApi, fake_bot: Bot) -> None:  # noqa: F811
    scope = BotCommandScopeAllPrivateChats()
    await fake_bot.set_my_commands([BotCommand(command="start", description="Beginnen")],
                                   scope=scope, language_code="de")
    assert fake_api.commands({"type": "all_private_chats"}, "de") == [
        {"command": "start", "description": "Beginnen"}]
    assert [c.command for c in await fake_bot.get_my_commands(scope=scope, language_code="de")] \
        == ["start"]
    assert await fake_bot.get_my_commands() == []
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await fake_bot.set_my_commands([BotCommand(command="Start!", description="x")])
    staff = fake_api.user(7)
    group = fake_api.group(-1001, members=[staff], admins=[fake_api.user(8)])
    assert (await fake_bot.get_chat_member(group.chat_id, 7)).status == "member"
    fake_api.user(9)
    assert (await fake_bot.get_chat_member(group.chat_id, 9)).status == "left"
    admins = await fake_bot.get_chat_administrators(group.chat_id)
    assert sorted(a.user.id for a in admins) == [8, 123456]
    assert (await fake_bot.get_chat(group.chat_id)).is_forum
