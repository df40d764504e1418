"""One outbox row handed to its channel, by kind: the staff channel's case notes, note updates,
relays, notices, erased topics and prompts, and people's relays and replies. Each delivery ends
by marking its row delivered (with what the channel answered, in the same transaction), leaves it
for a later pass (a case note whose topic was just opened, until the channel's pacing allows the
post), or raises what the worker (`bot.handoff.outbox`) makes of it: the errors of
`bot.handoff.delivery`, or anything else to be retried.

**A case note never goes twice.** It goes in two steps. The topic is opened only while
`Case.staff_thread_id` is null, and its id is committed at once, before anything is posted. Then,
once the channel's pacing lets the next call go at once, the row records that the note is asked
for in that topic (committed right before the call), the note is posted, and its id is committed
in the same transaction that marks the row delivered. When the channel refused the note
(Telegram answered with an error, or a pause ended the try before the call) the mark is taken
back. A try that still finds the mark for the case's topic and no id recorded cannot know whether
the note arrived (the process died, or the answer was lost in the network, after Telegram posted
it), so it deletes that topic, with whatever note is in it, and opens a new one: the case has one
topic with one note."""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot.core.case_status import CaseStatus
from bot.core.content.model import Content
from bot.core.events import Reply
from bot.handoff.case_facts import staff_topic
from bot.handoff.delivery import (
    CaseNote,
    DeliveryError,
    OutboxKind,
    PersonChannel,
    Prompt,
    Relayed,
    Retry,
    StaffChannel,
    Stopping,
    TopicGone,
    Translated,
    Undeliverable,
)
from bot.handoff.relay_translation import for_person, for_staff
from bot.ops import metrics
from bot.storage.models import Case
from bot.storage.outbox_rows import OutboxRow, OutboxRows, Transcribed

log = logging.getLogger(__name__)

STAFF_KINDS = frozenset(kind for kind in OutboxKind if kind.to_staff)
PERSON_KINDS = frozenset(kind for kind in OutboxKind if not kind.to_staff)
NOTE_ASKED = "note_asked_in"
"""A case note row's payload key: the topic the note was asked to be posted in."""


def to_staff(row: OutboxRow) -> bool:
    return row.kind in STAFF_KINDS


def lane(row: OutboxRow) -> tuple[bool, int]:
    """A row's lane: its destination and case (a row of no case is a lane of its own)."""
    return (to_staff(row), row.case_id if row.case_id is not None else -row.id)


