"""The figures for the year review (`lotse stats`): per calendar month and for the whole period.

Only aggregates leave this module: counts, medians and shares keyed by month, language code,
topic, outcome, flow and node. Session keys, user ids, names, phone numbers and message texts are
never read into a figure (the case query, `bot.storage.usage.period`, does not even select them).

Definitions (months are calendar months in the office's time zone, `office_hours.timezone` of
faq/organisation.yaml, like the "person" events the bot writes; `DEFAULT_TIME_ZONE` when the
content does not load):

- conversations: "conversation" events in the month.
- people: "person" events in the month (one per person and month: the bot writes it at a
  person's first activity in a month). People cannot be followed across months, so the period's
  figure is the monthly average, not a sum: over the months from the first one with a
  conversation (`averaged_months`), so that a Lotse that went live in the middle of the period is
  not averaged over months it did not run.
- people by language: the "person" event's language; when the person had not chosen one yet, the
  first language recorded in the same conversation; otherwise "unknown".
- answers by topic: "answer" events (an FAQ answer was shown) by the entry's topic.
- handoffs by topic: cases opened in the month, by the topic of the intake.
- median time to claim / to close: over the cases opened in the month, from opening to the claim
  and to the close, in seconds (rounded to the second); cases closed because the person deleted
  their data (outcome "deleted") do not count towards the time to close.
- outcomes and ratings: of the cases opened in the month. Ratings 3/2/1 are helped/partly/
  not_helped; the shares are of the rated cases.
- where people give up (`gave_up_at`): a conversation moves on by an "answer", a "step" (a node of
  any flow) or a "case" event. If the last of these in a conversation is a "step" in flow F at
  node N, the conversation gave up in F at N; every other flow it entered was left for an answer,
  a handoff or another node. `flow_conversations` counts the conversations that entered F (had a
  "step" in it), so that a count at a node can be read against it. Both are counted in the month of
  the conversation's last step in F. Only events inside the period are looked at.
"""
from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from bot.storage import usage
from bot.storage.repository import Storage

UNKNOWN = "unknown"
DEFAULT_TIME_ZONE = "Europe/Berlin"
RATINGS = {3: "helped", 2: "partly", 1: "not_helped"}
PROGRESS = frozenset({"answer", "step", "case"})
"""Event kinds that mean a conversation moved on (see `gave_up_at` above)."""
Value = int | float | None


class Event(NamedTuple):
    occurred_at: dt.datetime
    session: str
    kind: str
    locale: str | None
    topic: str | None
    flow: str | None
    node: str | None


class CaseRow(NamedTuple):
    created_at: dt.datetime
    topic: str | None
    claimed_at: dt.datetime | None
    closed_at: dt.datetime | None
    outcome: str | None
    rating: int | None


@dataclass
class Figures:
    """The figures of one month, or of the whole period (`add` merges months)."""

    conversations: int = 0
    people: int = 0
    people_by_language: Counter[str] = field(default_factory=Counter)
    answers_by_topic: Counter[str] = field(default_factory=Counter)
    handoffs_by_topic: Counter[str] = field(default_factory=Counter)
    claim_seconds: list[float] = field(default_factory=list)
    close_seconds: list[float] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    ratings: Counter[str] = field(default_factory=Counter)
    flow_conversations: Counter[str] = field(default_factory=Counter)
    gave_up_at: defaultdict[str, Counter[str]] = field(
        default_factory=lambda: defaultdict(Counter))

    def add(self, other: Figures) -> None:
        self.conversations += other.conversations
        self.people += other.people
        for mine, theirs in ((self.people_by_language, other.people_by_language),
                             (self.answers_by_topic, other.answers_by_topic),
                             (self.handoffs_by_topic, other.handoffs_by_topic),
                             (self.outcomes, other.outcomes), (self.ratings, other.ratings),
                             (self.flow_conversations, other.flow_conversations)):
            mine.update(theirs)
        self.claim_seconds += other.claim_seconds
        self.close_seconds += other.close_seconds
        for flow, nodes in other.gave_up_at.items():
            self.gave_up_at[flow].update(nodes)

    @property
    def median_seconds_to_claim(self) -> int | None:
        return _median(self.claim_seconds)

    @property
    def median_seconds_to_close(self) -> int | None:
        return _median(self.close_seconds)

    @property
    def rating_shares(self) -> dict[str, float]:
        rated = sum(self.ratings.values())
        if not rated:
            return {}
        return {key: round(self.ratings[key] / rated, 3) for key in RATINGS.values()}


