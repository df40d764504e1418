"""The HTML report of `lotse stats --html`: one self-contained German page (inline CSS, charts as
inline SVG, no scripts, fonts or links) that reads on a phone and prints on A4."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from html import escape
from typing import Any

from bot.reports import labels

BAR_COLOUR = "#0072b2"
"""Okabe–Ito blue: every bar has it (what a bar is, its label says, not its colour)."""
CHART_WIDTH, CHART_HEIGHT, AXIS = 720, 240, 28
ROW_HEIGHT, NAME_WIDTH = 26, 190
"""A bar chart with one row per key: each row's height and the room for the names left of it."""

CSS = """
:root { color-scheme: light; --ink: #1b1b1b; --muted: #5a5a5a; --line: #d8d8d8; }
* { box-sizing: border-box; }
body { font: 16px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
       color: var(--ink); margin: 0 auto; padding: 1rem; max-width: 64rem; }
h1 { font-size: 1.6rem; margin: .2rem 0; } h2 { font-size: 1.25rem; margin: 2rem 0 .5rem; }
h3 { font-size: 1.05rem; margin: 1.2rem 0 .4rem; }
.note { color: var(--muted); font-size: .9rem; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(10rem, 1fr)); gap: .6rem; }
.card { border: 1px solid var(--line); border-radius: .4rem; padding: .6rem .8rem; }
.card b { display: block; font-size: 1.5rem; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: .85rem; margin: .3rem 0 1rem; }
th, td { padding: .25rem .4rem; border-bottom: 1px solid var(--line); white-space: nowrap; }
td { text-align: right; font-variant-numeric: tabular-nums; }
thead th { text-align: right; border-bottom: 2px solid var(--ink); }
th.name, td.name { text-align: left; white-space: normal; }
th:first-child, td:first-child { min-width: 9rem; }
tr.sum td { font-weight: 600; }
svg { width: 100%; height: auto; max-width: 48rem; display: block; }
svg text { font: 14px system-ui, Arial, sans-serif; fill: var(--ink); }
@page { size: A4; margin: 14mm; }
@media print {
  body { font-size: 10pt; max-width: none; padding: 0; }
  section { break-inside: avoid; } h2 { break-after: avoid; }
  .scroll { overflow: visible; }
  table { font-size: 7.5pt; } th, td { padding: 1pt 3pt; }
  th:first-child, td:first-child { min-width: 0; }
  * { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
}
"""


def render(data: dict[str, Any], names: labels.Names) -> str:
    """The page for `stats.report_json` data."""
    months, total = list(data["months"]), data["total"]
    start, end = (labels.day(dt.date.fromisoformat(data[key])) for key in ("from", "to"))
    per_month = data["months"]
    body = [
        f"<h1>Lotse – Zahlen für den Jahresrückblick</h1><p>Zeitraum {start} bis {end}</p>",
        '<p class="note">Nur zusammengefasste Zahlen: keine Namen, Telefonnummern, Nachrichten '
        "oder Kennungen. Für den internen Jahresrückblick; auch kleine Zahlen sind angegeben. "
        f"Monate nach der Ortszeit der Beratungsstelle ({escape(data['time_zone'])}).</p>",
        _section("Auf einen Blick", _cards(total)),
        _section("Gespräche", _bars([per_month[m]["conversations"] for m in months], months,
                                    "Gespräche") + _matrix(data, "conversations", names)),
        _section("Personen", '<p class="note">Jede Person zählt einmal im Monat, in dem sie '
                 "schreibt; über Monate hinweg lassen sich Personen nicht verfolgen, deshalb steht "
                 f"für den Zeitraum der Monatsdurchschnitt (Ø){_averaged(data)}.</p>"
                 + _bars([per_month[m]["people"] for m in months], months, "Personen")
                 + _matrix(data, "people", names)),
        _section("Personen nach Sprache", _languages(total, names)
                 + _matrix(data, "people_by_language", names)),
        _section("Angezeigte Antworten nach Thema", _matrix(data, "answers_by_topic", names)),
        _section("Übergaben an die Beratung nach Thema", _matrix(data, "handoffs_by_topic", names)),
        _section("Bearbeitung der Übergaben",
                 "<h3>Zeit bis zur Übernahme und bis zum Abschluss (Median)</h3>"
                 + _times(data) + "<h3>Ergebnisse</h3>" + _matrix(data, "outcomes", names)
                 + "<h3>Bewertungen</h3>" + _matrix(data, "ratings", names)
                 + _matrix(data, "rating_shares", names)),
        _section("Wo Gespräche in den Abläufen enden", _drop_off(total, names)),
    ]
    return ("<!DOCTYPE html>\n<html lang=\"de\"><head><meta charset=\"utf-8\">"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>Lotse – Statistik {start} bis {end}</title><style>{CSS}</style></head>"
            f"<body>{''.join(body)}</body></html>\n")


