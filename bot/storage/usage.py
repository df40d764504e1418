"""The anonymous records behind the figures, as plain rows: the usage events and the cases of a
period (`lotse stats`, `bot.reports.stats`) and the stored unanswered questions (`lotse content
gaps`, `bot.reports.gaps`). No query here selects a column that could name a person."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import select

from bot.storage.models import Case, UnansweredQuestion, UsageEvent
from bot.storage.repository import Storage

Row = tuple[Any, ...]


async def period(storage: Storage, since: dt.datetime,
                 until: dt.datetime) -> tuple[list[Row], list[Row]]:
    """The usage events from `since` to before `until` (occurred_at, session, kind, locale,
    topic, flow, node; ordered by session, then time and insertion) and the cases opened then
    (created_at, topic, claimed_at, closed_at, outcome, rating), read in one transaction."""
    events = (select(UsageEvent.occurred_at, UsageEvent.session, UsageEvent.kind,
                     UsageEvent.locale, UsageEvent.topic, UsageEvent.flow, UsageEvent.node)
              .where(UsageEvent.occurred_at >= since, UsageEvent.occurred_at < until)
              .order_by(UsageEvent.session, UsageEvent.occurred_at, UsageEvent.id))
    cases = (select(Case.created_at, Case.topic, Case.claimed_at, Case.closed_at, Case.outcome,
                    Case.rating)
             .where(Case.created_at >= since, Case.created_at < until))
    async with storage.engine.connect() as connection:
        return ([tuple(row) for row in await connection.execute(events)],
                [tuple(row) for row in await connection.execute(cases)])


async def unanswered_questions(storage: Storage, since: dt.datetime | None = None,
                               locale: str | None = None) -> dict[str, list[str]]:
    """The stored questions by language, optionally only those asked from `since` on."""
    query = select(UnansweredQuestion.locale, UnansweredQuestion.text)
    if since is not None:
        query = query.where(UnansweredQuestion.asked_at >= since)
    if locale is not None:
        query = query.where(UnansweredQuestion.locale == locale)
    by_locale: defaultdict[str, list[str]] = defaultdict(list)
    async with storage.session() as session:
        for lang, text in await session.execute(query):
            by_locale[lang].append(text)
    return dict(by_locale)