@dataclass
class Report:
    start: dt.date
    end: dt.date
    """Inclusive."""
    months: dict[str, Figures]
    """"YYYY-MM" → figures, every month of the period in order, empty ones included."""
    time_zone: str

    @property
    def total(self) -> Figures:
        total = Figures()
        for figures in self.months.values():
            total.add(figures)
        return total

    @property
    def averaged_months(self) -> int:
        """The months the people figure is averaged over: from the first month with a
        conversation to the end of the period (all of them when there was none)."""
        counts = [figures.conversations for figures in self.months.values()]
        return len(counts) - next((i for i, count in enumerate(counts) if count), 0)

    def people_per_month(self) -> tuple[float, dict[str, float]]:
        """The period's people figure: the monthly average, overall and by language."""
        total, n = self.total, self.averaged_months
        return (round(total.people / n, 1),
                {code: round(count / n, 1) for code, count in _by_count(total.people_by_language)})


def months_between(start: dt.date, end: dt.date) -> list[str]:
    months, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def month_of(when: dt.datetime, zone: ZoneInfo) -> str:
    """"YYYY-MM": the calendar month of `when` in `zone` (the office's time zone)."""
    return when.astimezone(zone).strftime("%Y-%m")


def compute(start: dt.date, end: dt.date, events: Iterable[Event],
            cases: Iterable[CaseRow], time_zone: str) -> Report:
    """The report from the period's events (ordered by session, then time and insertion) and
    cases, in months of `time_zone`."""
    zone = ZoneInfo(time_zone)
    report = Report(start, end, {m: Figures() for m in months_between(start, end)}, time_zone)
    for _, conversation in groupby(events, key=lambda e: e.session):
        _count_conversation(report.months, list(conversation), zone)
    for case in cases:
        _count_case(report.months[month_of(case.created_at, zone)], case)
    return report


def _count_conversation(months: dict[str, Figures], events: Sequence[Event],
                        zone: ZoneInfo) -> None:
    first_locale = next((e.locale for e in events if e.locale), None)
    last_step: dict[str, Event] = {}
    for event in events:
        figures = months[month_of(event.occurred_at, zone)]
        if event.kind == "conversation":
            figures.conversations += 1
        elif event.kind == "person":
            figures.people += 1
            figures.people_by_language[event.locale or first_locale or UNKNOWN] += 1
        elif event.kind == "answer":
            figures.answers_by_topic[event.topic or UNKNOWN] += 1
        elif event.kind == "step" and event.flow:
            last_step[event.flow] = event
    for flow, step in last_step.items():
        months[month_of(step.occurred_at, zone)].flow_conversations[flow] += 1
    last_progress = next((e for e in reversed(events) if e.kind in PROGRESS), None)
    if last_progress is not None and last_progress.kind == "step" and last_progress.flow:
        months[month_of(last_progress.occurred_at, zone)].gave_up_at[last_progress.flow][
            last_progress.node or UNKNOWN] += 1