def _averaged(data: dict[str, Any]) -> str:
    """Over which months the average is taken, when not over all of the period's."""
    n = data["averaged_months"]
    if n == len(data["months"]):
        return ""
    return (f", über die {labels.number(n)} Monate ab dem ersten Gespräch"
            if n > 1 else ", über den einen Monat mit Gesprächen")


def _section(title: str, inner: str) -> str:
    return f"<section><h2>{escape(title)}</h2>{inner}</section>"


def _cards(total: dict[str, Any]) -> str:
    helped = total["rating_shares"].get("helped")
    cards = [
        ("Gespräche", labels.number(total["conversations"])),
        ("Personen im Monatsdurchschnitt", labels.number(total["people_per_month"])),
        ("Angezeigte Antworten", labels.number(sum(total["answers_by_topic"].values()))),
        ("Übergaben an die Beratung", labels.number(sum(total["handoffs_by_topic"].values()))),
        ("Zeit bis zur Übernahme (Median)", labels.duration(total["median_seconds_to_claim"])),
        ("Zeit bis zum Abschluss (Median)", labels.duration(total["median_seconds_to_close"])),
        ("„Hat geholfen“", "–" if helped is None else labels.share(helped)),
    ]
    return '<div class="cards">' + "".join(
        f'<div class="card">{escape(title)}<b>{escape(text)}</b></div>'
        for title, text in cards) + "</div>"


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], sum_row: bool = False,
           text_columns: int = 1) -> str:
    """A table whose first `text_columns` columns are words and the others figures."""
    header = "".join(f'<th class="name">{escape(cell)}</th>' if i < text_columns else
                     f"<th>{escape(cell)}</th>" for i, cell in enumerate(head))
    lines = []
    for index, row in enumerate(rows):
        css = ' class="sum"' if sum_row and index == len(rows) - 1 else ""
        cells = "".join(f'<td class="name">{escape(cell)}</td>' if i < text_columns else
                        f"<td>{escape(cell)}</td>" for i, cell in enumerate(row))
        lines.append(f"<tr{css}>{cells}</tr>")
    return (f'<div class="scroll"><table><thead><tr>{header}</tr></thead>'
            f"<tbody>{''.join(lines)}</tbody></table></div>")


def _matrix(data: dict[str, Any], metric: str, names: labels.Names) -> str:
    """A table of `metric`: one row per key (one row for a plain count), a column per month and
    one for the period."""
    months, total = list(data["months"]), data["total"]
    average = {"people": "people_per_month",
               "people_by_language": "people_by_language_per_month"}.get(metric)
    period = total[average or metric]
    head = [labels.METRICS[metric], *_short_months(months),
            "Ø Monat" if average else "Zeitraum"]
    if not isinstance(period, dict):
        return _table(head, [[labels.METRICS[metric],
                              *(labels.value(metric, data["months"][m][metric]) for m in months),
                              labels.value(metric, period)]])
    if not period:
        return '<p class="note">Keine im Zeitraum.</p>'
    missing = None if metric == "rating_shares" else 0  # no rating that month: no share
    rows = [[names.key(metric, key),
             *(labels.value(metric, data["months"][m][metric].get(key, missing)) for m in months),
             labels.value(metric, amount)] for key, amount in period.items()]
    return _table(head, rows)


def _short_months(months: Sequence[str]) -> list[str]:
    """Column headings: "Jan" within one year, "Jan 26" when the period spans years."""
    style = "LLL" if len({m[:4] for m in months}) == 1 else "LLL yy"
    return [labels.month_name(m, style) for m in months]


def _times(data: dict[str, Any]) -> str:
    months, total = list(data["months"]), data["total"]
    head = ["Monat", "Übergaben", "bis zur Übernahme", "bis zum Abschluss"]
    rows = [[labels.month_name(m, "LLLL yyyy"),
             labels.number(sum(figures["handoffs_by_topic"].values())),
             labels.duration(figures["median_seconds_to_claim"]),
             labels.duration(figures["median_seconds_to_close"])]
            for m, figures in ((m, data["months"][m]) for m in months)]
    rows.append(["Zeitraum", labels.number(sum(total["handoffs_by_topic"].values())),
                 labels.duration(total["median_seconds_to_claim"]),
                 labels.duration(total["median_seconds_to_close"])])
    return _table(head, rows, sum_row=True)


