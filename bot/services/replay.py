"""The replay record: what the last update of a person was answered, kept inside their saved
state: the update's key and the replies. An update that is delivered again after a crash is answered again from here
instead of being run through the engine a second time.

State and record are saved in one write, so after a crash either both are there (the update is
replayed: the same replies, no engine step, no effects) or neither is (the update runs again;
its effects are keyed by the same update, so a case or relay is not written twice)."""
from __future__ import annotations

from typing import Any

from bot.core.events import Reply

RECORD = "turn"
"""The key of the replay record in a saved state (the engine's `State` ignores it). Its name is
older than the record's: saved states carry it, so it stays."""


def replies_of(saved: dict[str, Any] | None, key: str) -> list[Reply] | None:
    """The replies recorded for the update `key`, or None when the record is of another one."""
    record = (saved or {}).get(RECORD)
    if not isinstance(record, dict) or record.get("key") != key:
        return None
    return [Reply.from_json(r) for r in record.get("replies", [])]


def with_record(data: dict[str, Any], saved: dict[str, Any] | None, key: str | None,
                replies: list[Reply]) -> dict[str, Any]:
    """The state `data` to save, with the record of the update `key` and its replies; without a
    key (a counsellor's action, the console) the record saved before is kept."""
    if key is not None:
        return data | {RECORD: {"key": key, "replies": [r.as_json() for r in replies]}}
    before = (saved or {}).get(RECORD)
    return data | {RECORD: before} if before is not None else data