def _count_case(figures: Figures, case: CaseRow) -> None:
    figures.handoffs_by_topic[case.topic or UNKNOWN] += 1
    if case.claimed_at is not None:
        figures.claim_seconds.append((case.claimed_at - case.created_at).total_seconds())
    if case.closed_at is not None and case.outcome != "deleted":
        figures.close_seconds.append((case.closed_at - case.created_at).total_seconds())
    if case.outcome:
        figures.outcomes[case.outcome] += 1
    if case.rating in RATINGS:
        figures.ratings[RATINGS[case.rating]] += 1


def _median(values: list[float]) -> int | None:
    return round(statistics.median(values)) if values else None


def _by_count(counter: Counter[str]) -> list[tuple[str, int]]:
    """Largest first, then by key, so that every output lists keys in the same order."""
    return sorted(counter.items(), key=lambda item: (-item[1], item[0]))


async def load(url: str, start: dt.date, end: dt.date, time_zone: str) -> Report:
    """The report for `start`..`end` (inclusive, days in `time_zone`) from the database at
    `url`."""
    storage = Storage.open(url)
    try:
        return await load_from(storage, start, end, time_zone)
    finally:
        await storage.close()


async def load_from(storage: Storage, start: dt.date, end: dt.date, time_zone: str) -> Report:
    """The report for `start`..`end` from `storage` (the web workspace's statistics page)."""
    zone = ZoneInfo(time_zone)
    since = dt.datetime.combine(start, dt.time(), zone)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), zone)
    event_rows, case_rows = await usage.period(storage, since, until)
    events = [Event(*row) for row in event_rows]
    cases = [CaseRow(*row) for row in case_rows]
    return compute(start, end, events, cases, time_zone)


# ----- output -----------------------------------------------------------------------------------


def figures_json(figures: Figures) -> dict[str, Any]:
    """One month's figures as JSON-able data; keys of each mapping largest count first."""
    return {
        "conversations": figures.conversations,
        "people": figures.people,
        "people_by_language": dict(_by_count(figures.people_by_language)),
        "answers_by_topic": dict(_by_count(figures.answers_by_topic)),
        "handoffs_by_topic": dict(_by_count(figures.handoffs_by_topic)),
        "median_seconds_to_claim": figures.median_seconds_to_claim,
        "median_seconds_to_close": figures.median_seconds_to_close,
        "outcomes": dict(_by_count(figures.outcomes)),
        "ratings": ({key: figures.ratings[key] for key in RATINGS.values()}
                    if figures.ratings else {}),
        "rating_shares": figures.rating_shares,
        "flow_conversations": dict(_by_count(figures.flow_conversations)),
        "gave_up_at": {flow: dict(_by_count(figures.gave_up_at[flow]))
                       for flow in sorted(figures.gave_up_at)},
    }


def report_json(report: Report) -> dict[str, Any]:
    """`{"from", "to", "time_zone", "averaged_months", "months": {"YYYY-MM": figures}, "total":
    figures}`; the total's people figures are monthly averages over the last `averaged_months`
    months (`people_per_month`, `people_by_language_per_month`)."""
    total = figures_json(report.total)
    average, by_language = report.people_per_month()
    del total["people"], total["people_by_language"]
    return {
        "from": report.start.isoformat(),
        "to": report.end.isoformat(),
        "time_zone": report.time_zone,
        "averaged_months": report.averaged_months,
        "months": {month: figures_json(f) for month, f in report.months.items()},
        "total": {"people_per_month": average, "people_by_language_per_month": by_language,
                  **total},
    }


def tidy_rows(data: dict[str, Any]) -> Iterator[tuple[str, str, str, Value]]:
    """(month, metric, key, value) rows from `report_json`; month "total" for the period, nested
    keys joined with "/" (flow/node), empty figures (no median) left out."""
    for month, figures in [*data["months"].items(), ("total", data["total"])]:
        for metric, value in figures.items():
            for key, number in _flatten(value):
                if number is not None:
                    yield month, metric, key, number


def _flatten(value: Value | dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Value]]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _flatten(inner, f"{prefix}/{key}" if prefix else key)
    else:
        yield prefix, value
