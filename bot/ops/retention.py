"""Retention: personal data is kept only as long as it is needed.

- closed cases: their personal fields and transcripts are erased RETENTION_DAYS after closing
  (topic, language, times, outcome and rating stay, for the statistics), and their staff-group
  topic is deleted;
- conversation state of people inactive for 30 days is deleted (they start afresh; Redis lets it
  expire after the same time);
- people inactive for RETENTION_DAYS with no open case are deleted (their Telegram id, language
  and consent time);
- unanswered questions, delivered outbox entries and the update ids kept against redelivery are
  deleted after their time.
Run by the bot every few hours and by `lotse purge [--dry-run]`."""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass, fields

from sqlalchemy import Select, and_, delete, exists, func, select

from bot.handoff.erasure import anonymise
from bot.storage.models import (Case, ConversationState, OutboxMessage, ProcessedUpdate,
                                TranscriptMessage, UnansweredQuestion, User, utcnow)
from bot.storage.repository import Storage
from bot.storage.state_store import STATE_RETENTION

log = logging.getLogger(__name__)
UPDATE_IDS_KEPT = dt.timedelta(days=2)
EXPIRED_NOTE = "Fall #{number}: personenbezogene Daten nach Ablauf der Aufbewahrungsfrist gelöscht."


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


async def purge(storage: Storage, now: dt.datetime, retention_days: int,
                dry_run: bool = False) -> Purged:
    keep = now - dt.timedelta(days=retention_days)
    expired_cases = select(Case).where(Case.status == "closed", Case.closed_at < keep,
                                       Case.user_id.is_not(None) | Case.question.is_not(None))
    stale_states = select(ConversationState.user_id).where(
        ConversationState.updated_at < now - STATE_RETENTION)
    gone_people = select(User.id).where(User.last_seen_at < keep, ~exists().where(
        and_(Case.user_id == User.id, Case.status != "closed")))
    old_questions = select(UnansweredQuestion.id).where(UnansweredQuestion.asked_at < keep)
    old_outbox = select(OutboxMessage.id).where(OutboxMessage.delivered_at < keep)
    old_updates = select(ProcessedUpdate.update_id).where(
        ProcessedUpdate.processed_at < now - UPDATE_IDS_KEPT)
    async with storage.session() as session:
        async def count(query: Select) -> int:
            return await session.scalar(select(func.count()).select_from(query.subquery())) or 0

        found = Purged(*[await count(q) for q in (expired_cases, stale_states, gone_people,
                                                  old_questions, old_outbox, old_updates)])
        if dry_run:
            return found
        for case in await session.scalars(expired_cases):
            await session.execute(delete(TranscriptMessage).where(
                TranscriptMessage.case_id == case.id))
            session.add_all(anonymise(case, EXPIRED_NOTE.format(number=case.id), now))
        await session.execute(delete(ConversationState).where(
            ConversationState.user_id.in_(stale_states)))
        await session.execute(delete(User).where(User.id.in_(gone_people)))
        await session.execute(delete(UnansweredQuestion).where(
            UnansweredQuestion.id.in_(old_questions)))
        await session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(old_outbox)))
        await session.execute(delete(ProcessedUpdate).where(
            ProcessedUpdate.update_id.in_(old_updates)))
    await storage.checkpoint()  # the erased values out of SQLite's WAL too
    return found


PURGE_EVERY = dt.timedelta(hours=6)


async def purge_regularly(storage: Storage, retention_days: int) -> None:
    """The running bot's retention job: purge now, then every few hours, until cancelled."""
    while True:
        try:
            found = await purge(storage, utcnow(), retention_days)
            log.info("retention purge: %s", found)
        except Exception:  # a failed purge is retried at the next round, never fatal
            log.exception("retention purge failed")
        await asyncio.sleep(PURGE_EVERY.total_seconds())
