"""What the workspace's handlers share (`Workspace`, in the aiohttp app as `WORKSPACE`), and who
is acting: the signed-in account, and the key of the form they posted, which keys the change
like a Telegram update's id (a form posted twice changes the case once)."""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web

from bot.channels.web.accounts import Accounts
from bot.channels.web.guard import SESSION, SignInLimit
from bot.channels.web.live import Live
from bot.channels.web.render import Pages
from bot.clock import utcnow
from bot.core.content.model import Content
from bot.handoff.views import CaseViews
from bot.services.conversation import Conversations
from bot.storage.staff import SessionRecord, StaffRows

_FORM_KEY = re.compile(r"[0-9a-f]{32}")


@dataclass
class Workspace:
    conversations: Conversations
    content: Callable[[], Content]
    staff: StaffRows
    live: Live = field(default_factory=Live)
    cookie_secure: bool = True
    session_hours: float = 10.0
    limit: SignInLimit = field(default_factory=SignInLimit)
    clock: Callable[[], dt.datetime] = utcnow

    def __post_init__(self) -> None:
        self.views = CaseViews(self.conversations.storage)
        self.accounts = Accounts(self.staff)
        self.pages = Pages(self.content)

    async def session(self, token_hash: str) -> SessionRecord | None:
        return await self.staff.session(token_hash, self.clock())


WORKSPACE = web.AppKey("workspace", Workspace)


def workspace(request: web.Request) -> Workspace:
    return request.app[WORKSPACE]


def signed_in(request: web.Request) -> SessionRecord:
    return request[SESSION]


async def update_key(request: web.Request) -> str:
    """The posted form's change key ("web:<account>:<form key>"): the form's `key` field, a
    random value each rendering of a form carries (`form_key`)."""
    key = (await request.post()).get("key")
    if not isinstance(key, str) or not _FORM_KEY.fullmatch(key):
        raise web.HTTPBadRequest(text="Formular ohne Schlüssel.")
    return f"web:{signed_in(request).account.id}:{key}"
