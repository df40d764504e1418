"""The statistics page for admins: the report of `lotse stats --html` (aggregates only, no
names, numbers or messages) over the period asked for (`?from=YYYY-MM-DD&to=YYYY-MM-DD`, by
default the last twelve months), with its own inline styles and no scripts."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.channels.web.accounts import Role
from bot.channels.web.render import HEADERS
from bot.channels.web.workspace import signed_in, workspace
from bot.reports import labels, stats
from bot.reports.command import period
from bot.reports.html import render

REPORT_HEADERS = HEADERS | {"Content-Security-Policy": "default-src 'none'; style-src "
                            "'unsafe-inline'; img-src data:; frame-ancestors 'none'"}
"""The report is one self-contained page: inline CSS and SVG, nothing to load, no script."""


def _day(request: web.Request, name: str) -> dt.date | None:
    value = request.query.get(name)
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        raise web.HTTPBadRequest(text=f"{name}: ein Datum wie 2026-01-31") from None


async def statistics_page(request: web.Request) -> web.Response:
    if signed_in(request).account.role != Role.ADMIN:
        raise web.HTTPForbidden(text="Die Statistik sehen nur Admins.")
    desk = workspace(request)
    content = desk.content()
    time_zone = content.organisation.office_hours.timezone
    start, end = period(_day(request, "from"), _day(request, "to"),
                        dt.datetime.now(ZoneInfo(time_zone)).date())
    if end < start:
        raise web.HTTPBadRequest(text="to liegt vor from.")
    report = await stats.load_from(desk.conversations.storage, start, end, time_zone)
    return web.Response(text=render(stats.report_json(report), labels.Names(content)),
                        content_type="text/html", headers=REPORT_HEADERS)
