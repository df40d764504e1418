"""What a staff channel that draws the cases itself (the web workspace) reads: the queue by a
filter, and one case with its note, conversation and callback request. Reads only; every change
goes through `bot.handoff.cases`."""
from __future__ import annotations

from bot.core.case_status import CaseStatus
from bot.handoff.case_facts import record
from bot.handoff.records import CaseRecord, CaseView, QueueFilter, TranscriptEntry
from bot.storage.cases import case_rows
from bot.storage.models import MAX_ID
from bot.storage.repository import Storage

OPEN = (CaseStatus.NEW, CaseStatus.CLAIMED)
_STATUSES = {QueueFilter.OPEN: OPEN, QueueFilter.MINE: OPEN, QueueFilter.CALLBACK: OPEN,
             QueueFilter.UNCLAIMED: (CaseStatus.NEW,), QueueFilter.CLOSED: (CaseStatus.CLOSED,)}


class CaseViews:
    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    async def queue(self, which: QueueFilter, counsellor_id: int) -> list[CaseRecord]:
        """The cases `which` lists (`mine`: those `counsellor_id` holds), in the queue's order
        (`CaseRows.listed`)."""
        async with case_rows(self.storage) as rows:
            cases = await rows.listed(_STATUSES[which],
                                      counsellor_id if which == QueueFilter.MINE else None,
                                      uncalled=which == QueueFilter.CALLBACK)
            return [record(case) for case in cases]

    async def view(self, case_id: int) -> CaseView | None:
        if not 0 < case_id <= MAX_ID:
            return None
        async with case_rows(self.storage) as rows:
            case = await rows.case(case_id)
            if case is None:
                return None
            transcript = tuple(TranscriptEntry(m.id, m.direction, m.kind, m.text, m.created_at,
                                               m.translation)
                               for m in await rows.transcript(case_id))
            return CaseView(record(case), case.note, transcript, case.phone, case.preferred_time,
                            case.called_at, case.outcome)
