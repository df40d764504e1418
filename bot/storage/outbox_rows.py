"""The outbox's rows in the database, as the worker (`bot.handoff.outbox`) reads and marks them:
the oldest undelivered rows per group of kinds, a row's claim on PostgreSQL, its failure, drop or
delivery (with what the delivery recorded on its case), the case and transcript message a row
refers to, and a new row that belongs to no case's transaction (a prompt for the counsellors).

Rows that belong to a change of a case are written by `bot.handoff.cases` in that change's own
transaction; everything else the worker does goes through here."""
from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Collection, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, text, update

from bot.storage.models import Case, OutboxMessage, TranscriptMessage, User
from bot.storage.repository import Storage

SCAN_LIMIT = 200
"""Rows read per group of kinds and pass (the oldest first)."""


@dataclass(frozen=True)
class OutboxRow:
    """An undelivered row: `person` is the person's id on their channel (User.external_id) when
    the row's case has one."""

    id: int
    kind: str
    case_id: int | None
    payload: dict[str, Any]
    attempts: int
    next_attempt_at: dt.datetime
    person: str | None


@dataclass(frozen=True)
class Waiting:
    """What waits for delivery of one kind: how many rows, and since when the oldest."""

    kind: str
    count: int
    oldest: dt.datetime


@dataclass(frozen=True)
class Transcribed:
    """A transcript message as a relay sends it again, with its translation."""

    id: int
    kind: str
    text: str | None
    file_id: str | None
    translation: str | None = None
    translation_state: str | None = None


class OutboxRows:
    """The outbox's queries on `storage`."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    async def waiting(self, kind_groups: Sequence[Collection[str]]) -> list[OutboxRow]:
        """The oldest undelivered rows (`SCAN_LIMIT`) of each group of kinds, so that neither
        group starves the other; all of them in id order."""
        rows: list[OutboxRow] = []
        async with self.storage.session() as session:
            for kinds in kind_groups:
                query = (select(OutboxMessage.id, OutboxMessage.kind, OutboxMessage.case_id,
                                OutboxMessage.payload, OutboxMessage.attempts,
                                OutboxMessage.next_attempt_at, User.external_id)
                         .outerjoin(Case, Case.id == OutboxMessage.case_id)
                         .outerjoin(User, User.id == Case.user_id)
                         .where(OutboxMessage.delivered_at.is_(None),
                                OutboxMessage.kind.in_(sorted(kinds)))
                         .order_by(OutboxMessage.id).limit(SCAN_LIMIT))
                rows += [OutboxRow(*r) for r in (await session.execute(query)).all()]
        return sorted(rows, key=lambda r: r.id)

    async def any_waiting(self, kinds: Collection[str]) -> bool:
        async with self.storage.session() as session:
            return await session.scalar(
                select(OutboxMessage.id).where(OutboxMessage.delivered_at.is_(None),
                                               OutboxMessage.kind.in_(sorted(kinds)))
                .limit(1)) is not None

    async def backlog(self) -> list[Waiting]:
        """Per kind, what waits: one grouped query over the index on delivered_at."""
        async with self.storage.session() as session:
            rows = (await session.execute(
                select(OutboxMessage.kind, func.count(), func.min(OutboxMessage.created_at))
                .where(OutboxMessage.delivered_at.is_(None))
                .group_by(OutboxMessage.kind))).all()
        return [Waiting(kind, count, oldest) for kind, count, oldest in rows]

    @asynccontextmanager
    async def claim(self, space: int, row: OutboxRow) -> AsyncIterator[bool]:
        """PostgreSQL: whether `row` is still waiting as it was read and no other instance has
        it; the claim (a transaction-level advisory lock on `space`, the row id) lasts until the
        block ends."""
        async with self.storage.session() as session:
            claimed = await session.scalar(text("SELECT pg_try_advisory_xact_lock(:space, :row)"),
                                           {"space": space, "row": row.id})
            if claimed:  # a former holder may have finished the row since it was read
                attempts = await session.scalar(select(OutboxMessage.attempts).where(
                    OutboxMessage.id == row.id, OutboxMessage.delivered_at.is_(None)))
                claimed = attempts == row.attempts
            yield bool(claimed)

    async def failed(self, row_id: int, attempts: int, error: str,
                     next_attempt_at: dt.datetime) -> None:
        await self._update_row(row_id, attempts=attempts, last_error=error,
                               next_attempt_at=next_attempt_at)

    async def drop(self, row_id: int, when: dt.datetime, reason: str, attempts: int) -> None:
        """Mark a row that can never arrive as done, with the reason in last_error."""
        await self._update_row(row_id, delivered_at=when, last_error=reason, attempts=attempts)

    async def note_payload(self, row_id: int, payload: dict[str, Any]) -> None:
        """Replace a row's payload (what a delivery must remember before a call it cannot take
        back, committed before the call)."""
        await self._update_row(row_id, payload=payload)

    async def delivered(self, row_id: int, when: dt.datetime, case_id: int | None = None,
                        **case_values: Any) -> None:
        """Mark the row delivered and, in the same transaction, record `case_values` (what the
        delivery learned, like the posted note's id) on case `case_id`."""
        async with self.storage.session() as session:
            if case_values:
                await session.execute(update(Case).where(Case.id == case_id)
                                      .values(case_values))
            await session.execute(update(OutboxMessage).where(OutboxMessage.id == row_id)
                                  .values(delivered_at=when, last_error=None))

    async def case(self, case_id: int | None) -> Case | None:
        """The case a row belongs to, detached (None when there is none)."""
        if case_id is None:
            return None
        async with self.storage.session() as session:
            return await session.get(Case, case_id)

    async def set_case(self, case_id: int, **values: Any) -> None:
        """Record on the case what a delivery learned, at once (a topic's id)."""
        async with self.storage.session() as session:
            await session.execute(update(Case).where(Case.id == case_id).values(values))

    async def user_of(self, case_id: int | None) -> int | None:
        async with self.storage.session() as session:
            return await session.scalar(select(Case.user_id).where(Case.id == case_id))

    async def transcribed(self, message_id: int | None) -> Transcribed | None:
        if not message_id:
            return None
        async with self.storage.session() as session:
            message = await session.get(TranscriptMessage, message_id)
        return None if message is None else Transcribed(
            message.id, message.kind, message.text, message.file_id, message.translation,
            message.translation_state)

    async def add(self, kind: str, payload: dict[str, Any], now: dt.datetime) -> None:
        """A row of no case's change (a prompt for the counsellors), committed at once."""
        async with self.storage.session() as session:
            session.add(OutboxMessage(kind=kind, dedupe_key=f"{kind}:{uuid.uuid4()}",
                                      payload=payload, created_at=now, next_attempt_at=now))

    async def _update_row(self, row_id: int, **values: Any) -> None:
        async with self.storage.session() as session:
            await session.execute(update(OutboxMessage).where(OutboxMessage.id == row_id)
                                  .values(values))
