"""The clock: what time it is, as a timezone-aware UTC datetime. Everything that needs the time
asks here (or takes a `clock` to call, as `Cases` and the outbox do, so tests can set it); the pure
engine in `bot/core` never does: the time enters it inside events (e.g. `CaseOpened.now`)."""
from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)
