"""The rows past their time, found, counted and removed in one transaction for the retention job
(`bot.ops.retention`, which says what is kept how long): closed cases that still hold personal
data, stale conversation states, people gone without an open case, unanswered questions,
delivered outbox rows and the update ids kept against redelivery."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import Select, and_, delete, exists, func, select

from bot.core.case_status import CaseStatus
from bot.storage.models import (
    Case,
    ConversationState,
    OutboxMessage,
    ProcessedUpdate,
    TranscriptMessage,
    UnansweredQuestion,
    User,
)
from bot.storage.repository import Storage


@dataclass(frozen=True)
class Deadlines:
    """What is older than these goes."""

    personal: dt.datetime
    """Closed cases' personal fields, people, unanswered questions, delivered outbox rows."""
    states: dt.datetime
    update_ids: dt.datetime


@dataclass(frozen=True)
class Purged:
    cases: int = 0
    states: int = 0
    people: int = 0
    questions: int = 0
    outbox: int = 0
    update_ids: int = 0

    def __str__(self) -> str:
        return ", ".join(f"{f.name.replace('_', ' ')}: {getattr(self, f.name)}"
                         for f in fields(self))


async def purge(storage: Storage, before: Deadlines,
                anonymise: Callable[[Case], Iterable[OutboxMessage]],
                dry_run: bool = False) -> Purged:
    """Count what is past its time and, unless `dry_run`, remove it: an expired case loses its
    transcript here and its personal fields to `anonymise`, which returns the outbox rows that
    go with that (deleting its staff-group topic)."""
    keep = before.personal
    expired_cases = select(Case).where(Case.status == CaseStatus.CLOSED, Case.closed_at < keep,
                                       Case.user_id.is_not(None) | Case.question.is_not(None))
    stale_states = select(ConversationState.user_id).where(
        ConversationState.updated_at < before.states)
    gone_people = select(User.id).where(User.last_seen_at < keep, ~exists().where(
        and_(Case.user_id == User.id, Case.status != CaseStatus.CLOSED)))
    old_questions = select(UnansweredQuestion.id).where(UnansweredQuestion.asked_at < keep)
    old_outbox = select(OutboxMessage.id).where(OutboxMessage.delivered_at < keep)
    old_updates = select(ProcessedUpdate.update_id).where(
        ProcessedUpdate.processed_at < before.update_ids)
    async with storage.session() as session:
        async def count(query: Select[Any]) -> int:
            return await session.scalar(select(func.count()).select_from(query.subquery())) or 0

        found = Purged(*[await count(q) for q in (expired_cases, stale_states, gone_people,
                                                  old_questions, old_outbox, old_updates)])
        if dry_run:
            return found
        for case in await session.scalars(expired_cases):
            await session.execute(delete(TranscriptMessage).where(
                TranscriptMessage.case_id == case.id))
            session.add_all(anonymise(case))
        await session.execute(delete(ConversationState).where(
            ConversationState.user_id.in_(stale_states)))
        await session.execute(delete(User).where(User.id.in_(gone_people)))
        await session.execute(delete(UnansweredQuestion).where(
            UnansweredQuestion.id.in_(old_questions)))
        await session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(old_outbox)))
        await session.execute(delete(ProcessedUpdate).where(
            ProcessedUpdate.update_id.in_(old_updates)))
    return found
