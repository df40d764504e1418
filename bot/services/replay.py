"""The last turn a person's update caused, kept inside their saved state: its key (the update)
and its replies. An update that is delivered again after a crash is answered again from here
instead of being run through the engine a second time.

State and turn are saved in one write, so after a crash either both are there (the update is
replayed: the same replies, no engine step, no effects) or neither is (the update runs again;
its effects are keyed by the same update, so a case or relay is not written twice)."""
from __future__ import annotations

from typing import Any

from bot.core.events import Reply

TURN = "turn"
"""The key of the turn record in a saved state (the engine's `State` ignores it)."""


def replies_of(saved: dict[str, Any] | None, key: str) -> list[Reply] | None:
    """The replies recorded for the turn `key`, or None when the saved state is of another turn."""
    turn = (saved or {}).get(TURN)
    if not isinstance(turn, dict) or turn.get("key") != key:
        return None
    return [Reply.from_json(r) for r in turn.get("replies", [])]


def with_turn(data: dict[str, Any], saved: dict[str, Any] | None, key: str | None,
              replies: list[Reply]) -> dict[str, Any]:
    """The state `data` to save, with the turn `key` and its replies; without a key (a
    counsellor's action, the console) the turn recorded before is kept."""
    if key is not None:
        return data | {TURN: {"key": key, "replies": [r.as_json() for r in replies]}}
    before = (saved or {}).get(TURN)
    return data | {TURN: before} if before is not None else data

