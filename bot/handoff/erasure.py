"""Erasing a person at their request (/delete): everything personal goes, counters stay.

Their user row and conversation state are deleted; each of their cases keeps only what cannot name
them (topic, language, times, outcome, rating; not the kind of crisis) and is closed; transcripts
and pending messages are deleted; the staff group's topic of each case is deleted by the outbox
worker ("case_erased"), which leaves a line in the group saying the case was deleted at the
person's request."""
from __future__ import annotations

import datetime as dt

from bot.core.case_status import CaseStatus
from bot.handoff.delivery import OutboxKind
from bot.ops import metrics
from bot.storage.cases import CaseRows
from bot.storage.models import Case, OutboxMessage

ERASED_NOTE = "Fall #{number}: Daten auf Wunsch der Person gelöscht."
PERSONAL = ("residence_status", "german_level", "contact_preference", "preferred_time",
            "first_name", "phone", "question", "translations", "claimed_by_name", "crisis")


async def erase_person(rows: CaseRows, user_id: int, now: dt.datetime) -> list[int]:
    """Erase user `user_id` in the transaction of `rows` (`Cases.erase`); returns the
    numbers of their cases (now anonymous)."""
    cases = await rows.cases_of(user_id)
    numbers = [case.id for case in cases]
    await rows.forget(numbers)
    closing = [case for case in cases if case.status != CaseStatus.CLOSED]
    for case in closing:
        case.status, case.closed_at, case.outcome = CaseStatus.CLOSED, now, "deleted"
    for case in cases:
        rows.add_outbox(anonymise(case, ERASED_NOTE.format(number=case.id), now))
    await rows.delete_user(user_id)
    metrics.CASES_CLOSED.labels("deleted").inc(len(closing))
    return numbers


def anonymise(case: Case, note: str, now: dt.datetime) -> list[OutboxMessage]:
    """Strip `case` of everything personal (its transcript is deleted by the caller); returns
    the outbox entry that deletes its staff-group topic, if it has one."""
    for column in PERSONAL:
        setattr(case, column, None)
    case.flow_path, case.shown_faq = [], []
    case.note = note
    case.user_id = None
    if case.staff_thread_id is None:
        return []
    return [OutboxMessage(kind=OutboxKind.CASE_ERASED, dedupe_key=f"case:{case.id}:erased",
                          case_id=case.id, payload={"notice": note}, created_at=now,
                          next_attempt_at=now)]
