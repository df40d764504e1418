"""What the staff side knows of a case and of a counsellor's action on it: plain records and
the names of the actions and their results, as `bot.handoff.cases` hands them out and the
channels and the service layer use them."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from bot.core.case_status import CaseStatus


@dataclass(frozen=True)
class Counsellor:
    """Who acts in the staff group: their Telegram id and first name (nothing else is kept)."""

    id: int
    name: str


@dataclass(frozen=True)
class CaseRecord:
    """What the staff side needs to know about a case."""

    id: int
    user_id: int | None
    status: CaseStatus
    locale: str
    topic: str | None
    staff_thread_id: int | None
    claimed_by_id: int | None
    claimed_by_name: str | None
    created_at: dt.datetime
    urgent: bool = False

    @property
    def closed(self) -> bool:
        return self.status == CaseStatus.CLOSED


class CaseAction(StrEnum):
    """What a counsellor does with a case in the staff channel (its buttons carry it)."""

    CLAIM = "claim"
    TAKEOVER = "takeover"
    """Claim a case another counsellor holds."""
    CLOSE = "close"
    """Ask for the outcome to close with."""
    OUTCOME = "outcome"
    """Close with the outcome chosen."""
    KEEP = "keep"
    """Do not close after all."""
    CANNED = "canned"
    """Send a canned reply."""


class Claim(StrEnum):
    """What a claim did."""

    CLAIMED = "claimed"
    TAKEN_OVER = "taken_over"
    YOURS = "yours"
    """Already held by the same counsellor."""
    HELD = "held"
    """Held by someone else: an explicit takeover is needed."""
    CLOSED = "closed"
    MISSING = "missing"


@dataclass(frozen=True)
class ClaimResult:
    """What a claim did, and who held the case before (or holds it, when it was not taken)."""

    result: Claim
    holder: str | None = None
    again: bool = False
    """The same update claimed it before (a second delivery of it)."""

    @property
    def changed(self) -> bool:
        return self.result in (Claim.CLAIMED, Claim.TAKEN_OVER)


@dataclass(frozen=True)
class CannedSent:
    title: str
    """The German title, for the counsellors' notice."""
    transcript_id: int


class QueueFilter(StrEnum):
    """Which cases a staff channel's queue lists."""

    OPEN = "open"
    """Every open case: urgent first, then unclaimed, each oldest first."""
    MINE = "mine"
    UNCLAIMED = "unclaimed"
    CALLBACK = "callback"
    """Open cases whose person asked for a call back that nobody has marked as made."""
    CLOSED = "closed"
    """The most recently closed."""


@dataclass(frozen=True)
class TranscriptEntry:
    """One message of a case's conversation: `direction` "user" (the person), "counsellor" or
    "note" (internal, never sent); `kind` "text" or a medium; the text as written (plain)."""

    id: int
    direction: str
    kind: str
    text: str | None
    created_at: dt.datetime
    translation: str | None = None
    """Its machine translation (Telegram HTML; `bot.handoff.relay_translation`): into German for
    the person's messages, into their language for a counsellor's."""


@dataclass(frozen=True)
class CaseView:
    """A case as a staff channel that shows it itself (the web workspace) needs it: the record,
    the German note (Telegram's HTML subset), the conversation, and the callback request."""

    case: CaseRecord
    note: str
    transcript: tuple[TranscriptEntry, ...]
    phone: str | None
    preferred_time: str | None
    """A `preferred_time` vocabulary key."""
    called_at: dt.datetime | None
    outcome: str | None
