"""Driving the pure engine through a few events, for tests."""
from __future__ import annotations

from bot.core.content.model import Content
from bot.core.engine import step
from bot.core.events import Event
from bot.core.state import State

DANGER_QUESTION = "Are you in danger right now?\n\nEmergency: 112 (ambulance, fire brigade) · 110 (police)"
"""The one question about a possible crisis, in English, with the numbers under it."""


def run(content: Content, state: State, *events: Event) -> tuple[State, list, list]:
    """The state after `events`, and the replies and effects of the last one."""
    replies, effects = [], []
    for event in events:
        result = step(content, state, event)
        state, replies, effects = result.state, result.replies, result.effects
    return state, replies, effects
