"""Cases: opening one (case, note and outbox entry in one transaction), what the person adds while
it is open, the counsellors' side (claim, takeover, close, notes, relay, canned replies), ratings.

Every change writes its outbox rows in the same transaction, so what was decided is delivered,
and wakes the outbox worker once that transaction is committed (`on_change`, in `_writing` alone);
a claim or close writes the person's replies (the engine's, handed in by `Conversations`) in it
too. A change made for an update that may be delivered again comes with its `update_key` (e.g.
"telegram:<update_id>") and keys its outbox rows by it, so the same update never opens a second
case, relays a message, claims, closes, sends a canned reply or keeps a note twice: it finds its
row and answers as the first time. The rows are `bot.storage.cases`'."""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from bot.clock import utcnow
from bot.core import bidi, texts
from bot.core.case_note import OUTCOMES, note
from bot.core.case_status import CaseStatus
from bot.core.content.model import Content
from bot.core.events import OpenCase, RelayToCase, Reply
from bot.core.telegram_html import escape
from bot.handoff import relay_translation
from bot.handoff.case_facts import INTAKE_COLUMNS, facts, record
from bot.handoff.delivery import OutboxKind
from bot.handoff.erasure import erase_person
from bot.handoff.records import CannedSent, CaseRecord, Claim, ClaimResult, Counsellor
from bot.ops import metrics
from bot.storage.cases import CaseRows, case_rows
from bot.storage.models import MAX_ID, Case, OutboxMessage, TranscriptMessage
from bot.storage.repository import Storage, UserRecord
from bot.translation.translator import Translator

log = logging.getLogger(__name__)

