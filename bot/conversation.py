"""One person's event through the engine: load their state, step, save it, carry out the effects.

Every channel (Telegram, the console) calls `Conversations.handle`; the engine itself stays pure."""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from bot.core.content.model import Content
from bot.core.engine import step
from bot.core.events import Event, Handoff, Reply, SetLocale
from bot.core.state import State
from bot.storage.repository import Storage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Person:
    """Who wrote: a channel and the channel's id for them (never a name)."""

    channel: str
    external_id: str


class Conversations:
    def __init__(self, storage: Storage, content: Callable[[], Content]) -> None:
        self.storage = storage
        self.content = content
        """The content now live (a reload swaps what this returns)."""

    async def handle(self, person: Person, event: Event) -> list[Reply]:
        content = self.content()
        user = await self.storage.user(person.channel, person.external_id)
        state = State.from_json(await self.storage.load_state(user.id))
        if state.locale is None and user.locale:
            state.locale = user.locale
        result = step(content, state, event)
        for effect in result.effects:
            if isinstance(effect, SetLocale):
                await self.storage.set_locale(user.id, effect.locale)
            elif isinstance(effect, Handoff):
                log.info("handoff requested user=%s topic=%s", user.id, effect.topic)
        await self.storage.save_state(user.id, result.state.to_json(), content.version)
        log.debug("event=%s user=%s replies=%d", type(event).__name__, user.id,
                  len(result.replies))
        return result.replies

    async def blocked(self, person: Person) -> None:
        """The person blocked the bot: stop sending to them until they write again."""
        user = await self.storage.user(person.channel, person.external_id)
        await self.storage.mark_blocked(user.id)
