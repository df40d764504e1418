"""One person's updates one after another, in update_id order, whichever instances receive them:
each update waits for the person's lock, taken in update_id order (`bot.shared.person_locks`)."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update, User

from bot.shared.person_locks import PersonLocks


class InOrder(BaseMiddleware):
    """Outer update middleware, after de-duplication. Updates without a sender pass at once.

    The order is that of the updates waiting at the same time; so that an earlier update is
    already waiting when a later one of the same person arrives, webhook mode answers Telegram
    only after handling (Telegram sends a chat's next update after the answer to the last)."""

    def __init__(self, person_locks: PersonLocks) -> None:
        self.person_locks = person_locks

    async def __call__(self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
                       event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        user: User | None = data.get("event_from_user")
        if user is None:
            return await handler(event, data)
        async with self.person_locks.hold(f"telegram:{user.id}", event.update_id):
            return await handler(event, data)
