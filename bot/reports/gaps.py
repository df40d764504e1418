"""What people asked that Lotse could not answer: the stored unanswered questions clustered per
language, each with the FAQ entries that come closest now (`lotse content gaps`). They are deleted
after RETENTION_DAYS by the retention job (bot/ops/retention.py)."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from bot.core.clusters import cluster
from bot.core.content.model import Content
from bot.core.matcher import Candidate, Confidence
from bot.storage.repository import Storage
from bot.storage.usage import unanswered_questions

MAX_EXAMPLES = 3
CLOSEST = 3
"""How many of the closest FAQ entries are shown per cluster."""
VERDICTS = {
    Confidence.CONFIDENT: "answered now",
    Confidence.UNSURE: "offered",
    Confidence.NONE: "nothing close",
}
"""What the live content does with a cluster's representative question today: answer it directly
(the content changed since), offer the closest entries ("Did you mean…?": a question variant is
probably missing there), or find nothing (probably a whole entry is missing)."""


@dataclass(frozen=True)
class Gap:
    """One cluster of similar unanswered questions in one language."""

    locale: str
    count: int
    question: str
    """The representative: the cluster's most frequent wording."""
    examples: tuple[str, ...]
    verdict: Confidence
    closest: tuple[Candidate, ...]

    def to_json(self) -> dict[str, Any]:
        return {"lang": self.locale, "count": self.count, "question": self.question,
                "examples": list(self.examples), "verdict": VERDICTS[self.verdict],
                "closest": [{"id": c.entry_id, "score": round(c.score, 1)} for c in self.closest]}


def find_gaps(content: Content, questions: dict[str, list[str]]) -> list[Gap]:
    """Every cluster, languages with the most questions first, then the largest cluster first."""
    gaps: list[Gap] = []
    for lang in sorted(questions, key=lambda code: (-len(questions[code]), code)):
        for found in cluster(questions[lang]):
            result = content.matcher.match(found.representative, lang)
            gaps.append(Gap(lang, found.count, found.representative,
                            found.questions[1:1 + MAX_EXAMPLES], result.confidence,
                            tuple(content.matcher.rank(found.representative, lang, CLOSEST))))
    return gaps


def render(gaps: list[Gap], questions: dict[str, list[str]]) -> str:
    """The report as text: a heading per language, then one block per cluster."""
    if not gaps:
        return "no unanswered questions"
    lines: list[str] = []
    for lang in dict.fromkeys(g.locale for g in gaps):
        mine = [g for g in gaps if g.locale == lang]
        lines.append(f"{lang}: {len(questions[lang])} question(s) in {len(mine)} cluster(s)")
        for gap in mine:
            lines.append(f"  {gap.count:5}×  {gap.question}")
            if gap.examples:
                lines.append("         also: " + " · ".join(gap.examples))
            closest = ", ".join(f"{c.entry_id} {c.score:.0f}" for c in gap.closest) or "–"
            lines.append(f"         {VERDICTS[gap.verdict]}; closest: {closest}")
        lines.append("")
    return "\n".join(lines).rstrip()


def as_json(gaps: list[Gap]) -> str:
    return json.dumps({"clusters": [g.to_json() for g in gaps]}, ensure_ascii=False)


async def report(database_url: str, content: Content, since: dt.date | None, locale: str | None,
                 json_output: bool) -> str:
    """`lotse content gaps`: the report for the questions in the database at `database_url`."""
    from bot.storage import migrate

    await migrate.upgrade(database_url)
    storage = Storage.open(database_url)
    try:
        start = dt.datetime.combine(since, dt.time(), dt.UTC) if since else None
        questions = await unanswered_questions(storage, start, locale)
    finally:
        await storage.close()
    gaps = find_gaps(content, questions)
    return as_json(gaps) if json_output else render(gaps, questions)
