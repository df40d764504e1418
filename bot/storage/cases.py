"""The rows of cases, their transcripts and their outbox entries, as `bot.handoff.cases` changes
them: `CaseRows` is one transaction over them (`case_rows`), so a case, what it says to the
staff and what it says to the person are committed together or not at all."""
from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.case_status import CaseStatus
from bot.storage.models import Case, OutboxMessage, TranscriptMessage, User
from bot.storage.repository import Storage, UserRecord
from bot.storage.statements import USER_RECORD_COLUMNS


@asynccontextmanager
async def case_rows(storage: Storage) -> AsyncIterator[CaseRows]:
    """One transaction of `storage` over cases, transcripts and outbox rows."""
    async with storage.session() as session:
        yield CaseRows(session)


class CaseRows:
    """One transaction's cases, transcripts and outbox rows; `wrote_outbox` says whether it
    added outbox rows (whoever committed it then wakes the delivery worker)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self.wrote_outbox = False

    async def case(self, case_id: int, *, lock: bool = False) -> Case | None:
        """The case row; with `lock`, locked for this transaction where the database can
        (PostgreSQL; SQLite has one writer at a time anyway)."""
        query = select(Case).where(Case.id == case_id)
        return await self._session.scalar(query.with_for_update() if lock else query)

    async def case_of(self, user_id: int, case_id: int) -> Case | None:
        """Case `case_id` if it is the person `user_id`'s."""
        return await self._session.scalar(select(Case).where(Case.id == case_id,
                                                             Case.user_id == user_id))

    async def counsellor_text(self, user_id: int, message_id: int) -> str | None:
        """A counsellor's transcript message in a case of the person `user_id`: its text."""
        return await self._session.scalar(
            select(TranscriptMessage.text).join(Case)
            .where(TranscriptMessage.id == message_id, TranscriptMessage.direction == "counsellor",
                   Case.user_id == user_id))

    async def cases_of(self, user_id: int) -> list[Case]:
        return list(await self._session.scalars(select(Case).where(Case.user_id == user_id)))

    async def in_topic(self, thread_id: int) -> Case | None:
        """The newest case whose staff topic is `thread_id`."""
        return await self._session.scalar(select(Case).where(Case.staff_thread_id == thread_id)
                                          .order_by(Case.id.desc()).limit(1))

    async def unclaimed(self) -> list[Case]:
        """Open cases nobody holds, oldest first."""
        return list(await self._session.scalars(select(Case).where(Case.status == CaseStatus.NEW)
                                                .order_by(Case.created_at, Case.id)))

    async def listed(self, statuses: Sequence[str], claimed_by: int | None = None,
                     uncalled: bool = False, limit: int = 200) -> list[Case]:
        """Cases in `statuses` (held by `claimed_by`, when given; with `uncalled`, only those
        whose person asked for a callback not yet made): closed ones newest closed first, open
        ones urgent first, then unclaimed, each oldest first."""
        query = select(Case).where(Case.status.in_(statuses))
        if claimed_by is not None:
            query = query.where(Case.claimed_by_id == claimed_by)
        if uncalled:
            query = query.where(Case.contact_preference == "phone", Case.called_at.is_(None))
        if list(statuses) == [CaseStatus.CLOSED]:
            query = query.order_by(Case.closed_at.desc(), Case.id.desc())
        else:
            query = query.order_by(Case.urgent.desc(), (Case.status == CaseStatus.CLAIMED),
                                   Case.created_at, Case.id)
        return list(await self._session.scalars(query.limit(limit)))

    async def transcript(self, case_id: int) -> list[TranscriptMessage]:
        """The case's conversation, in the order it was written."""
        return list(await self._session.scalars(
            select(TranscriptMessage).where(TranscriptMessage.case_id == case_id)
            .order_by(TranscriptMessage.id)))

    async def person(self, case_id: int) -> tuple[str, str, UserRecord] | None:
        """The case's person: (channel, external id, record); None when they are erased."""
        row = (await self._session.execute(
            select(User.channel, User.external_id, *USER_RECORD_COLUMNS)
            .join(Case, Case.user_id == User.id).where(Case.id == case_id))).first()
        return None if row is None else (row[0], row[1], UserRecord(*row[2:]))

    async def consent_of(self, user_id: int | None) -> dt.datetime | None:
        user = await self._session.get(User, user_id) if user_id is not None else None
        return None if user is None else user.consent_at

    async def add(self, row: Case | TranscriptMessage) -> None:
        """A new case or transcript message, with its id from the database."""
        self._session.add(row)
        await self._session.flush()

    def outbox(self, kind: str, key: str, case_id: int, payload: dict[str, Any],
               now: dt.datetime) -> None:
        """An outbox row of `kind`, unique by `key`, due now."""
        self.add_outbox([OutboxMessage(kind=kind, dedupe_key=key, case_id=case_id,
                                       payload=payload, created_at=now, next_attempt_at=now)])

    def add_outbox(self, rows: Iterable[OutboxMessage]) -> None:
        rows = list(rows)
        self._session.add_all(rows)
        self.wrote_outbox = self.wrote_outbox or bool(rows)

    async def outbox_row(self, key: str) -> OutboxMessage | None:
        """The outbox row with dedupe key `key`, delivered or not."""
        return await self._session.scalar(select(OutboxMessage)
                                          .where(OutboxMessage.dedupe_key == key))

    async def forget(self, numbers: Sequence[int]) -> None:
        """Delete the transcripts of the cases `numbers` and their undelivered outbox rows
        (`bot.handoff.erasure`)."""
        if numbers:
            await self._session.execute(delete(TranscriptMessage).where(
                TranscriptMessage.case_id.in_(numbers)))
            await self._session.execute(delete(OutboxMessage).where(
                OutboxMessage.case_id.in_(numbers), OutboxMessage.delivered_at.is_(None)))

    async def delete_user(self, user_id: int) -> None:
        await self._session.execute(delete(User).where(User.id == user_id))
