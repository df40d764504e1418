"""People's private chats as the outbox's `PersonChannel`: what counsellors relay and the replies
written for the person (after a claim or close, canned replies), paced with the bot's direct
replies (`pacing.Pacer`, one chat's messages one after another) and a short 429 waited out inside the row."""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TypeVar

from aiogram import Bot
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError, TelegramRetryAfter
from aiogram.types import InlineKeyboardMarkup

from bot.channels.telegram.buttons import OriginalButton, keyboard
from bot.channels.telegram.calls import (
    NO_PREVIEW,
    caption,
    classified,
    describe,
    rate_limited,
    send_media,
)
from bot.channels.telegram.pacing import Pacer
from bot.channels.telegram.render import messages
from bot.core import telegram_html
from bot.core.events import Reply
from bot.core.telegram_html import escape
from bot.handoff.delivery import PersonGone, Relayed

T = TypeVar("T")


def _gone(exc: TelegramAPIError) -> PersonGone | None:
    """403: the person blocked the bot; 400 chat not found: the account is gone."""
    if isinstance(exc, TelegramForbiddenError):
        return PersonGone(describe(exc), blocked=True)
    if "chat not found" in exc.message.lower():
        return PersonGone(describe(exc), blocked=False)
    return None


def _shown(message: Relayed, beside_media: bool = False) -> tuple[str, InlineKeyboardMarkup | None]:
    """A counsellor's text as the person gets it: as written, or its translation marked, with the
    button that shows the original, or the original marked as not translated; `beside_media`:
    the message after a medium whose caption shows the original (the translation, or the mark
    alone)."""
    translated = message.translated
    original = "" if beside_media else escape(message.text or "")
    if translated is None:
        return original, None
    button = None
    if translated.original is not None:
        label, message_id = translated.original
        button = keyboard([[(label, OriginalButton(message=message_id))]])
    text = original if translated.text is None else translated.text
    return (text + "\n\n" if text else "") + f"<i>{escape(translated.label)}</i>", button


class People:
    """`person` is the Telegram user id (their private chat), as text."""

    def __init__(self, bot: Bot, pacer: Pacer,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.bot = bot
        self.pacer = pacer
        """Shared with the bot's direct replies, so both count against the same limits."""
        self.sleep = sleep

    async def delay(self, person: str) -> float:
        return await self.pacer.delay(int(person))

    async def relay(self, person: str, message: Relayed) -> None:
        chat = int(person)
        with classified(_gone):
            if message.kind == "text" or message.file_id is None:
                await self._text(chat, *_shown(message))
                return
            text = caption(message.text) if message.text else None
            kind, file_id = message.kind, message.file_id
            await self._call(chat, lambda: send_media(self.bot, chat, kind, file_id, text, None))
            if message.translated is not None:  # the caption's translation, beneath
                await self._text(chat, *_shown(message, beside_media=True))

    async def reply(self, person: str, reply: Reply) -> None:
        chat = int(person)
        with classified(_gone):
            for message in messages(reply):
                await self._text(chat, message.text, message.keyboard)

    async def _text(self, chat: int, text: str, keyboard: InlineKeyboardMarkup | None) -> None:
        parts = telegram_html.split(text)
        for i, part in enumerate(parts):
            markup = keyboard if i == len(parts) - 1 else None
            await self._call(chat, partial(
                self.bot.send_message, chat, part, parse_mode=ParseMode.HTML,
                reply_markup=markup, link_preview_options=NO_PREVIEW))

    async def _call(self, chat: int, call: Callable[[], Awaitable[T]]) -> T:
        """One call into a person's chat, paced and in line with the bot's direct replies."""
        async with self.pacer.ordered(chat):
            while True:
                await self.pacer.slot(chat)
                try:
                    return await call()
                except TelegramRetryAfter as exc:
                    await self.pacer.pause(chat, exc.retry_after)
                    rate_limited("person chat", exc)
                    await self.sleep(exc.retry_after)
