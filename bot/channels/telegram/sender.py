"""Sending to people on Telegram: paced per chat and overall (`bot.pacing.Pacer`), in order per
chat, waits out 429 `retry_after`, retries 5xx and timeouts with backoff, ignores "message is not
modified", and marks people who blocked the bot instead of retrying."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from aiogram import Bot
from aiogram.exceptions import (TelegramBadRequest, TelegramForbiddenError, TelegramNetworkError,
                                TelegramRetryAfter, TelegramServerError)
from aiogram.types import InlineKeyboardMarkup

from bot.channels.telegram.render import Message
from bot.pacing import Pacer

log = logging.getLogger(__name__)
T = TypeVar("T")
ATTEMPTS = 5
MAX_RETRY_AFTER = 60.0


class Blocked(Exception):
    """The person blocked the bot (403): nothing can reach them until they write again."""


class Sender:
    def __init__(self, bot: Bot, pacer: Pacer) -> None:
        self.bot = bot
        self.pacer = pacer

    async def send(self, chat_id: int, message: Message) -> int:
        """Send `message`; returns Telegram's message id."""
        sent = await self._call(lambda: self.bot.send_message(
            chat_id, message.text, reply_markup=message.keyboard), chat_id)
        return sent.message_id

    async def edit(self, chat_id: int, message_id: int, message: Message) -> bool:
        """Replace a message's text and keyboard; False when Telegram no longer allows it."""
        try:
            await self._call(lambda: self.bot.edit_message_text(
                text=message.text, chat_id=chat_id, message_id=message_id,
                reply_markup=message.keyboard), chat_id)
        except TelegramBadRequest as exc:
            if "message is not modified" in exc.message:
                return True
            log.info("edit failed chat=%s message=%s: %s", chat_id, message_id, exc.message)
            return False
        return True

    async def remove_keyboard(self, chat_id: int, message_id: int,
                              keep: InlineKeyboardMarkup | None = None) -> None:
        """Take the buttons off an older message (best effort)."""
        try:
            await self._call(lambda: self.bot.edit_message_reply_markup(
                chat_id=chat_id, message_id=message_id, reply_markup=keep), chat_id)
        except TelegramBadRequest:
            pass

    async def _call(self, call: Callable[[], Awaitable[T]], chat_id: int) -> T:
        async with self.pacer.ordered(chat_id):
            return await self._attempts(call, chat_id)

    async def _attempts(self, call: Callable[[], Awaitable[T]], chat_id: int) -> T:
        for attempt in range(1, ATTEMPTS + 1):
            await self.pacer.slot(chat_id)
            try:
                return await call()
            except TelegramRetryAfter as exc:
                log.warning("429 chat=%s retry_after=%s", chat_id, exc.retry_after)
                if attempt == ATTEMPTS:
                    raise
                await self.pacer.pause(chat_id, min(float(exc.retry_after), MAX_RETRY_AFTER))
            except (TelegramServerError, TelegramNetworkError) as exc:
                log.warning("telegram error chat=%s attempt=%d: %s", chat_id, attempt,
                            type(exc).__name__)
                if attempt == ATTEMPTS:
                    raise
                await asyncio.sleep(0.5 * 2 ** (attempt - 1))
            except TelegramForbiddenError:
                raise Blocked(chat_id) from None
        raise AssertionError("unreachable")
