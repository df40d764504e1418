"""German words and number formats for the statistics (the office publishes in German).

Topic, flow and node names come from the content when it loads; without it the ids are shown."""
from __future__ import annotations

import datetime as dt

from babel.dates import format_date
from babel.numbers import format_decimal, format_percent

from bot.core.case_note import OUTCOMES
from bot.core.content.model import Content
from bot.core.content.schema import AnswerNode, AskNode, HandoffNode, MenuNode
from bot.core.i18n import german_name
from bot.reports.stats import UNKNOWN

LOCALE = "de_DE"
METRICS = {
    "conversations": "Gespräche",
    "people": "Personen",
    "people_per_month": "Personen im Monatsdurchschnitt",
    "people_by_language": "Personen nach Sprache",
    "people_by_language_per_month": "Personen nach Sprache im Monatsdurchschnitt",
    "answers_by_topic": "Angezeigte Antworten nach Thema",
    "handoffs_by_topic": "Übergaben an die Beratung nach Thema",
    "median_seconds_to_claim": "Zeit bis zur Übernahme (Median)",
    "median_seconds_to_close": "Zeit bis zum Abschluss (Median)",
    "outcomes": "Ergebnisse der Übergaben",
    "ratings": "Bewertungen",
    "rating_shares": "Bewertungen (Anteil)",
    "flow_conversations": "Gespräche im Ablauf",
    "gave_up_at": "Abbrüche im Ablauf",
}
RATINGS = {"helped": "hat geholfen", "partly": "teilweise", "not_helped": "nicht geholfen"}
NODE_TYPES = {"menu": "Auswahl", "ask": "Frage", "answer": "Antwort", "branch": "Verzweigung",
              "handoff": "Übergabe"}
UNKNOWN_LABEL = "ohne Angabe"
NODE_TEXT_LIMIT = 60


class Names:
    """Readable German names for the keys of the figures."""

    def __init__(self, content: Content | None) -> None:
        self.content = content

    def key(self, metric: str, key: str) -> str:
        """The name of one key of `metric` (a language code, topic, outcome …)."""
        if key == UNKNOWN:
            return UNKNOWN_LABEL
        if metric.startswith("people_by_language"):
            return german_name(key)
        if metric in ("answers_by_topic", "handoffs_by_topic"):
            return self.topic(key)
        if metric == "outcomes":
            return OUTCOMES.get(key, key)
        if metric in ("ratings", "rating_shares"):
            return RATINGS.get(key, key)
        if metric == "flow_conversations":
            return self.flow(key)
        if metric == "gave_up_at":
            flow, _, node = key.partition("/")
            return f"{self.flow(flow)}: {self.node(flow, node)}"
        return key

    def topic(self, key: str) -> str:
        return self.content.vocabulary_label("topic", key, "de") if self.content else key

    def flow(self, key: str) -> str:
        flow = self.content.flows.get(key) if self.content else None
        return self.content.pick(flow.title, "de").text if self.content and flow else key

    def node(self, flow_id: str, node_id: str) -> str:
        """A step as the person saw it: its kind and the start of its German text (a menu's,
        question's or handoff's; an answer's entry title), with the id after it where another
        step of the flow reads the same; the id alone when the content has no such step."""
        flow = self.content.flows.get(flow_id) if self.content else None
        if flow is None or node_id not in flow.nodes:
            return node_id
        described = self._described(flow_id, node_id)
        if any(self._described(flow_id, other) == described
               for other in flow.nodes if other != node_id):
            return f"{described} ({node_id})"
        return described

    def _described(self, flow_id: str, node_id: str) -> str:
        assert self.content is not None
        node = self.content.flows[flow_id].nodes[node_id]
        kind = NODE_TYPES.get(node.type, node.type)
        if isinstance(node, AnswerNode) and node.faq in self.content.entries:
            text = self.content.entries[node.faq].text["de"].title
        elif isinstance(node, MenuNode | AskNode | HandoffNode) and node.text:
            text = self.content.pick(node.text, "de").text
        else:
            return kind
        short = text if len(text) <= NODE_TEXT_LIMIT else text[:NODE_TEXT_LIMIT - 1] + "…"
        return f"{kind}: {short}"


def number(value: float) -> str:
    return format_decimal(value, locale=LOCALE)


def share(value: float) -> str:
    return format_percent(value, "#,##0.#\u00a0%", locale=LOCALE)


def duration(seconds: float | None) -> str:
    """A median time as people say it: minutes, hours or days."""
    if seconds is None:
        return "–"
    if seconds < 3600:
        return f"{number(round(seconds / 60))}\u00a0Min."
    if seconds < 48 * 3600:
        return f"{number(round(seconds / 3600, 1))}\u00a0Std."
    return f"{number(round(seconds / 86400, 1))}\u00a0Tage"


def value(metric: str, amount: float | None) -> str:
    """A figure of `metric` as it is printed."""
    if metric.startswith("median_seconds"):
        return duration(amount)
    if amount is None:
        return "–"
    return share(amount) if metric == "rating_shares" else number(amount)


def month_name(month: str, style: str = "LLL yy") -> str:
    """"2026-03" as "Mär 26" (default), "März 2026" ("LLLL yyyy") or any Babel date pattern."""
    year, number_ = (int(part) for part in month.split("-"))
    return format_date(dt.date(year, number_, 1), style, locale=LOCALE)


def day(when: dt.date) -> str:
    return format_date(when, "dd.MM.yyyy", locale=LOCALE)
