"""Cases in the database: opening one (case, note and outbox entry in one transaction), what the
person adds while it is open, and the rating when it is closed."""
from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

from sqlalchemy import select

from bot.core.case_note import CaseFacts, note
from bot.core.content.model import Content
from bot.core.events import OpenCase, RelayToCase
from bot.storage.models import Case, OutboxMessage, TranscriptMessage, User, utcnow
from bot.storage.repository import Storage

INTAKE_COLUMNS = ("residence_status", "german_level", "contact_preference", "preferred_time",
                  "first_name", "phone", "question")


def facts(case: Case, consent_at: dt.datetime | None) -> CaseFacts:
    """What the case note shows, read off a case row."""
    intake = {name: getattr(case, name) for name in INTAKE_COLUMNS if getattr(case, name)}
    if case.topic:
        intake["topic"] = case.topic
    return CaseFacts(number=case.id, created_at=case.created_at, locale=case.locale,
                     intake=intake, shown=case.shown_faq, path=case.flow_path,
                     consent_at=consent_at, status=case.status, urgent=case.urgent,
                     claimed_by=case.claimed_by_name, outcome=case.outcome)


class Cases:
    def __init__(self, storage: Storage, content: Callable[[], Content],
                 clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.storage = storage
        self.content = content
        self.clock = clock

    async def open(self, user_id: int, request: OpenCase) -> int:
        """Create the case with its note and the outbox entry that delivers it, all at once:
        what the person is promised is in the database before anything is sent."""
        intake = request.intake
        now = self.clock()
        async with self.storage.session() as session:
            user = await session.get_one(User, user_id)
            case = Case(user_id=user_id, status="new", urgent=request.urgent,
                        topic=intake.get("topic"),
                        locale=request.locale, flow_path=list(request.path),
                        shown_faq=list(request.shown), question_locale=request.locale,
                        note="", created_at=now,
                        **{name: intake.get(name) for name in INTAKE_COLUMNS})
            session.add(case)
            await session.flush()
            case.note = note(self.content(), facts(case, user.consent_at))
            if case.question:
                session.add(TranscriptMessage(case_id=case.id, direction="user", kind="text",
                                              text=case.question, created_at=now))
            session.add(OutboxMessage(kind="case_note", dedupe_key=f"case:{case.id}:note",
                                      case_id=case.id, payload={}, created_at=now,
                                      next_attempt_at=now))
            return case.id

    async def relay(self, request: RelayToCase) -> None:
        """Something the person sent while the case is open, on its way to the staff topic."""
        now = self.clock()
        async with self.storage.session() as session:
            message = TranscriptMessage(case_id=request.case_id, direction="user",
                                        kind=request.kind.value if request.kind else "text",
                                        text=request.text, file_id=request.ref, created_at=now)
            session.add(message)
            await session.flush()
            session.add(OutboxMessage(kind="relay_to_staff",
                                      dedupe_key=f"case:{request.case_id}:user:{message.id}",
                                      case_id=request.case_id, payload={"message": message.id},
                                      created_at=now, next_attempt_at=now))

    async def mark_urgent(self, case_id: int) -> None:
        """An emergency message in an open case: the note and the topic name say so."""
        now = self.clock()
        async with self.storage.session() as session:
            case = await session.get_one(Case, case_id)
            if case.urgent:
                return
            user = await session.get(User, case.user_id) if case.user_id else None
            case.urgent = True
            case.note = note(self.content(), facts(case, user.consent_at if user else None))
            session.add(OutboxMessage(kind="case_update",
                                      dedupe_key=f"case:{case_id}:update:{uuid.uuid4()}",
                                      case_id=case_id, payload={}, created_at=now,
                                      next_attempt_at=now))
            session.add(OutboxMessage(
                kind="staff_notice", dedupe_key=f"case:{case_id}:urgent", case_id=case_id,
                payload={"text": "🚨 <b>Notfall:</b> Die Person hat eine Notfall-Nachricht "
                                 "geschrieben. Sie hat die Notrufnummern bekommen."},
                created_at=now, next_attempt_at=now))

    async def rate(self, user_id: int, case_id: int, rating: int) -> None:
        async with self.storage.session() as session:
            case = await session.scalar(select(Case).where(Case.id == case_id,
                                                           Case.user_id == user_id))
            if case is not None and case.status == "closed":
                case.rating = rating
