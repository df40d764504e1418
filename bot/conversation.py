"""One person's event through the engine: load their state, step, save it, carry out the effects.

Every channel (Telegram, the console) calls `Conversations.handle`; the engine itself stays pure."""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from bot.core.content.model import Content
from bot.core.engine import step
from bot.core.events import (CaseOpened, Effect, EraseMe, Event, GiveConsent, MarkUrgent,
                             OpenCase, RateCase, RelayToCase, Reply, SetLocale)
from bot.core.state import State
from bot.handoff.cases import Cases
from bot.handoff.erasure import erase_person
from bot.storage.models import utcnow
from bot.storage.repository import Storage, UserRecord
from bot.storage.state_store import StateStore
from bot.usage import Usage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Person:
    """Who wrote: a channel and the channel's id for them (never a name)."""

    channel: str
    external_id: str


class Conversations:
    def __init__(self, storage: Storage, content: Callable[[], Content],
                 on_case_change: Callable[[], None] = lambda: None,
                 states: StateStore | None = None) -> None:
        self.storage = storage
        self.states: StateStore = storage if states is None else states
        """Where conversation state is kept: the database, or Redis when REDIS_URL is set."""
        self.content = content
        """The content now live (a reload swaps what this returns)."""
        self.cases = Cases(storage, content)
        self.usage = Usage(storage)
        self.on_case_change = on_case_change
        """Called when something waits in the outbox (wakes the delivery worker)."""

    async def handle(self, person: Person, event: Event) -> list[Reply]:
        content = self.content()
        user = await self.storage.user(person.channel, person.external_id)
        state = State.from_json(await self.states.load_state(user.id))
        if state.locale is None and user.locale:
            state.locale = user.locale
        result = step(content, state, event)
        replies = list(result.replies)
        if EraseMe() in result.effects:
            numbers = await erase_person(self.storage, user.id, utcnow())
            await self.states.delete_state(user.id)  # Redis keeps its own copy
            log.info("erased user=%s cases=%s", user.id, numbers)
            self.on_case_change()
            return replies  # nothing is saved again: the person starts afresh
        effects = list(result.effects)
        for effect in result.effects:
            follow_up = await self.carry_out(user, effect)
            if follow_up is not None:
                result = step(content, result.state, follow_up)
                replies += result.replies
        await self.usage.record(content, state, result.state, effects, utcnow())
        await self.states.save_state(user.id, result.state.to_json(), content.version)
        log.debug("event=%s user=%s replies=%d", type(event).__name__, user.id, len(replies))
        return replies

    async def carry_out(self, user: UserRecord, effect: Effect) -> Event | None:
        """Do what the engine asked; some effects answer with an event for the engine."""
        if isinstance(effect, SetLocale):
            await self.storage.set_locale(user.id, effect.locale)
        elif isinstance(effect, GiveConsent):
            await self.storage.set_consent(user.id, utcnow())
            log.info("consent user=%s", user.id)
        elif isinstance(effect, OpenCase):
            case_id = await self.cases.open(user.id, effect)
            log.info("case opened case=%s user=%s", case_id, user.id)
            self.on_case_change()
            return CaseOpened(case_id, utcnow(), by_phone=bool(effect.intake.get("phone")))
        elif isinstance(effect, RelayToCase):
            await self.cases.relay(effect)
            self.on_case_change()
        elif isinstance(effect, MarkUrgent):
            await self.cases.mark_urgent(effect.case_id)
            log.warning("emergency message case=%s user=%s", effect.case_id, user.id)
            self.on_case_change()
        elif isinstance(effect, RateCase):
            await self.cases.rate(user.id, effect.case_id, effect.rating)
        return None

    async def blocked(self, person: Person) -> None:
        """The person blocked the bot: stop sending to them until they write again."""
        user = await self.storage.user(person.channel, person.external_id)
        await self.storage.mark_blocked(user.id)
