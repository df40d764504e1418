"""Sending to people on Telegram: paced per chat and overall (`pacing.Pacer`), in order per chat,
retried by the `RetryPolicy` (429 `retry_after`, 5xx and timeouts), ignores "message is not
modified", and marks people who blocked the bot instead of retrying."""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import InputFile

from bot.channels.telegram.pacing import Pacer
from bot.channels.telegram.render import Message
from bot.channels.telegram.retry import DEFAULT_POLICY, RetryPolicy
from bot.ops import metrics

log = logging.getLogger(__name__)
T = TypeVar("T")


class Blocked(Exception):
    """The person blocked the bot (403): nothing can reach them until they write again."""


class Sender:
    def __init__(self, bot: Bot, pacer: Pacer, policy: RetryPolicy = DEFAULT_POLICY) -> None:
        self.bot = bot
        self.pacer = pacer
        self.policy = policy

    async def send(self, chat_id: int, message: Message) -> int:
        """Send `message`; returns Telegram's message id."""
        sent = await self._call(lambda: self.bot.send_message(
            chat_id, message.text, reply_markup=message.keyboard), chat_id)
        metrics.REPLIES.labels("sent").inc()
        return sent.message_id

    async def send_voice(self, chat_id: int, voice: str | InputFile,
                         seconds: float | None = None) -> str | None:
        """Send a voice note (a file id, or OGG/Opus bytes as an `InputFile`); returns the file
        id Telegram keeps it under."""
        sent = await self._call(lambda: self.bot.send_voice(
            chat_id, voice, duration=None if seconds is None else max(1, round(seconds))),
            chat_id)
        metrics.REPLIES.labels("sent").inc()
        return sent.voice.file_id if sent.voice is not None else None

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
        metrics.REPLIES.labels("edited").inc()
        return True

    async def _call(self, call: Callable[[], Awaitable[T]], chat_id: int) -> T:
        async with self.pacer.ordered(chat_id):
            try:
                return await self.policy.run(
                    call, chat_id=chat_id, before_attempt=lambda: self.pacer.slot(chat_id),
                    hold=lambda seconds: self.pacer.pause(chat_id, seconds))
            except TelegramForbiddenError:
                raise Blocked(chat_id) from None
