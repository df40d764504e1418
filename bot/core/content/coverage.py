"""Translation coverage for admins: every FAQ entry and flow × every language, with its state."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum

from bot.core.content.freshness import (
    flow_languages,
    outdated_entry_languages,
    outdated_flow_languages,
)
from bot.core.content.model import Content


class Coverage(Enum):
    REVIEWED = "reviewed"
    MACHINE = "machine"
    MISSING = "missing"
    STALE = "stale"
    """Present, but its facts were last reviewed longer ago than allowed."""
    OUTDATED = "outdated"
    """Translated from an older German text: the German changed since."""
    UNSIGNED = "unsigned"
    """The German source, which nobody has signed off (`reviewed_by`)."""


SYMBOLS = {Coverage.REVIEWED: "✓", Coverage.MACHINE: "m", Coverage.MISSING: "–",
           Coverage.STALE: "!", Coverage.OUTDATED: "o", Coverage.UNSIGNED: "?"}


@dataclass(frozen=True)
class Row:
    kind: str  # "entry" or "flow"
    id: str
    cells: dict[str, Coverage]


def coverage(content: Content, today: dt.date, max_age_days: int) -> list[Row]:
    rows = []
    default = content.languages.default_language
    for entry in sorted(content.entries.values(), key=lambda e: (e.topic, e.id)):
        stale = (today - entry.reviewed).days > max_age_days
        outdated = outdated_entry_languages(entry, content.languages.default_language)
        cells = {}
        for lang in content.languages.languages:
            text = entry.text.get(lang)
            cells[lang] = (Coverage.MISSING if text is None else Coverage.STALE if stale else
                           Coverage.OUTDATED if lang in outdated else
                           _source(entry.reviewed_by) if lang == default else
                           Coverage(text.status))
        rows.append(Row("entry", entry.id, cells))
    for flow in sorted(content.flows.values(), key=lambda f: (f.order, f.id)):
        languages = flow_languages(flow)
        outdated = outdated_flow_languages(flow, content.languages.default_language, languages)
        stale = (today - flow.reviewed).days > max_age_days
        rows.append(Row("flow", flow.id, {
            lang: Coverage.MISSING if lang not in languages else Coverage.STALE if stale else
            Coverage.OUTDATED if lang in outdated else _source(flow.reviewed_by)
            if lang == default else Coverage(flow.status.get(lang, "reviewed"))
            for lang in content.languages.languages}))
    return rows


def _source(reviewed_by: str | None) -> Coverage:
    """The German source's cell: reviewed only when someone signed it off."""
    return Coverage.REVIEWED if reviewed_by else Coverage.UNSIGNED


def table(rows: list[Row], languages: list[str]) -> str:
    names = [row.id if row.kind == "entry" else f"{row.id} (flow)" for row in rows]
    width = max(map(len, names)) + 2
    lines = [" " * width + " ".join(f"{lang:>3}" for lang in languages)]
    for name, row in zip(names, rows):
        lines.append(f"{name:<{width}}" + " ".join(f"{SYMBOLS[row.cells[lang]]:>3}"
                                                   for lang in languages))
    lines.append("")
    lines.append("✓ reviewed by a person   m machine translation   – missing   "
                 "! stale: facts older than the allowed review age   "
                 "o outdated: the German changed since it was translated   "
                 "? German not signed off (no reviewed_by)")
    return "\n".join(lines)
