"""Who may act on cases in the staff group (`staff.py`): its members, asked of Telegram and
remembered for a few minutes, and ADMIN_IDS."""
from __future__ import annotations

import logging
import time
from collections.abc import Iterable

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError

log = logging.getLogger(__name__)

STAFF_STATUSES = frozenset({"creator", "administrator", "member"})
MEMBERSHIP_TTL_SECONDS = 300.0


class StaffGate:
    """Who may act on cases: members of the staff group (asked with getChatMember, remembered
    for a few minutes) and ADMIN_IDS."""

    def __init__(self, bot: Bot, staff_chat_id: int, admin_ids: Iterable[int] = (),
                 ttl: float = MEMBERSHIP_TTL_SECONDS) -> None:
        self.bot = bot
        self.staff_chat_id = staff_chat_id
        self.admin_ids = frozenset(admin_ids)
        self.ttl = ttl
        self._known: dict[int, tuple[bool, float]] = {}

    async def allows(self, user_id: int) -> bool:
        if user_id in self.admin_ids:
            return True
        known = self._known.get(user_id)
        if known is not None and known[1] > time.monotonic():
            return known[0]
        try:
            member = await self.bot.get_chat_member(self.staff_chat_id, user_id)
        except TelegramAPIError as exc:
            log.warning("membership check failed user=%s: %s", user_id, type(exc).__name__)
            return False  # not remembered: the next try asks again
        allowed = member.status in STAFF_STATUSES
        self._known[user_id] = (allowed, time.monotonic() + self.ttl)
        return allowed
