"""One person's event through the engine: load their state, step, save it, carry out the effects.

Every channel (Telegram, the console) calls `Conversations.handle`; the engine itself stays pure.
What counsellors do to a person's case reaches the person through `Conversations.claim` and
`Conversations.close`: the engine's replies for them go into the outbox in the same transaction as
the change (`Cases.claim`, `Cases.close`).

A channel that can deliver an update twice (Telegram, after a crash) passes the update's key as
`update_key`: the case or relay it writes is keyed by it, and an update already answered is
answered again from its replay record (`bot.services.replay`) instead of being run again.

A typed text that reaches the FAQ matcher is also sent to the optional semantic layer
(`bot.semantic.layer`, the county's own embeddings server) and the step is taken with its scores; no
other text is (nothing for a counsellor, no intake answer, no crisis), and a layer that is off, not
ready, slow or failing leaves the lexical answer, within EMBEDDINGS_TIMEOUT."""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from bot.clock import utcnow
from bot.core.content.model import Content
from bot.core.engine import step
from bot.core.events import (
    CaseClaimed,
    CaseClosed,
    CaseOpened,
    CrisisSignal,
    Effect,
    EraseMe,
    Event,
    GiveConsent,
    MarkUrgent,
    Matched,
    OpenCase,
    RateCase,
    RefusedButton,
    RelayToCase,
    Reply,
    SetLocale,
    Spoken,
    Text,
)
from bot.core.handling import Step
from bot.core.state import State
from bot.handoff import relay_translation
from bot.handoff.cases import Cases
from bot.handoff.records import Claim, ClaimResult, Counsellor
from bot.ops import metrics
from bot.semantic.layer import Semantic
from bot.services.replay import replies_of, with_record
from bot.services.usage import Usage
from bot.shared.person_locks import LocalPersonLocks, PersonLocks
from bot.storage.repository import Storage, UserRecord
from bot.storage.state_store import StateStore
from bot.translation.translator import Translator

log = logging.getLogger(__name__)
Changed = TypeVar("Changed")


@dataclass(frozen=True)
class Person:
    """Who wrote: a channel and the channel's id for them (never a name)."""

    channel: str
    external_id: str


