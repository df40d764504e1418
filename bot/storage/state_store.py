"""What the conversation needs from wherever its state is kept: the database (`Storage`) by
default, or Redis (`RedisStates`) when REDIS_URL is set."""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Protocol


class StateStore(Protocol):
    """Conversation state per user: a JSON-able dict, replaced whole, saved against the version
    of the content it was made with."""

    async def load_state(self, user_id: int) -> dict[str, Any] | None:
        """The saved state, or None when the user has none."""
        ...

    async def save_state(
        self, user_id: int, data: dict[str, Any], content_version: str | None
    ) -> None: ...

    async def delete_state(self, user_id: int) -> None:
        """Forget the user's state; deleting nothing is fine."""
        ...


STATE_RETENTION = timedelta(days=30)
"""How long the conversation state of a person who stopped writing is kept (both stores)."""
