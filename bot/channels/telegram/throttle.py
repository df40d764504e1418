"""Per-person throttling in private chats: a token bucket per Telegram user (`bot.shared.buckets`,
shared by all instances through Redis). A flood gets one calm "slow down" in the person's
language; the rest of it is dropped until the bucket refills."""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Any

from aiogram import BaseMiddleware, Dispatcher
from aiogram.enums import ChatType
from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery, Chat, TelegramObject, User

from bot.channels.telegram.render import Message
from bot.channels.telegram.sender import Blocked, Sender
from bot.channels.telegram.users import person
from bot.config import Settings
from bot.core import bidi
from bot.core.content.model import Content
from bot.core.i18n import N_
from bot.core.telegram_html import escape
from bot.services.conversation import Conversations
from bot.shared.buckets import Bucket, Buckets

log = logging.getLogger(__name__)
SLOW_DOWN = N_("You are sending messages very fast. Please wait a moment, then write again.")


class Verdict(Enum):
    PASS = "pass"
    """Handle the update."""
    WARN = "warn"
    """The first update of a flood that is not handled: say "slow down" once."""
    DROP = "drop"
    """Not handled, nothing said."""


def slow_down_text(content: Content, locale: str) -> str:
    return bidi.for_locale(escape(content.ui.get(locale).gettext(SLOW_DOWN)), locale)


class Throttle(BaseMiddleware):
    """Outer middleware for messages and button presses; other chats pass untouched."""

    def __init__(self, buckets: Buckets, burst: int, per_second: float) -> None:
        self.buckets = buckets
        self.burst = burst
        self.per_second = per_second

    async def verdict(self, user_id: int) -> Verdict:
        """Draw from the person's bucket: a flood (refusals until the bucket is full again) is
        warned about once."""
        taken = await self.buckets.take(Bucket(f"throttle:{user_id}", self.per_second, self.burst))
        if taken.wait == 0:
            return Verdict.PASS
        return Verdict.WARN if taken.flood_began else Verdict.DROP

    async def __call__(self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
                       event: TelegramObject, data: dict[str, Any]) -> Any:
        chat: Chat | None = data.get("event_chat")
        user: User | None = data.get("event_from_user")
        if chat is None or user is None or chat.type != ChatType.PRIVATE:
            return await handler(event, data)
        verdict = await self.verdict(user.id)
        if verdict is Verdict.PASS:
            return await handler(event, data)
        if isinstance(event, CallbackQuery):
            await _stop_spinner(event)
        if verdict is Verdict.WARN:
            log.info("throttled user=%s", user.id)
            await slow_down(user, data["conversations"], data["sender"])
        return None


async def _stop_spinner(query: CallbackQuery) -> None:
    """A pressed button that is not handled still gets its answer (best effort)."""
    try:
        await query.answer()
    except TelegramAPIError:
        pass


async def slow_down(user: User, conversations: Conversations, sender: Sender) -> None:
    content = conversations.content()
    someone = person(user)
    record = await conversations.storage.user(someone.channel, someone.external_id)
    client = (user.language_code or "").split("-")[0]
    locale = record.locale or (client if client in content.languages.languages else
                               content.languages.default_language)
    try:
        await sender.send(user.id, Message(slow_down_text(content, locale)))
    except Blocked:
        pass


def install(dispatcher: Dispatcher, settings: Settings, buckets: Buckets) -> None:
    """Throttle what people send in private chats (after de-duplication, before any handler)."""
    throttle = Throttle(buckets, settings.THROTTLE_BURST, settings.THROTTLE_PER_SECOND)
    dispatcher.message.outer_middleware(throttle)
    dispatcher.callback_query.outer_middleware(throttle)
