"""What state a case is in, one vocabulary for every layer: the database column
(`bot.storage.models.Case.status`), the handoff, the staff channels and the case note. The values
are what the database stores."""
from __future__ import annotations

from enum import StrEnum


class CaseStatus(StrEnum):
    NEW = "new"
    """Opened, nobody holds it yet (it is in the queue)."""
    CLAIMED = "claimed"
    """A counsellor holds it."""
    CLOSED = "closed"
    """Closed with an outcome (or erased at the person's request)."""
