"""What the outbox hands its rows to: a staff channel (the counsellors' side: one topic per case)
and the people's channel, as two protocols, and the errors by which a delivery tells the outbox
what became of a row. The outbox (`bot.handoff.outbox`) keeps the order, the retries and giving up;
a channel (`bot.channels.telegram.staff_group`, `bot.channels.telegram.people`) knows how to
render and send, paces its own calls and waits out its own short rate limits inside a row.

Every method either returns what the outbox records (a topic's id, a posted note's id) or raises
one of the errors below; any other exception is retried with backoff, described by its class
alone. A method must not repeat a part of the row it already carried out, except where a row is
repeated as a whole after a failure (the outbox's idempotency, its module docstring)."""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from bot.core.case_status import CaseStatus
from bot.core.events import Reply


class OutboxKind(StrEnum):
    """What an outbox row asks for (the database's `OutboxMessage.kind`): the staff channel's
    kinds, then the person's."""

    CASE_NOTE = "case_note"
    """Open the case's topic and post its note."""
    CASE_UPDATE = "case_update"
    """Show the changed note (and topic name)."""
    RELAY_TO_STAFF = "relay_to_staff"
    STAFF_NOTICE = "staff_notice"
    CASE_ERASED = "case_erased"
    """Delete the topic of a case whose person was erased."""
    STAFF_PROMPT = "staff_prompt"
    """The staff router's answer to a counsellor (a `Prompt`), of no case's change."""
    RELAY_TO_USER = "relay_to_user"
    REPLY_TO_USER = "reply_to_user"
    """A reply of the engine or a canned reply for the person."""

    @property
    def to_staff(self) -> bool:
        return self not in (OutboxKind.RELAY_TO_USER, OutboxKind.REPLY_TO_USER)


