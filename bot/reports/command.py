"""`lotse stats`: loads the figures for a period and prints them as a table, CSV or JSON, and
writes the HTML report when asked."""
from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.config import REPO_ROOT, Settings
from bot.core.content.loader import load as load_content
from bot.reports import labels, stats
from bot.reports.html import render

FORMATS = ("table", "csv", "json")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("stats", help="figures per month for the year review (aggregates "
                            "only): table, CSV, JSON or an HTML report")
    parser.add_argument("--from", dest="start", type=dt.date.fromisoformat,
                        metavar="YYYY-MM-DD", help="first day of the period (default: the first "
                        "of the month eleven months before --to's: twelve months)")
    parser.add_argument("--to", dest="end", type=dt.date.fromisoformat,
                        metavar="YYYY-MM-DD", help="last day of the period, included (default: "
                        "today)")
    parser.add_argument("--format", choices=FORMATS, default="table")
    parser.add_argument("--html", type=Path, metavar="FILE",
                        help="also write a self-contained report page (German, with charts)")


def run(settings: Settings, args: argparse.Namespace) -> int:
    from bot.storage import migrate

    content, _ = load_content(settings.content_root, REPO_ROOT / "translations")
    time_zone = content.organisation.office_hours.timezone if content else stats.DEFAULT_TIME_ZONE
    start, end = period(args.start, args.end, dt.datetime.now(ZoneInfo(time_zone)).date())
    if end < start:
        print("lotse: --to is before --from", file=sys.stderr)
        return 2
    if asyncio.run(migrate.pending(settings.DATABASE_URL)):
        print("lotse: the database is not migrated; run `lotse db upgrade` first", file=sys.stderr)
        return 2
    report = asyncio.run(stats.load(settings.DATABASE_URL, start, end, time_zone))
    data = stats.report_json(report)
    names = labels.Names(content)
    if args.html:
        args.html.write_text(render(data, names), encoding="utf-8")
        print(f"report written to {args.html}", file=sys.stderr)
    if args.format == "json":
        print(json.dumps(data, ensure_ascii=False, indent=2))
    elif args.format == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(("month", "metric", "key", "value"))
        writer.writerows(stats.tidy_rows(data))
    else:
        print(table(data, names))
    return 0


def period(start: dt.date | None, end: dt.date | None, today: dt.date) -> tuple[dt.date, dt.date]:
    """The period asked for: without an end it ends `today`, without a start it begins on the
    first of the month eleven months before the end's, so that it spans twelve calendar months."""
    end = end or today
    if start is None:
        months = end.year * 12 + end.month - 1 - 11
        start = dt.date(months // 12, months % 12 + 1, 1)
    return start, end


def table(data: dict[str, Any], names: labels.Names) -> str:
    """A text table: one row per figure (metric and key), one column per month, then the period
    (sums, but the monthly average for people)."""
    months = list(data["months"])
    cells: dict[tuple[str, str], dict[str, str]] = {}
    for month, metric, key, amount in stats.tidy_rows(data):
        cells.setdefault(_row(metric, key), {})[month] = labels.value(metric, amount)
    order = [_row(metric, key) for month, metric, key, _ in stats.tidy_rows(data)
             if month == "total"]
    order.sort(key=lambda row: list(labels.METRICS).index(row[0]))
    rows = [["", *(labels.month_name(m) for m in months), "Zeitraum"]]
    for metric, key in order:
        name = labels.METRICS[metric] + (f" · {names.key(metric, key)}" if key else "")
        rows.append([name, *(cells[metric, key].get(m, "") for m in [*months, "total"])])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    start, end = (labels.day(dt.date.fromisoformat(data[k])) for k in ("from", "to"))
    lines = [f"Lotse – Statistik {start} bis {end}",
             "Zeitraum: Summe, bei Personen der Monatsdurchschnitt; Zeiten: Median", ""]
    for row in rows:
        lines.append("  ".join([row[0].ljust(widths[0]),
                                *(cell.rjust(w) for cell, w in zip(row[1:], widths[1:]))]))
    return "\n".join(lines)


def _row(metric: str, key: str) -> tuple[str, str]:
    """The table row of a figure: the period's monthly averages share the people rows."""
    return {"people_per_month": "people",
            "people_by_language_per_month": "people_by_language"}.get(metric, metric), key
