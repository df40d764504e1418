"""The web workspace as the outbox's staff channel, when it is the only one (WEB_LISTEN without
STAFF_CHAT_ID): the workspace draws every case from the database, so the staff rows (the note,
relays, notices) have nothing left to send and are marked delivered at once. With the Telegram
group configured too, the group is the outbox's staff channel and the workspace needs none.

A case's "topic" here is a placeholder (0): no topic exists outside Telegram."""
from __future__ import annotations

from bot.handoff.delivery import CaseNote, Prompt, Relayed

NO_TOPIC = 0


class WebDesk:
    """A `bot.handoff.delivery.StaffChannel` that sends nothing."""

    where = "WEB_LISTEN (the web workspace)"

    def delay(self) -> float:
        return 0.0

    def start_spent(self) -> None:
        pass

    async def open_topic(self, name: str) -> int:
        return NO_TOPIC

    async def post_note(self, topic: int, note: CaseNote) -> int:
        return NO_TOPIC

    async def update_note(self, topic: int, message_id: int, note: CaseNote) -> None:
        pass

    async def relay(self, topic: int, message: Relayed) -> None:
        pass

    async def notice(self, topic: int, text: str) -> None:
        pass

    async def erase_topic(self, topic: int, notice: str) -> None:
        pass

    async def delete_topic(self, topic: int) -> None:
        pass

    async def prompt(self, topic: int | None, prompt: Prompt) -> None:
        pass
