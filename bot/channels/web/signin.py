"""The sign-in page, signing in (a new session, `bot.channels.web.guard`) and signing out."""
from __future__ import annotations

import datetime as dt
import logging
import secrets

from aiohttp import web

from bot.channels.web.guard import (
    COOKIE,
    SIGNIN_COOKIE,
    new_token,
    same,
    session_cookie,
    token_hash,
)
from bot.channels.web.workspace import workspace

log = logging.getLogger(__name__)


async def signin_page(request: web.Request, problem: str | None = None,
                      status: int = 200) -> web.Response:
    # the token already given, if any: another tab's sign-in page (or a favicon request sent
    # here) must not invalidate the form this one shows
    csrf = request.cookies.get(SIGNIN_COOKIE) or secrets.token_urlsafe(16)
    response = workspace(request).pages.page("signin.html", status, csrf=csrf, problem=problem)
    response.set_cookie(SIGNIN_COOKIE, csrf, httponly=True, samesite="Strict", path="/signin",
                        secure=workspace(request).cookie_secure)
    return response


async def signin(request: web.Request) -> web.Response:
    desk = workspace(request)
    form = await request.post()
    login, password, csrf = (str(form.get(name, "")) for name in ("login", "password", "csrf"))
    if not same(request.cookies.get(SIGNIN_COOKIE), csrf):
        raise web.HTTPForbidden(text="Das Formular ist abgelaufen. Bitte laden Sie die Seite neu.")
    address = request.remote or "-"
    if not desk.limit.allowed(login, address):
        log.warning("web sign-in refused: too many failures")
        return await signin_page(request, "too_many", 429)
    account = await desk.accounts.verify(login, password)
    if account is None:
        desk.limit.failed(login, address)
        log.info("web sign-in failed")
        return await signin_page(request, "wrong", 403)
    token, now = new_token(), desk.clock()
    expires_at = now + dt.timedelta(hours=desk.session_hours)
    await desk.staff.open_session(account.id, token_hash(token), secrets.token_urlsafe(32), now,
                                  expires_at)
    log.info("web sign-in account=%s", account.id)
    response = web.Response(status=303, headers={"Location": "/"})
    session_cookie(response, token, desk.cookie_secure, expires_at)
    response.del_cookie(SIGNIN_COOKIE, path="/signin")
    return response


async def signout(request: web.Request) -> web.Response:
    token = request.cookies.get(COOKIE)
    if token:
        await workspace(request).staff.end_session(token_hash(token))
    response = web.Response(status=303, headers={"Location": "/signin"})
    response.del_cookie(COOKIE, path="/")
    return response
