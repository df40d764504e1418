"""What aiogram makes of the Bot API traffic the bot has, printed as one JSON document, so that
tests/test_lazy_models.py can compare aiogram with and without bot/ops/lazy_models.py.

Against the fake Bot API: every kind of update it sends (messages of each kind, an edit, a button
press, a group message in a forum topic, a block as my_chat_member), parsed by `get_updates`; and
every method the bot calls, built with the types the bot builds (inline keyboards, link preview
options, commands and their scope), serialised as aiogram's session serialises it and answered.

Run: python -m tests.lazy_models_probe [--shim]. Without --shim it must not import `bot` (whose
`__init__` installs the shim): it is plain aiogram then."""
from __future__ import annotations

import asyncio
import json
import sys
from typing import Any


def timeless(answer: Any) -> Any:
    """An answer as JSON, without the dates (the fake stamps messages with the clock)."""
    if isinstance(answer, list):
        return [timeless(item) for item in answer]
    if isinstance(answer, dict):
        return {key: "<date>" if key.endswith("date") else timeless(value)
                for key, value in answer.items()}
    if hasattr(answer, "model_dump"):
        return timeless(answer.model_dump(mode="json"))
    return answer


async def traffic() -> dict[str, Any]:
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.methods import TelegramMethod
    from aiogram.types import (
        BotCommand,
        BotCommandScopeAllPrivateChats,
        InlineKeyboardButton,
        InlineKeyboardMarkup,
        LinkPreviewOptions,
    )

    from tests.fake_bot_api import FakeBotApi
    from tests.fake_bot_api.fixtures import bot_for

    sent: list[dict[str, Any]] = []
    answers: list[Any] = []

    async with FakeBotApi() as api:
        bot = bot_for(api)
        session: AiohttpSession = bot.session  # type: ignore[assignment]

        async def call(method: TelegramMethod[Any]) -> Any:
            files: dict[str, Any] = {}
            sent.append({"method": method.__api_method__, "form": {
                key: session.prepare_value(value, bot=bot, files=files)
                for key, value in method.model_dump(warnings=False).items()}})
            answer = await bot(method)
            answers.append(timeless(answer))
            return answer

        from aiogram import methods
        person = api.user(501, "Ada", language_code="de")
        counsellor = api.user(502, "Ben")
        staff = api.group(-100501, members=[counsellor])
        keyboard = InlineKeyboardMarkup(inline_keyboard=[
            [InlineKeyboardButton(text="Ja", callback_data="yes")],
            [InlineKeyboardButton(text="Seite", url="https://example.org/")]])
        written = await person.send("/start hallo")  # the bot may write to them from now on
        me = await call(methods.GetMe())
        await call(methods.SetWebhook(url="https://example.org/hook", secret_token="s"))
        await call(methods.DeleteWebhook(drop_pending_updates=False))
        await call(methods.GetWebhookInfo())
        await call(methods.SetMyCommands(
            commands=[BotCommand(command="start", description="Start")],
            scope=BotCommandScopeAllPrivateChats(), language_code="de"))
        await call(methods.GetChat(chat_id=staff.chat_id))
        await call(methods.GetChatMember(chat_id=staff.chat_id, user_id=me.id))
        message = await call(methods.SendMessage(
            chat_id=person.id, text="<b>Hallo</b>", parse_mode="HTML", reply_markup=keyboard,
            link_preview_options=LinkPreviewOptions(is_disabled=True)))
        await call(methods.EditMessageText(
            chat_id=person.id, message_id=message.message_id, text="Hallo", parse_mode="HTML",
            reply_markup=keyboard))
        await call(methods.EditMessageReplyMarkup(
            chat_id=person.id, message_id=message.message_id,
            reply_markup=InlineKeyboardMarkup(inline_keyboard=keyboard.inline_keyboard[:1])))
        topic = await call(methods.CreateForumTopic(chat_id=staff.chat_id, name="Fall 1"))
        await call(methods.SendMessage(chat_id=staff.chat_id, text="Notiz",
                                       message_thread_id=topic.message_thread_id))
        await call(methods.EditForumTopic(chat_id=staff.chat_id,
                                          message_thread_id=topic.message_thread_id, name="Fall"))

        await person.edit(written, "/start")
        await person.send_photo(caption="Bild")
        await person.send_voice()
        await person.send_document()
        await person.send_sticker()
        await person.send_location()
        await person.send_contact("+0000")
        callback = await person.press("Ja")
        await counsellor.send("Antwort", chat=staff, thread_id=topic.message_thread_id)
        person.block()
        updates = await call(methods.GetUpdates(offset=0, timeout=0))
        await call(methods.AnswerCallbackQuery(callback_query_id=callback.id, text="Danke"))
        await call(methods.DeleteForumTopic(chat_id=staff.chat_id,
                                            message_thread_id=topic.message_thread_id))
        await bot.session.close()
    return {"sent": sent, "answers": answers,
            "update_kinds": sorted({kind for update in updates for kind, value
                                    in update.model_dump(exclude_none=True).items()
                                    if kind != "update_id" and value is not None})}


def built_at_import() -> int:
    """How many of aiogram's types and methods have their validator built once it is imported."""
    import aiogram
    from aiogram import methods, types
    from pydantic import BaseModel
    del aiogram
    models = [value for module in (types, methods) for value in vars(module).values()
              if isinstance(value, type) and issubclass(value, BaseModel)]
    return sum(model.__pydantic_complete__ for model in models)


def main() -> None:
    effect = None
    if "--shim" in sys.argv:
        from bot.ops import lazy_models  # `bot` installs the shim
        effect = lazy_models.effect
    elif "bot" in sys.modules:
        raise SystemExit("plain aiogram wanted, but `bot` is imported")
    built = built_at_import()
    print(json.dumps({**asyncio.run(traffic()), "built_at_import": built,
                      "deferred": None if effect is None else len(effect.deferred),
                      "methods_deferred": None if effect is None else effect.methods_deferred},
                     default=str, sort_keys=True))

if __name__ == "__main__":
    main()
