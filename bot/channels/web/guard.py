"""Who is signed in: a random session token in an HttpOnly cookie (Secure unless
WEB_COOKIE_SECURE is false, SameSite=Lax), only its SHA-256 in the database with its expiry and
the session's CSRF token, which every form posts back (`guard`); sign-in attempts limited per
login and per address (`SignInLimit`)."""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from bot.clock import utcnow
from bot.storage.staff import SessionRecord

COOKIE = "lotse_session"
SIGNIN_COOKIE = "lotse_signin"
"""The sign-in form's own CSRF token (before there is a session), posted back beside it."""
OPEN_PATHS = ("/signin", "/static/")
SESSION = web.RequestKey("session", SessionRecord)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def same(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


class SignInLimit:
    """Failed sign-ins: at most `per_login` per login and `per_address` per client address
    within `window` seconds (an address is the TLS proxy's for everyone behind it, hence the
    larger allowance). In this process's memory: a restart forgets."""

    def __init__(self, per_login: int = 5, per_address: int = 30,
                 window: float = 15 * 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = {"login": per_login, "address": per_address}
        self.window = window
        self.clock = clock
        self._failures: dict[tuple[str, str], deque[float]] = {}

    def _recent(self, key: tuple[str, str]) -> deque[float]:
        failures = self._failures.setdefault(key, deque())
        while failures and failures[0] <= self.clock() - self.window:
            failures.popleft()
        if not failures:
            del self._failures[key]
        return failures

    def allowed(self, login: str, address: str) -> bool:
        return all(len(self._recent((kind, value))) < self.limits[kind]
                   for kind, value in (("login", login), ("address", address)))

    def failed(self, login: str, address: str) -> None:
        for key in (("login", login), ("address", address)):
            self._recent(key)
            self._failures.setdefault(key, deque()).append(self.clock())


def session_cookie(response: web.StreamResponse, token: str, secure: bool,
                   expires_at: dt.datetime) -> None:
    response.set_cookie(COOKIE, token, httponly=True, secure=secure, samesite="Lax", path="/",
                        max_age=max(0, int((expires_at - utcnow()).total_seconds())))


def new_token() -> str:
    return secrets.token_urlsafe(32)


def guard(load: Callable[[str], Awaitable[SessionRecord | None]]) -> Middleware:
    """The middleware in front of every page but sign-in and the static files: no valid session
    sends a page to sign-in (and refuses anything else with 403); a POST whose `csrf` field (or
    X-CSRF-Token header) is not the session's is refused with 403."""

    @web.middleware
    async def guarded(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(OPEN_PATHS):
            return await handler(request)
        token = request.cookies.get(COOKIE)
        session = await load(token_hash(token)) if token else None
        if session is None:
            if request.method == "GET" and "HX-Request" not in request.headers \
                    and request.path != "/events":
                raise web.HTTPSeeOther("/signin")
            raise web.HTTPForbidden(text="Nicht angemeldet.")
        if request.method == "POST":
            form = await request.post()
            given = form.get("csrf")
            if not same(given if isinstance(given, str) else
                        request.headers.get("X-CSRF-Token"), session.csrf):
                raise web.HTTPForbidden(text="Das Formular ist abgelaufen. Bitte laden Sie "
                                             "die Seite neu.")
        request[SESSION] = session
        return await handler(request)

    return guarded
