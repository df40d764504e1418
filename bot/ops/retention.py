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

from bot.clock import utcnow
from bot.handoff.erasure import anonymise
from bot.storage import expiry
from bot.storage.expiry import Purged
from bot.storage.repository import Storage
from bot.storage.state_store import STATE_RETENTION

log = logging.getLogger(__name__)
UPDATE_IDS_KEPT = dt.timedelta(days=2)
EXPIRED_NOTE = "Fall #{number}: personenbezogene Daten nach Ablauf der Aufbewahrungsfrist gelöscht."


async def purge(storage: Storage, now: dt.datetime, retention_days: int,
                dry_run: bool = False) -> Purged:
    """Remove what is past its time at `now` (the module's list); `dry_run` only counts it."""
    found = await expiry.purge(
        storage,
        expiry.Deadlines(personal=now - dt.timedelta(days=retention_days),
                         states=now - STATE_RETENTION, update_ids=now - UPDATE_IDS_KEPT),
        lambda case: anonymise(case, EXPIRED_NOTE.format(number=case.id), now), dry_run)
    if not dry_run:
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
