"""The floor for the throughput figure: a minimal aiogram bot that echoes every text message and
answers every button press, served by long polling like `lotse run`. No database, no flows.

Run: BOT_TOKEN=... TELEGRAM_API_BASE=http://127.0.0.1:PORT python bench/echo_bot.py"""
from __future__ import annotations

import asyncio
import os

from aiogram import Bot, Dispatcher, F
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import CallbackQuery, Message

dispatcher = Dispatcher()


@dispatcher.message(F.text)
async def echo(message: Message) -> None:
    await message.answer(message.text or "")


@dispatcher.callback_query()
async def pressed(query: CallbackQuery) -> None:
    await query.answer()


async def main() -> None:
    session = AiohttpSession(api=TelegramAPIServer.from_base(os.environ["TELEGRAM_API_BASE"]))
    bot = Bot(os.environ["BOT_TOKEN"], session=session)
    await dispatcher.start_polling(bot, handle_signals=True)


if __name__ == "__main__":
    asyncio.run(main())
