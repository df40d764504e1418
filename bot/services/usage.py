"""Anonymous usage statistics and unanswered questions, written as conversations happen.

Nothing here can name a person: events carry a random per-conversation key, never a user id; the
text of unanswered questions is kept without any link and with phone numbers and e-mail addresses
removed."""
from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from bot.core.content.model import Content
from bot.core.events import Answered, Effect, GiveConsent, OpenCase, Unanswered
from bot.core.state import State
from bot.reports.stats import month_of
from bot.storage.repository import Storage

CONVERSATION_PAUSE = dt.timedelta(minutes=30)
"""A person who writes again after this long starts a new conversation."""
MAX_QUESTION_LENGTH = 500
_CONTACT = re.compile(r"\+?\d[\d ()/.\-]{5,}\d|[\w.+-]+@[\w-]+\.[\w.]+")


def scrub(text: str) -> str:
    """A question with phone numbers and e-mail addresses replaced, shortened."""
    return _CONTACT.sub("…", text)[:MAX_QUESTION_LENGTH]


class Usage:
    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    async def record(self, content: Content, before: State, after: State,
                     effects: Sequence[Effect], now: dt.datetime) -> None:
        """Write what this step means for the statistics; updates `after`'s session fields."""
        last = dt.datetime.fromisoformat(before.last_active) if before.last_active else None
        events: list[dict[str, object]] = []
        locale = after.locale

        def event(kind: str, **fields: str | None) -> None:
            events.append({"occurred_at": now, "session": after.session, "kind": kind,
                           "locale": locale, "topic": None, "entry": None, "flow": None,
                           "node": None} | fields)

        if last is None or now - last > CONVERSATION_PAUSE or not before.session:
            after.session = secrets.token_hex(8)
            event("conversation")
        zone = ZoneInfo(content.organisation.office_hours.timezone)
        if last is None or month_of(last, zone) != month_of(now, zone):  # the report's months
            event("person")
        after.last_active = now.isoformat()
        for step in after.path[len(before.path):] if len(after.path) >= len(before.path) else []:
            flow, _, node = step.partition("/")
            event("step", flow=flow, node=node)
        unanswered: list[dict[str, object]] = []
        for effect in effects:
            if isinstance(effect, Answered) and not effect.chosen:
                entry = content.entries.get(effect.entry_id)
                event("answer", entry=effect.entry_id, topic=entry.topic if entry else None)
            elif isinstance(effect, GiveConsent):
                event("consent")
            elif isinstance(effect, OpenCase):
                event("case", topic=effect.intake.get("topic"))
            elif isinstance(effect, Unanswered):
                unanswered.append({"asked_at": now, "locale": locale or "",
                                   "text": scrub(effect.text)})
        await self.storage.record_usage(events, unanswered)
