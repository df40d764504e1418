"""What a case row says, read off it for the rest of the handoff: the facts its note shows, its
topic's name in the staff channel, and the record the staff side gets (`CaseRecord`)."""
from __future__ import annotations

import datetime as dt

from bot.core.case_note import CaseFacts, topic_name
from bot.core.case_status import CaseStatus
from bot.core.content.model import Content
from bot.handoff.records import CaseRecord
from bot.storage.models import Case

INTAKE_COLUMNS = ("residence_status", "german_level", "contact_preference", "preferred_time",
                  "first_name", "phone", "question")


def facts(case: Case, consent_at: dt.datetime | None) -> CaseFacts:
    """What the case note shows, read off a case row."""
    intake = {name: getattr(case, name) for name in INTAKE_COLUMNS if getattr(case, name)}
    if case.topic:
        intake["topic"] = case.topic
    return CaseFacts(number=case.id, created_at=case.created_at, locale=case.locale,
                     intake=intake, shown=case.shown_faq, path=case.flow_path,
                     consent_at=consent_at, status=CaseStatus(case.status), urgent=case.urgent,
                     crisis=case.crisis,
                     claimed_by=case.claimed_by_name, outcome=case.outcome)


def staff_topic(content: Content, case: Case) -> str:
    """The name of the case's topic in the staff channel (what its note's first line says)."""
    return topic_name(content, facts(case, None))


def record(case: Case) -> CaseRecord:
    return CaseRecord(case.id, case.user_id, CaseStatus(case.status), case.locale, case.topic,
                      case.staff_thread_id, case.claimed_by_id,
                      case.claimed_by_name, case.created_at, case.urgent)