def _drop_off(total: dict[str, Any], names: labels.Names) -> str:
    intro = ('<p class="note">Ein Gespräch endet an einem Schritt, wenn danach weder eine '
             "Antwort noch ein weiterer Schritt noch eine Übergabe folgt. Der Anteil bezieht sich "
             "auf die Gespräche, die den Ablauf betreten haben.</p>")
    if not total["flow_conversations"]:
        return intro + '<p class="note">Keine Abläufe im Zeitraum.</p>'
    parts = [intro]
    for flow, entered in total["flow_conversations"].items():
        ended = total["gave_up_at"].get(flow, {})
        rows = [[names.node(flow, node), labels.number(count), labels.share(count / entered)]
                for node, count in ended.items()]
        rows.append(["Summe", labels.number(sum(ended.values())),
                     labels.share(sum(ended.values()) / entered)])
        parts.append(f"<h3>{escape(names.flow(flow))} – {labels.number(entered)} Gespräche im "
                     "Ablauf</h3>"
                     + _table(["Schritt", "Gespräche enden hier", "Anteil"], rows, True))
    return "".join(parts)


def _bars(values: Sequence[int], months: Sequence[str], what: str) -> str:
    """A bar per month with its value above it."""
    top = max(values, default=0) or 1
    slot = (CHART_WIDTH - 2 * AXIS) / max(len(values), 1)
    plot = CHART_HEIGHT - 2 * AXIS
    shapes = []
    for index, (month, amount) in enumerate(zip(months, values)):
        x, height = AXIS + index * slot, plot * amount / top
        y = AXIS + plot - height
        label = f"{labels.month_name(month, 'LLLL yyyy')}: {labels.number(amount)} {what}"
        shapes.append(
            f'<rect x="{x + slot * .15:.1f}" y="{y:.1f}" width="{slot * .7:.1f}" '
            f'height="{height:.1f}" fill="{BAR_COLOUR}"><title>{escape(label)}</title></rect>'
            f'<text x="{x + slot / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle">'
            f"{escape(labels.number(amount))}</text>")
    return _svg(f"{what} pro Monat", shapes, months)


def _languages(total: dict[str, Any], names: labels.Names) -> str:
    """People per month on average by language: one bar per language, the most first."""
    averages = total["people_by_language_per_month"]  # largest first (stats._by_count)
    if not averages:
        return '<p class="note">Keine im Zeitraum.</p>'
    top = max(averages.values()) or 1
    plot = CHART_WIDTH - NAME_WIDTH - 2 * AXIS
    shapes = []
    for index, (code, amount) in enumerate(averages.items()):
        y, width = index * ROW_HEIGHT, plot * amount / top
        name, text = names.key("people_by_language", code), labels.number(amount)
        middle = y + ROW_HEIGHT * .68
        shapes.append(
            f'<text x="{NAME_WIDTH - 8}" y="{middle:.1f}" text-anchor="end">{escape(name)}</text>'
            f'<rect x="{NAME_WIDTH}" y="{y + 4}" width="{width:.1f}" height="{ROW_HEIGHT - 8}" '
            f'fill="{BAR_COLOUR}"><title>{escape(f"{name}: {text} Personen im Monat")}</title>'
            f'</rect><text x="{NAME_WIDTH + width + 6:.1f}" y="{middle:.1f}">{escape(text)}</text>')
    title = "Personen im Monatsdurchschnitt nach Sprache"
    return (f'<svg viewBox="0 0 {CHART_WIDTH} {ROW_HEIGHT * len(averages)}" role="img" '
            f'aria-label="{escape(title)}"><title>{escape(title)}</title>{"".join(shapes)}</svg>')


def _svg(title: str, shapes: Sequence[str], months: Sequence[str]) -> str:
    slot = (CHART_WIDTH - 2 * AXIS) / max(len(months), 1)
    axis_y = CHART_HEIGHT - AXIS
    ticks = "".join(
        f'<text x="{AXIS + i * slot + slot / 2:.1f}" y="{axis_y + 16}" text-anchor="middle">'
        f"{escape(name)}</text>" for i, name in enumerate(_short_months(months)))
    return (f'<svg viewBox="0 0 {CHART_WIDTH} {CHART_HEIGHT}" role="img" '
            f'aria-label="{escape(title)}"><title>{escape(title)}</title>{"".join(shapes)}'
            f'<line x1="{AXIS}" y1="{axis_y}" x2="{CHART_WIDTH - AXIS}" y2="{axis_y}" '
            f'stroke="#1b1b1b"/>{ticks}</svg>')