@dataclass(frozen=True)
class Prompt:
    """The bot's answer to a counsellor: Telegram HTML, and rows of buttons as (label, the
    staff channel's own data for the press), which the channel parses when it is pressed."""

    text: str
    buttons: tuple[tuple[tuple[str, str], ...], ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {"text": self.text, "buttons": [[list(b) for b in row] for row in self.buttons]}

    @classmethod
    def from_json(cls, payload: Mapping[str, Any]) -> Prompt:
        return cls(str(payload.get("text", "")),
                   tuple(tuple((str(label), str(data)) for label, data in row)
                         for row in payload.get("buttons", [])))


@dataclass(frozen=True)
class CaseNote:
    """A case as its note shows it in the staff channel: the note (Telegram's HTML subset,
    German), the topic's name, and the status that decides the note's buttons."""

    case_id: int
    status: CaseStatus
    text: str
    topic: str


@dataclass(frozen=True)
class Translated:
    """A relayed text's machine translation as its reader is shown it (`bot.handoff.
    relay_translation`): `label` marks it in the reader's language (plain text: machine
    translation with the language pair, or "not translated"), `text` is the translation
    (Telegram HTML), None when the original goes untranslated because the translator failed;
    `original` is a button for the person, (its label, the transcript id), that shows the
    counsellor's German original."""

    label: str
    text: str | None
    original: tuple[str, int] | None = None


@dataclass(frozen=True)
class Relayed:
    """A message relayed between the person and the counsellors, as the transcript keeps it:
    "text", or a medium ("photo", "document", "voice", "video") by the channel's file id (None
    when there is no file to send again), with the text or caption the person or counsellor
    wrote (plain text, never HTML), and its machine translation, if any. A channel shows a
    `translated` text's label and translation with the original (to the counsellors: the
    original, then the translation; to the person: the translation with the button, or the
    original marked)."""

    kind: str
    text: str | None
    file_id: str | None
    translated: Translated | None = None


class DeliveryError(Exception):
    """A row's delivery failed in a way the outbox must know; `str()` is what the row's
    last_error and the logs say (a class and the channel's description, never message text)."""


class Retry(DeliveryError):
    """Failed this time (the channel's error, a timeout): try again after the backoff.
    `reason` is the retry metric's label (`bot.ops.metrics.retry_reason`)."""

    def __init__(self, description: str, reason: str) -> None:
        super().__init__(description)
        self.reason = reason


class TopicGone(Retry):
    """The case's topic was deleted before its note was posted: the outbox forgets the topic
    (the next try opens a new one) and retries."""


class RateLimited(DeliveryError):
    """The channel asked for a pause longer than is waited out inside a row: the destination
    rests (the channel keeps it), and the attempt does not count as a failure."""


class Undeliverable(DeliveryError):
    """The row can never be delivered (the person blocked the bot, the chat is gone, a kind
    the channel cannot send): it is dropped."""


class PersonGone(Undeliverable):
    """The person cannot be reached any more: `blocked` when they blocked the bot (they are
    marked blocked until they write again), else their account is gone."""

    def __init__(self, description: str, blocked: bool) -> None:
        super().__init__(description)
        self.blocked = blocked


class StaffUnreachable(DeliveryError):
    """The staff channel as a whole cannot be used; `problem` and `fix` are written for the
    operator. Staff rows wait (nothing counts as a failure) until it works again."""

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.fix = fix

    @property
    def key(self) -> str:
        return f"{self.problem}|{self.fix}"


class Stopping(Exception):
    """The outbox worker is stopping: the row in hand ends here and goes again later."""


class Halt:
    """The outbox worker's stop, shared with its channels: their waits inside a row (pacing,
    a short rate limit) end early, with `Stopping`, once the worker is asked to stop."""

    def __init__(self) -> None:
        self._stop = asyncio.Event()

    def set(self) -> None:
        self._stop.set()

    def clear(self) -> None:
        self._stop.clear()

    def is_set(self) -> bool:
        return self._stop.is_set()

    async def sleep(self, seconds: float) -> None:
        """A pause that ends early (with Stopping) when the worker is asked to stop."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._stop.wait()
        if self._stop.is_set():
            raise Stopping


class StaffChannel(Protocol):
    """Where counsellors see the cases, one topic per case, paced as a whole."""

    where: str
    """The channel's setting, for the operator's log lines ("STAFF_CHAT_ID=-100…")."""

    def delay(self) -> float:
        """Seconds until a call into the channel may go (its pacing; 0: now)."""

    def start_spent(self) -> None:
        """This instance just became the one that delivers: assume the channel's allowance was
        spent by the one before."""

    async def open_topic(self, name: str) -> int:
        """Open a case's topic; returns its id."""

    async def post_note(self, topic: int, note: CaseNote) -> int:
        """Post the case note (with its buttons) in `topic`; returns the posted note's id.
        Raises TopicGone when the topic no longer exists."""

    async def update_note(self, topic: int, message_id: int, note: CaseNote) -> None:
        """Show the changed note and topic name (nothing changed is fine)."""

    async def relay(self, topic: int, message: Relayed) -> None:
        """What the person sent, in the case's topic."""

    async def notice(self, topic: int, text: str) -> None:
        """A line for the counsellors in the topic (HTML, may be split)."""

    async def erase_topic(self, topic: int, notice: str) -> None:
        """Delete the topic with everything in it (gone already is fine) and say `notice`
        (plain text) where the channel's general messages go."""

    async def delete_topic(self, topic: int) -> None:
        """Delete the topic with everything in it, silently (gone already is fine)."""

    async def prompt(self, topic: int | None, prompt: Prompt) -> None:
        """The bot's answer to a counsellor (HTML, may be split, buttons under the last part) in
        `topic`, or where the channel's general messages go (None)."""


class PersonChannel(Protocol):
    """Where people get what counsellors send them; `person` is the channel's id for them."""

    async def delay(self, person: str) -> float:
        """Seconds until a message to `person` may go (0: now)."""

    async def relay(self, person: str, message: Relayed) -> None:
        """What a counsellor wrote, to the person."""

    async def reply(self, person: str, reply: Reply) -> None:
        """A reply of the engine or a canned reply (HTML with buttons), to the person."""
