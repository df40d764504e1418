"""Translation coverage for admins: every FAQ entry and flow × every language, with its state."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum
from typing import Any

from bot.core.content.model import Content
from bot.core.content.schema import Flow


class Coverage(Enum):
    REVIEWED = "reviewed"
    MACHINE = "machine"
    MISSING = "missing"
    STALE = "stale"
    """Present, but its facts were last reviewed longer ago than allowed."""


SYMBOLS = {Coverage.REVIEWED: "✓", Coverage.MACHINE: "m", Coverage.MISSING: "–",
           Coverage.STALE: "!"}


@dataclass(frozen=True)
class Row:
    kind: str  # "entry" or "flow"
    id: str
    cells: dict[str, Coverage]


def coverage(content: Content, today: dt.date, max_age_days: int) -> list[Row]:
    rows = []
    for entry in sorted(content.entries.values(), key=lambda e: (e.topic, e.id)):
        stale = (today - entry.reviewed).days > max_age_days
        cells = {}
        for lang in content.languages.languages:
            text = entry.text.get(lang)
            cells[lang] = (Coverage.MISSING if text is None else Coverage.STALE if stale else
                           Coverage(text.status))
        rows.append(Row("entry", entry.id, cells))
    for flow in sorted(content.flows.values(), key=lambda f: (f.order, f.id)):
        languages = _flow_languages(flow)
        rows.append(Row("flow", flow.id, {
            lang: Coverage(flow.status.get(lang, "reviewed")) if lang in languages
            else Coverage.MISSING for lang in content.languages.languages}))
    return rows


def _flow_languages(flow: Flow) -> set[str]:
    """The languages in which every text of the flow exists."""
    found: list[set[str]] = [set(flow.title)]

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if value and all(isinstance(v, str) for v in value.values()) and \
                    all(len(k) in (2, 3) for k in value):
                found.append(set(value))
                return
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(flow.model_dump(exclude={"title", "status"}))
    return set.intersection(*found)


def table(rows: list[Row], languages: list[str]) -> str:
    names = [row.id if row.kind == "entry" else f"{row.id} (flow)" for row in rows]
    width = max(map(len, names)) + 2
    lines = [" " * width + " ".join(f"{lang:>3}" for lang in languages)]
    for name, row in zip(names, rows):
        lines.append(f"{name:<{width}}" + " ".join(f"{SYMBOLS[row.cells[lang]]:>3}"
                                                   for lang in languages))
    lines.append("")
    lines.append("✓ reviewed by a person   m machine translation   – missing   "
                 "! stale: facts older than the allowed review age")
    return "\n".join(lines)