class Conversations:
    def __init__(self, storage: Storage, content: Callable[[], Content],
                 on_case_change: Callable[[], None] = lambda: None,
                 states: StateStore | None = None, person_locks: PersonLocks | None = None,
                 semantic: Semantic | None = None, translator: Translator | None = None) -> None:
        self.storage = storage
        self.states: StateStore = storage if states is None else states
        """Where conversation state is kept: the database, or Redis when REDIS_URL is set."""
        self.content = content
        """The content now live (a reload swaps what this returns)."""
        self.cases = Cases(storage, content, on_change=on_case_change, translator=translator)
        """`on_case_change` is called when something waits in the outbox (it wakes the
        delivery worker); `translator` puts the question into German for the case note and
        translates the relayed chat (its owner closes it)."""
        self.usage = Usage(storage)
        self.person_locks: PersonLocks = \
            LocalPersonLocks() if person_locks is None else person_locks
        """Shared by the instances when REDIS_URL is set."""
        self.semantic = Semantic() if semantic is None else semantic
        """The optional semantic layer (off unless EMBEDDINGS_URL is set); its owner closes it."""

    def _conversation_lock(self, channel: str, external_id: str) \
            -> AbstractAsyncContextManager[None]:
        """One engine step at a time per person: their own messages and what counsellors do to
        their case both load, change and save the same state. Keyed by the channel's id, so it is
        taken before anything is read."""
        return self.person_locks.hold(f"person:{channel}:{external_id}")

    async def handle(self, person: Person, event: Event,
                     update_key: str | None = None) -> list[Reply]:
        """Run `event` for `person`; `update_key` names the update it came in (see the module).

        One transaction (`Storage.session`): the person marked as seen and their state read in
        one statement, then the step's effects, its usage and the state saved. A step that asks
        a county's server (the semantic layer's scores for a text, the translation of a relay)
        ends it after the read and does the rest outside any transaction, each write on its own
        as before (each is keyed by the update, and the state with its replay record comes
        last), so that no transaction waits for a server (on SQLite every other update would
        wait with it)."""
        async with self._conversation_lock(person.channel, person.external_id):
            async with self.storage.session():
                user, saved = await self._arrive(person)
                if update_key is not None and (recorded := replies_of(saved, update_key)) \
                        is not None:
                    log.info("update replayed user=%s replies=%d", user.id, len(recorded))
                    return recorded
                content = self.content()
                state = self._state(saved, user)
                result = step(content, state, event)
                meaning = self._for_meaning(content, event, result)
                if not meaning and not any(isinstance(e, RelayToCase) for e in result.effects):
                    return await self._finish(content, user, saved, state, result, event,
                                              update_key)
            if meaning:
                assert isinstance(event, Text)
                result = await self._with_meaning(content, state, event, result)
            return await self._finish(content, user, saved, state, result, event, update_key)

    async def _arrive(self, person: Person) -> tuple[UserRecord, dict[str, Any] | None]:
        """The person, marked as seen, and their saved state: one statement when the state is in
        the database."""
        if self.states is self.storage:
            return await self.storage.user_with_state(person.channel, person.external_id)
        user = await self.storage.user(person.channel, person.external_id)
        return user, await self.states.load_state(user.id)

    async def locale(self, person: Person) -> str | None:
        """The language `person` chose, if any (a voice note is transcribed in it)."""
        return (await self.storage.user(person.channel, person.external_id)).locale

    async def claim(self, case_id: int, counsellor: Counsellor, *, takeover: bool = False,
                    update_key: str | None = None) -> ClaimResult:
        """A counsellor claims (or takes over) the case; a first claim tells the person, in the
        claim's transaction (`_telling`)."""
        return await self._telling(
            case_id, CaseClaimed(case_id),
            lambda replies: self.cases.claim(case_id, counsellor, takeover=takeover,
                                             update_key=update_key, replies=replies),
            lambda result: result.result == Claim.CLAIMED)

    async def close(self, case_id: int, counsellor: Counsellor, outcome: str,
                    update_key: str | None = None) -> bool:
        """A counsellor closes the case: the person gets the closing notice and the rating
        question, in the close's transaction (`_telling`)."""
        return await self._telling(
            case_id, CaseClosed(case_id),
            lambda replies: self.cases.close(case_id, counsellor, outcome, update_key, replies),
            bool)

    async def _telling(self, case_id: int, event: CaseClaimed | CaseClosed,
                       change: Callable[[Sequence[Reply]], Awaitable[Changed]],
                       told: Callable[[Changed], bool]) -> Changed:
        """`change` the case, handing it the engine's replies for its person on `event`: the
        change writes them to the outbox in its own transaction (or, when it changes nothing,
        drops them). Once it `told` them, the person's state learns of it (a claimed case keeps
        the bot quiet, a closed one is no longer relayed to); that is a write of its own
        (the state may live in Redis), so a crash before it leaves the state as it was: the
        update comes again, its change is found done and the same step is saved then. The
        person is not marked as seen; a person who deleted their data is told nothing."""
        found = await self.cases.person(case_id)
        if found is None:
            return await change(())
        channel, external_id, user = found
        async with self._conversation_lock(channel, external_id):
            content = self.content()
            saved = await self.states.load_state(user.id)
            result = step(content, self._state(saved, user), event)
            changed = await change(result.replies)
            if told(changed):
                await self.states.save_state(
                    user.id, with_record(result.state.to_json(), saved, None, []), content.version)
            return changed

    async def _finish(self, content: Content, user: UserRecord, saved: dict[str, Any] | None,
                      state: State, result: Step, event: Event,
                      update_key: str | None) -> list[Reply]:
        """Carry out the step's effects of `event` (and the steps they lead to), record its
        usage and save the state with the update's replay record."""
        replies = list(result.replies)
        if EraseMe() in result.effects:
            numbers = await self.cases.erase(user.id)
            await self.states.delete_state(user.id)  # Redis keeps its own copy
            await self.storage.checkpoint()  # the erased values out of SQLite's WAL too
            log.info("erased user=%s cases=%s", user.id, numbers)
            return replies  # nothing is saved again: the person starts afresh
        effects = list(result.effects)
        metrics.count_matches(effects)
        for effect in result.effects:
            follow_up = await self.carry_out(user, effect, update_key)
            if follow_up is not None:
                result = step(content, result.state, follow_up)
                replies += result.replies
        await self.usage.record(content, state, result.state, effects, utcnow())
        # a transcript is not kept, not even in the replay record: a voice note delivered again
        # is transcribed again
        record_key = None if isinstance(event, Spoken) else update_key
        await self.states.save_state(
            user.id, with_record(result.state.to_json(), saved, record_key, replies),
            content.version)
        log.debug("event=%s user=%s replies=%d", type(event).__name__, user.id, len(replies))
        return replies

    @staticmethod
    def _state(saved: dict[str, Any] | None, user: UserRecord) -> State:
        """The person's state as saved, in their language when it has none yet."""
        state = State.from_json(saved)
        if state.locale is None and user.locale:
            state.locale = user.locale
        return state

    def _for_meaning(self, content: Content, event: Event, lexical: Step) -> bool:
        """Whether the step is to be taken again with the semantic layer's scores: a typed text
        that reached the FAQ matcher (the engine is pure: the lexical step shows where the text
        went, and only a text the matcher read is sent to the embeddings server), with the layer
        on."""
        if not isinstance(event, Text) or not self.semantic.enabled:
            return False
        self.semantic.follow(content)  # a reload, or a server that was down, builds its index
        return any(isinstance(effect, Matched) for effect in lexical.effects)

    async def _with_meaning(self, content: Content, state: State, event: Text,
                            lexical: Step) -> Step:
        """The step again with the semantic layer's scores; the lexical step without them."""
        try:
            scores = await self.semantic.scores(event.text, version=content.version)
        # The layer never raises for the server's faults; a bug in it must not lose the answer.
        except Exception as exc:  # noqa: BLE001
            log.warning("semantic scores failed: %s; words alone answer", type(exc).__name__)
            return lexical
        if scores is None:
            return lexical
        return step(content, state, replace(event, semantic=scores))

    async def carry_out(self, user: UserRecord, effect: Effect,
                        update_key: str | None = None) -> Event | None:
        """Do what the engine asked; some effects answer with an event for the engine. A case
        or relay is written once per `update_key`."""
        if isinstance(effect, SetLocale):
            await self.storage.set_locale(user.id, effect.locale)
        elif isinstance(effect, GiveConsent):
            await self.storage.set_consent(user.id, utcnow())
            log.info("consent user=%s", user.id)
        elif isinstance(effect, OpenCase):
            case_id = await self.cases.open(user.id, effect, update_key)
            return CaseOpened(case_id, utcnow(), by_phone=bool(effect.intake.get("phone")))
        elif isinstance(effect, RelayToCase):
            await self.cases.relay(effect, update_key)
        elif isinstance(effect, CrisisSignal):  # by id and kind: never the text, never a name
            metrics.count_crisis(effect)
            log.log(logging.WARNING if effect.certain else logging.INFO,
                    "crisis signal kind=%s certain=%s user=%s", effect.kind,
                    str(effect.certain).lower(), user.id)
        elif isinstance(effect, MarkUrgent):
            await self.cases.mark_urgent(effect.case_id, effect.crisis)
            log.warning("emergency message case=%s user=%s kind=%s", effect.case_id, user.id,
                        effect.crisis)
        elif isinstance(effect, RateCase):
            await self.cases.rate(user.id, effect.case_id, effect.rating)
        elif isinstance(effect, RefusedButton):
            log.info("refused button (stale, replayed or forged) user=%s", user.id)
        return None

    async def original(self, person: Person, message_id: int) -> str:
        """The German original of the counsellor's message `message_id` that `person` got
        machine-translated (Telegram HTML, for their "show the original" button)."""
        user = await self.storage.user(person.channel, person.external_id)
        locale = user.locale or self.content().languages.default_language
        return relay_translation.original(await self.cases.original(user.id, message_id),
                                          locale, self.content().ui.get(locale))

    async def blocked(self, person: Person) -> None:
        """The person blocked the bot: stop sending to them until they write again."""
        user = await self.storage.user(person.channel, person.external_id)
        await self.storage.mark_blocked(user.id)