class Deliveries:
    """Hands rows to `people` and `staff`; `now` dates what it records."""

    def __init__(self, rows: OutboxRows, content: Callable[[], Content], people: PersonChannel,
                 staff: StaffChannel | None, now: Callable[[], dt.datetime]) -> None:
        self.rows = rows
        self.content = content
        self.people = people
        self.staff = staff
        self.now = now
        self._kinds: dict[str, Callable[[OutboxRow], Awaitable[None]]] = {
                       OutboxKind.CASE_NOTE: self._case_note,
                       OutboxKind.CASE_UPDATE: self._case_update,
                       OutboxKind.RELAY_TO_STAFF: self._relay_to_staff,
                       OutboxKind.STAFF_NOTICE: self._staff_notice,
                       OutboxKind.CASE_ERASED: self._case_erased,
                       OutboxKind.STAFF_PROMPT: self._staff_prompt,
                       OutboxKind.RELAY_TO_USER: self._relay_to_user,
                       OutboxKind.REPLY_TO_USER: self._reply_to_user}

    async def deliver(self, row: OutboxRow) -> None:
        handler = self._kinds.get(row.kind)
        if handler is None:
            raise Undeliverable(f"unknown kind {row.kind!r}")
        await handler(row)

    async def _delivered(self, row: OutboxRow, **case_values: Any) -> None:
        await self.rows.delivered(row.id, self.now(), row.case_id, **case_values)
        log.info("outbox delivered row=%s kind=%s case=%s", row.id, row.kind, row.case_id)
        metrics.OUTBOX_DELIVERED.labels(row.kind).inc()

    # ----- the staff channel ------------------------------------------------------------------

    def _staff_channel(self) -> StaffChannel:
        assert self.staff is not None  # staff rows are loaded only when there is a channel
        return self.staff

    async def _case(self, row: OutboxRow) -> Case:
        case = await self.rows.case(row.case_id)
        if case is None:
            raise Undeliverable("no such case")
        return case

    async def _topic(self, row: OutboxRow) -> tuple[int, Case]:
        """The case's topic and the case (LookupError while it has no topic)."""
        case = await self._case(row)
        if case.staff_thread_id is None:
            raise LookupError("the case has no topic yet")
        return case.staff_thread_id, case

    def _note(self, case: Case) -> CaseNote:
        return CaseNote(case.id, CaseStatus(case.status), case.note,
                        staff_topic(self.content(), case))

    async def _forget_topic(self, case: Case) -> None:
        await self.rows.set_case(case.id, staff_thread_id=None)
        case.staff_thread_id = None

    async def _case_note(self, row: OutboxRow) -> None:
        staff, case = self._staff_channel(), await self._case(row)
        if case.staff_message_id is not None:
            await self._delivered(row)
            return
        if case.staff_thread_id is not None and row.payload.get(NOTE_ASKED) == \
                case.staff_thread_id:  # the note may be there: start again in a new topic
            await staff.delete_topic(case.staff_thread_id)
            log.info("topic deleted case=%s thread=%s: its note was asked for, its answer lost",
                     case.id, case.staff_thread_id)
            await self._forget_topic(case)
        if case.staff_thread_id is None:
            topic = await staff.open_topic(self._note(case).topic)
            await self.rows.set_case(case.id, staff_thread_id=topic)  # before anything is posted
            case.staff_thread_id = topic
            log.info("topic created case=%s thread=%s", case.id, topic)
        if staff.delay() > 0:
            return  # the row stays: the note goes as soon as the channel allows the next call
        await self.rows.note_payload(row.id, {**row.payload, NOTE_ASKED: case.staff_thread_id})
        try:
            message_id = await staff.post_note(case.staff_thread_id, self._note(case))
        except TopicGone:  # deleted before the note was posted: the next try opens another
            await self._forget_topic(case)
            raise
        except (DeliveryError, Stopping) as exc:
            if not (isinstance(exc, Retry) and exc.reason == "network"):
                await self.rows.note_payload(row.id, row.payload)  # refused: nothing was posted
            raise
        await self._delivered(row, staff_message_id=message_id)

    async def _case_update(self, row: OutboxRow) -> None:
        topic, case = await self._topic(row)
        if case.staff_message_id is None:
            raise LookupError("the case note is not posted yet")
        await self._staff_channel().update_note(topic, case.staff_message_id, self._note(case))
        await self._delivered(row)

    async def _relay_to_staff(self, row: OutboxRow) -> None:
        topic, case = await self._topic(row)
        message = await self._transcript(row)
        await self._staff_channel().relay(topic, _relayed(message, for_staff(message,
                                                                             case.locale)))
        await self._delivered(row)

    async def _staff_notice(self, row: OutboxRow) -> None:
        topic, _ = await self._topic(row)
        await self._staff_channel().notice(topic, str(row.payload.get("text", "")))
        await self._delivered(row)

    async def _case_erased(self, row: OutboxRow) -> None:
        """The person deleted their data (or its time ran out): the case's topic with everything
        in it is deleted, and one line in the group says why."""
        topic, _ = await self._topic(row)
        await self._staff_channel().erase_topic(topic, str(row.payload.get("notice", "")))
        await self._delivered(row)

    async def _staff_prompt(self, row: OutboxRow) -> None:
        """The staff router's answer to a counsellor, in the topic it was asked in."""
        topic = row.payload.get("topic")
        await self._staff_channel().prompt(topic if isinstance(topic, int) else None,
                                           Prompt.from_json(row.payload))
        await self._delivered(row)

    # ----- people -----------------------------------------------------------------------------

    @staticmethod
    def _person(row: OutboxRow) -> str:
        if row.person is None:
            raise Undeliverable("no person to deliver to")
        return row.person

    async def _relay_to_user(self, row: OutboxRow) -> None:
        person, case = self._person(row), await self._case(row)
        message = await self._transcript(row)
        translated = for_person(message, case.locale, self.content().ui.get(case.locale))
        await self.people.relay(person, _relayed(message, translated))
        await self._delivered(row)

    async def _reply_to_user(self, row: OutboxRow) -> None:
        await self.people.reply(self._person(row), Reply.from_json(row.payload))
        await self._delivered(row)

    async def _transcript(self, row: OutboxRow) -> Transcribed:
        message = await self.rows.transcribed(row.payload.get("message"))
        if message is None:
            raise Undeliverable("no such transcript message")
        return message


def _relayed(message: Transcribed, translated: Translated | None) -> Relayed:
    return Relayed(message.kind, message.text, message.file_id, translated)
