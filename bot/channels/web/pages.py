"""The workspace's pages: the queue (with the part that refreshes live) and a case (its note,
conversation and actions, refreshing live; the reply and note boxes stay as typed)."""
from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.channels.web.accounts import counsellor
from bot.channels.web.workspace import signed_in, workspace
from bot.core.case_note import OUTCOMES
from bot.handoff.records import CaseView, QueueFilter


def _filter(request: web.Request) -> QueueFilter:
    try:
        return QueueFilter(request.query.get("filter", QueueFilter.OPEN))
    except ValueError:
        return QueueFilter.OPEN


async def _queue(request: web.Request) -> dict[str, Any]:
    desk, session = workspace(request), signed_in(request)
    which = _filter(request)
    cases = await desk.views.queue(which, counsellor(session.account).id)
    languages = sorted({case.locale for case in cases})
    language = request.query.get("language", "")
    if language:
        cases = [case for case in cases if case.locale == language]
    return {"session": session, "me": counsellor(session.account), "cases": cases,
            "filter": which, "filters": list(QueueFilter), "languages": languages,
            "language": language}


async def queue_page(request: web.Request) -> web.Response:
    return workspace(request).pages.page("queue.html", **await _queue(request))


async def queue_rows(request: web.Request) -> web.Response:
    return workspace(request).pages.page("queue_rows.html", **await _queue(request))


async def _case(request: web.Request) -> dict[str, Any]:
    desk, session = workspace(request), signed_in(request)
    try:
        view: CaseView | None = await desk.views.view(int(request.match_info["case"]))
    except ValueError:
        view = None
    if view is None:
        raise web.HTTPNotFound(text="Diesen Fall gibt es nicht (mehr).")
    content = desk.content()
    canned = {name: reply.title for name, reply in content.canned_replies.items()}
    return {"session": session, "me": counsellor(session.account), "view": view,
            "case": view.case, "outcomes": OUTCOMES, "canned": canned,
            "said": request.query.get("said", "")}


async def case_page(request: web.Request) -> web.Response:
    return workspace(request).pages.page("case.html", **await _case(request))


async def case_live(request: web.Request) -> web.Response:
    return workspace(request).pages.page("case_live.html", **await _case(request))
