"""The web workspace in-process for the tests: its aiohttp app on a real local server over a real,
migrated SQLite file, with a browser-like client (cookies kept) that signs in and posts forms the
way its pages do (the CSRF token and a fresh form key from the page)."""
from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer

from bot.channels.web.accounts import Accounts, Role
from bot.channels.web.app import make_app
from bot.channels.web.guard import SIGNIN_COOKIE
from bot.channels.web.live import Live
from bot.channels.web.workspace import Workspace
from bot.core.content.model import Content
from bot.services.conversation import Conversations
from bot.storage.staff import StaffRows

PASSWORD = "correct horse battery"


def workspace(conversations: Conversations, content: Content, live: Live | None = None,
              **options: object) -> Workspace:
    """The workspace over plain http (its cookies not Secure, as WEB_COOKIE_SECURE=false)."""
    options.setdefault("cookie_secure", False)
    return Workspace(conversations, lambda: content, StaffRows(conversations.storage),
                     live or Live(), **options)  # type: ignore[arg-type]


@asynccontextmanager
async def client(desk: Workspace) -> AsyncIterator[TestClient[object, object]]:
    async with TestClient(TestServer(make_app(desk))) as browser:
        yield browser


@asynccontextmanager
async def as_lena(desk: Workspace) -> AsyncIterator[TestClient[object, object]]:
    """A browser signed in as the counsellor Lena (her account created first)."""
    async with client(desk) as browser:
        await account(desk, "lena", "Lena")
        await sign_in(browser, "lena")
        yield browser


async def account(desk: Workspace, login: str, name: str, role: Role = Role.COUNSELLOR) -> None:
    await Accounts(desk.staff).add(login, name, role, PASSWORD)


async def sign_in(browser: TestClient[object, object], login: str,
                  password: str = PASSWORD) -> ClientResponse:
    """Sign in as the sign-in page does: its form's token, which its cookie carries too (sent
    by hand, so that a Secure cookie goes over the tests' plain http as well)."""
    page = await browser.get("/signin")
    csrf = csrf_of(await page.text())
    return await browser.post("/signin", data={"login": login, "password": password,
                                               "csrf": csrf}, allow_redirects=False,
                              headers={"Cookie": f"{SIGNIN_COOKIE}={csrf}"})


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


async def post(browser: TestClient[object, object], case_id: int, action: str,
               key: str | None = None, **fields: str) -> ClientResponse:
    """Post the case page's form `action`, with the page's CSRF token (unless `csrf` is given)."""
    page = await (await browser.get(f"/cases/{case_id}")).text()
    data = {"csrf": csrf_of(page), "key": key or uuid.uuid4().hex} | fields
    return await browser.post(f"/cases/{case_id}/{action}", data=data, allow_redirects=False)


def later(hours: float) -> dt.datetime:
    return dt.datetime.now(dt.UTC) + dt.timedelta(hours=hours)