class Cases:
    def __init__(self, storage: Storage, content: Callable[[], Content],
                 clock: Callable[[], dt.datetime] = utcnow,
                 on_change: Callable[[], None] = lambda: None,
                 translator: Translator | None = None) -> None:
        self.storage = storage
        self.translator = translator
        """Translates relayed texts (`bot.handoff.relay_translation`); None: none is."""
        self.content = content
        self.clock = clock
        self.on_change = on_change
        """Called after each commit that wrote outbox rows (wakes the delivery worker)."""
        self._changing = asyncio.Lock()
        """Claims and closes one at a time in this process (SQLite has no row locks)."""

    @asynccontextmanager
    async def _writing(self) -> AsyncIterator[CaseRows]:
        """One transaction; once it is committed, `on_change` if it wrote outbox rows."""
        async with case_rows(self.storage) as rows:
            yield rows
            if rows.wrote_outbox:  # inside a person's update: once that has committed
                self.storage.after_commit(self.on_change)

    async def open(self, user_id: int, request: OpenCase, update_key: str | None = None) -> int:
        """Create the case with its note and the outbox entry that delivers it, all at once:
        what the person is promised is in the database before anything is sent. The same
        `update_key` again gives the case it opened (logged and counted the first time only)."""
        intake = request.intake
        now = self.clock()
        async with self._writing() as rows:
            opened = await _written(rows, update_key, OutboxKind.CASE_NOTE)
            if opened is not None and opened.case_id is not None:
                return opened.case_id
            case = Case(user_id=user_id, status=CaseStatus.NEW, urgent=request.urgent,
                        crisis=request.crisis if request.urgent else None,
                        topic=intake.get("topic"),
                        locale=request.locale, flow_path=list(request.path),
                        shown_faq=list(request.shown), question_locale=request.locale,
                        note="", created_at=now,
                        **{name: intake.get(name) for name in INTAKE_COLUMNS})
            await rows.add(case)
            await self._note(rows, case)
            if case.question:
                await rows.add(TranscriptMessage(case_id=case.id, direction="user", kind="text",
                                                 text=case.question, created_at=now))
            key = _key(update_key, OutboxKind.CASE_NOTE, f"case:{case.id}:note")
            rows.outbox(OutboxKind.CASE_NOTE, key, case.id, {}, now)
        metrics.CASES_OPENED.inc()
        log.info("case opened case=%s user=%s", case.id, user_id)
        return case.id

    async def relay(self, request: RelayToCase, update_key: str | None = None) -> None:
        """Something the person sent while the case is open, on its way to the staff topic
        (once per `update_key`)."""
        kind = request.kind.value if request.kind else "text"
        stored = await relay_translation.translate(self.storage, self.translator,
                                                   request.case_id, request.text,
                                                   to_person=False)
        now = self.clock()
        async with self._writing() as rows:
            if await _written(rows, update_key, OutboxKind.RELAY_TO_STAFF) is not None:
                return
            message = TranscriptMessage(case_id=request.case_id, direction="user", kind=kind,
                                        text=request.text, file_id=request.ref, created_at=now,
                                        translation=stored.translation,
                                        translation_state=stored.state)
            await rows.add(message)
            key = _key(update_key, OutboxKind.RELAY_TO_STAFF,
                       f"case:{request.case_id}:user:{message.id}")
            rows.outbox(OutboxKind.RELAY_TO_STAFF, key, request.case_id, {"message": message.id},
                        now)

    async def mark_urgent(self, case_id: int, crisis: str | None = None) -> None:
        """An emergency message in an open case: the note (with the kind of crisis) and the topic
        name say so, and a notice in the topic. Once: a case already urgent keeps its first
        kind."""
        now = self.clock()
        async with self._writing() as rows:
            case = await rows.case(case_id)
            if case is None or case.urgent:
                return
            case.urgent, case.crisis = True, crisis
            await self._rerender(rows, case)
            rows.outbox(OutboxKind.STAFF_NOTICE, f"case:{case_id}:urgent", case_id,
                        {"text": "🚨 <b>Notfall:</b> Die Person hat eine Notfall-Nachricht "
                                 "geschrieben. Sie hat die Notrufnummern bekommen."}, now)

    async def erase(self, user_id: int) -> list[int]:
        """Erase the person `user_id` and what their cases say about them
        (`bot.handoff.erasure`); returns the numbers of their cases."""
        async with self._writing() as rows:
            return await erase_person(rows, user_id, self.clock())

    async def rate(self, user_id: int, case_id: int, rating: int) -> None:
        async with case_rows(self.storage) as rows:
            case = await rows.case_of(user_id, case_id)
            if case is not None and case.status == CaseStatus.CLOSED:
                case.rating = rating

    # ----- the counsellors' side ----------------------------------------------------------------

    async def get(self, case_id: int) -> CaseRecord | None:
        """The case numbered `case_id`; None when there is none (also for a number no case can
        have, as a button's data may carry)."""
        if not 0 < case_id <= MAX_ID:
            return None
        async with case_rows(self.storage) as rows:
            case = await rows.case(case_id)
            return None if case is None else record(case)

    async def in_topic(self, thread_id: int) -> CaseRecord | None:
        """The case whose forum topic this is."""
        async with case_rows(self.storage) as rows:
            case = await rows.in_topic(thread_id)
            return None if case is None else record(case)

    async def person(self, case_id: int) -> tuple[str, str, UserRecord] | None:
        """The case's person: (channel, external id, record); None when they deleted their
        data."""
        async with case_rows(self.storage) as rows:
            return await rows.person(case_id)

    async def queue(self) -> list[CaseRecord]:
        """Open cases nobody has claimed yet, oldest first."""
        async with case_rows(self.storage) as rows:
            return [record(c) for c in await rows.unclaimed()]

    async def claim(self, case_id: int, counsellor: Counsellor, *, takeover: bool = False,
                    update_key: str | None = None, replies: Sequence[Reply] = ()) -> ClaimResult:
        """Mark the case as held by `counsellor`; a case held by someone else moves only with
        `takeover`. Writes the note update, the topic notice and, on a first claim, the
        person's `replies` (the engine's) with it; the same `update_key` again finds it done and
        gives the result it gave."""
        result = await self._claim(case_id, counsellor, takeover, update_key, replies)
        if result.changed and not result.again:
            metrics.CASES_CLAIMED.labels(result.result).inc()
        return result

    async def _claim(self, case_id: int, counsellor: Counsellor, takeover: bool,
                     update_key: str | None, replies: Sequence[Reply]) -> ClaimResult:
        now = self.clock()
        async with self._changing, self._writing() as rows:
            if (done := await _written(rows, update_key, OutboxKind.STAFF_NOTICE)) is not None:
                return ClaimResult(done.payload["claim"], done.payload.get("before"), again=True)
            case = await rows.case(case_id, lock=True)
            if case is None:
                return ClaimResult(Claim.MISSING)
            if case.status == CaseStatus.CLOSED:
                return ClaimResult(Claim.CLOSED, case.claimed_by_name)
            if case.status == CaseStatus.CLAIMED and case.claimed_by_id == counsellor.id:
                return ClaimResult(Claim.YOURS, case.claimed_by_name)
            if case.status == CaseStatus.CLAIMED and not takeover:
                return ClaimResult(Claim.HELD, case.claimed_by_name)
            before = case.claimed_by_name if case.status == CaseStatus.CLAIMED else None
            case.status, case.claimed_at = CaseStatus.CLAIMED, now
            case.claimed_by_id, case.claimed_by_name = counsellor.id, counsellor.name
            await self._rerender(rows, case)
            text = f"Übernommen von {escape(counsellor.name)}."
            if before is not None:
                text = f"Übernommen von {escape(counsellor.name)} (vorher bei {escape(before)})."
            else:  # a takeover is no news to the person
                self._replies(rows, case.id, replies, update_key, now)
            result = ClaimResult(Claim.TAKEN_OVER if before is not None else Claim.CLAIMED, before)
            self._notice(rows, case.id, text, now, update_key, claim=result.result, before=before)
            return result

    async def hand_back(self, case_id: int, counsellor: Counsellor,
                        update_key: str | None = None) -> bool:
        """The holder puts the case back in the queue, unclaimed (the person is not told: for
        them a counsellor still has it); False when `counsellor` does not hold it. Once per
        `update_key`."""
        now = self.clock()
        async with self._changing, self._writing() as rows:
            if await _written(rows, update_key, OutboxKind.STAFF_NOTICE) is not None:
                return True
            case = await rows.case(case_id, lock=True)
            if case is None or case.status != CaseStatus.CLAIMED or \
                    case.claimed_by_id != counsellor.id:
                return False
            case.status, case.claimed_at = CaseStatus.NEW, None
            case.claimed_by_id, case.claimed_by_name = None, None
            await self._rerender(rows, case)
            self._notice(rows, case.id, f"Zurückgegeben von {escape(counsellor.name)}: "
                                        "wieder in der Warteschlange.", now, update_key)
            return True

    async def mark_called(self, case_id: int, counsellor: Counsellor,
                          update_key: str | None = None) -> bool:
        """The callback the person asked for was made (once; the topic is told). False when the
        case is closed, unknown or asked for no callback."""
        now = self.clock()
        async with self._writing() as rows:
            if await _written(rows, update_key, OutboxKind.STAFF_NOTICE) is not None:
                return True
            case = await rows.case(case_id)
            if case is None or case.status == CaseStatus.CLOSED or \
                    case.contact_preference != "phone":
                return False
            if case.called_at is None:
                case.called_at = now
                self._notice(rows, case.id, f"📞 Angerufen von {escape(counsellor.name)}.", now,
                             update_key)
            return True

    async def close(self, case_id: int, counsellor: Counsellor, outcome: str,
                    update_key: str | None = None, replies: Sequence[Reply] = ()) -> bool:
        """Close the case with an outcome, and tell the person (`replies`, the engine's) in the
        same transaction; False when it was closed already (or is unknown). The same `update_key`
        again finds it done: True again, nothing written twice."""
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}")
        closed = await self._close(case_id, counsellor, outcome, update_key, replies)
        if closed == "closed":
            metrics.CASES_CLOSED.labels(outcome).inc()
        return closed != "no"

    async def _close(self, case_id: int, counsellor: Counsellor, outcome: str,
                     update_key: str | None, replies: Sequence[Reply]) -> str:
        """"closed", "again" (by this `update_key` before) or "no"."""
        now = self.clock()
        async with self._changing, self._writing() as rows:
            if await _written(rows, update_key, OutboxKind.STAFF_NOTICE) is not None:
                return "again"
            case = await rows.case(case_id, lock=True)
            if case is None or case.status == CaseStatus.CLOSED:
                return "no"
            case.status, case.closed_at, case.outcome = CaseStatus.CLOSED, now, outcome
            await self._rerender(rows, case)
            self._replies(rows, case.id, replies, update_key, now)
            self._notice(rows, case.id, f"Geschlossen von {escape(counsellor.name)}: "
                                        f"{escape(OUTCOMES[outcome])}.", now, update_key)
            return "closed"

    async def add_note(self, case_id: int, counsellor: Counsellor, text: str,
                       update_key: str | None = None) -> int | None:
        """An internal note: kept in the transcript, echoed in the topic, never sent to the
        person; once per `update_key`. Returns the transcript id (None for an unknown case)."""
        now = self.clock()
        async with self._writing() as rows:
            if (done := await _written(rows, update_key, OutboxKind.STAFF_NOTICE)) is not None:
                return int(done.payload["message"])
            if await rows.case(case_id) is None:
                return None
            message = TranscriptMessage(case_id=case_id, direction="note", kind="text",
                                        text=text, created_at=now)
            await rows.add(message)
            self._notice(rows, case_id, "📝 Interne Notiz gespeichert.", now, update_key,
                         message=message.id)
            return message.id

    async def relay_to_user(self, case_id: int, kind: str, text: str | None = None,
                            file_id: str | None = None, update_key: str | None = None, *,
                            untranslated: bool = False) -> int | None:
        """What a counsellor wrote in the topic, on its way to the person (text, or a photo,
        document or voice note by file id with an optional caption), once per `update_key`,
        translated into their language unless `untranslated` (`/orig`); a translation that
        failed is said in the topic. Returns the transcript id; None when the case is closed or
        unknown."""
        stored = await relay_translation.translate(self.storage, self.translator, case_id, text,
                                                   to_person=True, keep=untranslated)
        now = self.clock()
        async with self._writing() as rows:
            relayed = await _written(rows, update_key, OutboxKind.RELAY_TO_USER)
            if relayed is not None:
                return int(relayed.payload["message"])
            case = await rows.case(case_id)
            if case is None or case.status == CaseStatus.CLOSED:
                return None
            message = TranscriptMessage(case_id=case_id, direction="counsellor", kind=kind,
                                        text=text, file_id=file_id, created_at=now,
                                        translation=stored.translation,
                                        translation_state=stored.state)
            await rows.add(message)
            key = _key(update_key, OutboxKind.RELAY_TO_USER,
                       f"case:{case_id}:counsellor:{message.id}")
            rows.outbox(OutboxKind.RELAY_TO_USER, key, case_id, {"message": message.id}, now)
            if stored.failed:
                self._notice(rows, case_id, relay_translation.SENT_UNTRANSLATED, now)
            return message.id

    async def set_translation(self, case_id: int, on: bool) -> bool:
        """Turn machine translation of the case's relays on or off; False for an unknown case."""
        async with case_rows(self.storage) as rows:
            case = await rows.case(case_id)
            if case is None:
                return False
            case.translation_off = not on
            return True

    async def original(self, user_id: int, message_id: int) -> str | None:
        """A counsellor's message to the person `user_id` as written (for the person's "show
        the original" button); None when it is not stored (any more)."""
        async with case_rows(self.storage) as rows:
            return await rows.counsellor_text(user_id, message_id)

    async def canned(self, case_id: int, name: str,
                     update_key: str | None = None) -> CannedSent | None:
        """Send the canned reply `name` to the person in their language, marked for a
        right-to-left reader as the engine's replies are (the transcript keeps it unmarked);
        once per `update_key`. None when the reply or the case is unknown or the case is closed."""
        content = self.content()
        reply = content.canned_replies.get(name)
        now = self.clock()
        async with self._writing() as rows:
            if (done := await _written(rows, update_key, OutboxKind.STAFF_NOTICE)) is not None:
                return CannedSent(str(done.payload["title"]), int(done.payload["message"]))
            case = await rows.case(case_id)
            if reply is None or case is None or case.status == CaseStatus.CLOSED:
                return None
            text = texts.fill(content, content.pick(reply.text, case.locale).text, case.locale)
            message = TranscriptMessage(case_id=case_id, direction="counsellor", kind="text",
                                        text=text, created_at=now)
            await rows.add(message)
            rows.outbox(OutboxKind.REPLY_TO_USER, _key(update_key, OutboxKind.REPLY_TO_USER,
                                              f"case:{case_id}:canned:{message.id}"),
                        case_id, Reply(bidi.for_locale(text, case.locale)).as_json(), now)
            self._notice(rows, case_id, f"📋 Textbaustein gesendet: {escape(reply.title)}", now,
                         update_key, title=reply.title, message=message.id)
            return CannedSent(reply.title, message.id)

    @staticmethod
    def _replies(rows: CaseRows, case_id: int, replies: Sequence[Reply], update_key: str | None,
                 now: dt.datetime) -> None:
        """Engine replies for the person (after a claim or close), as outbox rows."""
        for index, reply in enumerate(replies):
            key = _key(update_key, f"{OutboxKind.REPLY_TO_USER}:{index}",
                       f"case:{case_id}:reply:{uuid.uuid4().hex}")
            rows.outbox(OutboxKind.REPLY_TO_USER, key, case_id, reply.as_json(), now)

    async def _note(self, rows: CaseRows, case: Case) -> None:
        """Write the case's note afresh from what the case row and its person say now."""
        case.note = note(self.content(), facts(case, await rows.consent_of(case.user_id)))

    async def _rerender(self, rows: CaseRows, case: Case) -> None:
        """The changed note, and the outbox row that shows it in the staff channel."""
        await self._note(rows, case)
        rows.outbox(OutboxKind.CASE_UPDATE, f"case:{case.id}:update:{uuid.uuid4()}", case.id, {},
                    self.clock())

    @staticmethod
    def _notice(rows: CaseRows, case_id: int, text: str, now: dt.datetime,
                update_key: str | None = None, **recorded: Any) -> None:
        """A notice in the case's topic; with an `update_key`, it is the mark that the update's
        change is done, and `recorded` is what a second delivery of the update answers from."""
        rows.outbox(OutboxKind.STAFF_NOTICE, _key(update_key, OutboxKind.STAFF_NOTICE,
                                         f"case:{case_id}:notice:{uuid.uuid4()}"),
                    case_id, {"text": text} | (recorded if update_key is not None else {}), now)


def _key(update_key: str | None, kind: str, otherwise: str) -> str:
    """An outbox row's dedupe key: one per update and kind when there is an `update_key`."""
    return otherwise if update_key is None else f"{update_key}:{kind}"


async def _written(rows: CaseRows, update_key: str | None, kind: str) -> OutboxMessage | None:
    """The outbox row of `kind` the update `update_key` wrote already (none without a key)."""
    return None if update_key is None else await rows.outbox_row(_key(update_key, kind, ""))
