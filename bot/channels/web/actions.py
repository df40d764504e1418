"""What a counsellor does to a case in the workspace: claim, take over, hand back, close with an
outcome, an internal note, a canned reply, a reply. Each goes through the same handoff as the
Telegram topic's buttons (`Conversations.claim` / `close`, `Cases`), keyed by the form
(`update_key`), is written to the audit log when it changed something (who, what, when; never
the text), and answers with the case page again (post, redirect, get)."""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from multidict import MultiDictProxy

from bot.channels.web.accounts import counsellor
from bot.channels.web.workspace import Workspace, signed_in, update_key, workspace
from bot.core.case_note import OUTCOMES
from bot.handoff.records import CaseRecord, Counsellor

log = logging.getLogger(__name__)
Form = MultiDictProxy[str | bytes | bytearray | web.FileField]
MAX_TEXT = 4000
"""Characters of a reply or note (a Telegram message holds 4096)."""


def _said(case_id: int, said: str) -> web.Response:
    return web.Response(status=303, headers={"Location": f"/cases/{case_id}?said={said}"})


def _text(form: Form, name: str) -> str:
    value = form.get(name)
    text = value.strip() if isinstance(value, str) else ""
    if not text or len(text) > MAX_TEXT:
        raise web.HTTPBadRequest(text=f"Text fehlt oder ist länger als {MAX_TEXT} Zeichen.")
    return text


def _holds(case: CaseRecord, me: Counsellor) -> bool:
    return case.claimed_by_id == me.id and not case.closed


def action(name: str, act: Callable[[Workspace, CaseRecord, Counsellor, Form, str],
                                    Awaitable[str]]) -> Callable[[web.Request],
                                                                     Awaitable[web.Response]]:
    """The handler of action `name`: `act(desk, case, me, form, key)` returns what the page says;
    a said key ending in "!" changed the case (written to the audit log)."""

    async def handle(request: web.Request) -> web.Response:
        desk, session = workspace(request), signed_in(request)
        try:
            case = await desk.conversations.cases.get(int(request.match_info["case"]))
        except ValueError:
            case = None
        if case is None:
            raise web.HTTPNotFound(text="Diesen Fall gibt es nicht (mehr).")
        form, key = await request.post(), await update_key(request)
        said = await act(desk, case, counsellor(session.account), form, key)
        if said.endswith("!"):
            said = said[:-1]
            await desk.staff.audit(session.account.id, case.id, name, key, desk.clock())
            log.info("web %s case=%s account=%s", name, case.id, session.account.id)
        return _said(case.id, said)

    return handle


async def claim(desk: Workspace, case: CaseRecord, me: Counsellor, form: Form,
                key: str, takeover: bool = False) -> str:
    result = await desk.conversations.claim(case.id, me, takeover=takeover, update_key=key)
    return result.result.value + ("!" if result.changed else "")


async def takeover(desk: Workspace, case: CaseRecord, me: Counsellor, form: Form,
                   key: str) -> str:
    return await claim(desk, case, me, form, key, takeover=True)


async def hand_back(desk: Workspace, case: CaseRecord, me: Counsellor, form: Form,
                    key: str) -> str:
    done = await desk.conversations.cases.hand_back(case.id, me, key)
    return "handed_back!" if done else "not_yours"


async def called(desk: Workspace, case: CaseRecord, me: Counsellor, form: Form,
                 key: str) -> str:
    done = await desk.conversations.cases.mark_called(case.id, me, key)
    return "called!" if done else "closed"


async def close(desk: Workspace, case: CaseRecord, me: Counsellor,
                form: Form, key: str) -> str:
    outcome = form.get("outcome")
    if not isinstance(outcome, str) or outcome not in OUTCOMES or outcome == "deleted":
        raise web.HTTPBadRequest(text="Unbekanntes Ergebnis.")
    if not _holds(case, me):
        return "not_yours"
    closed = await desk.conversations.close(case.id, me, outcome, update_key=key)
    return "closed!" if closed else "closed"


async def note(desk: Workspace, case: CaseRecord, me: Counsellor,
               form: Form, key: str) -> str:
    kept = await desk.conversations.cases.add_note(case.id, me, _text(form, "text"), key)
    return "noted!" if kept is not None else "missing"


async def canned(desk: Workspace, case: CaseRecord, me: Counsellor,
                 form: Form, key: str) -> str:
    name = form.get("name")
    if not _holds(case, me):
        return "not_yours"
    sent = await desk.conversations.cases.canned(case.id, str(name or ""), key)
    return "canned_sent!" if sent is not None else "closed"


async def reply(desk: Workspace, case: CaseRecord, me: Counsellor,
                form: Form, key: str) -> str:
    text = _text(form, "text")
    if not _holds(case, me):
        return "not_yours"
    sent = await desk.conversations.cases.relay_to_user(case.id, "text", text, update_key=key)
    return "replied!" if sent is not None else "closed"


ACTIONS = {"claim": claim, "takeover": takeover, "hand_back": hand_back, "called": called,
           "close": close,
           "note": note, "canned": canned, "reply": reply}
