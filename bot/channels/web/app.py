"""The workspace's aiohttp application and its server, in the bot's process and event loop:
`serving(workspace, listen)` runs it beside the bot (`lotse run` with WEB_LISTEN, `lotse web`)."""
from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from pathlib import Path

from aiohttp import web

from bot.channels.web import actions, pages, signin, statistics
from bot.channels.web.guard import guard
from bot.channels.web.live import Live
from bot.channels.web.workspace import WORKSPACE, Workspace
from bot.config import Settings
from bot.core.content.model import Content
from bot.services.conversation import Conversations
from bot.storage.staff import StaffRows

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"


def make_app(workspace: Workspace) -> web.Application:
    app = web.Application(middlewares=[guard(workspace.session)], client_max_size=64 * 1024)
    app[WORKSPACE] = workspace
    app.router.add_get("/signin", signin.signin_page)
    app.router.add_post("/signin", signin.signin)
    app.router.add_post("/signout", signin.signout)
    app.router.add_get("/", pages.queue_page)
    app.router.add_get("/queue/rows", pages.queue_rows)
    app.router.add_get("/cases/{case:\\d+}", pages.case_page)
    app.router.add_get("/cases/{case:\\d+}/live", pages.case_live)
    for name, act in actions.ACTIONS.items():
        app.router.add_post(f"/cases/{{case:\\d+}}/{name}", actions.action(name, act))
    app.router.add_get("/statistics", statistics.statistics_page)
    app.router.add_get("/events", workspace.live.stream)
    app.router.add_static("/static/", STATIC, append_version=True)
    return app


def web_workspace(settings: Settings, conversations: Conversations,
                  content: Callable[[], Content], live: Live | None
                  ) -> AbstractAsyncContextManager[object]:
    """The workspace served on WEB_LISTEN while the block runs (nothing without it)."""
    if settings.WEB_LISTEN is None or live is None:
        return nullcontext()
    workspace = Workspace(conversations, content, StaffRows(conversations.storage), live,
                          cookie_secure=settings.WEB_COOKIE_SECURE,
                          session_hours=settings.WEB_SESSION_HOURS)
    return serving(workspace, settings.WEB_LISTEN)


@asynccontextmanager
async def serving(workspace: Workspace, listen: str) -> AsyncIterator[web.AppRunner]:
    """The workspace listening on `listen` (host:port) until the block ends; its live streams
    end first, so stopping does not wait for open pages."""
    runner = web.AppRunner(make_app(workspace), access_log=None)
    await runner.setup()
    host, _, port = listen.rpartition(":")
    await web.TCPSite(runner, host, int(port)).start()
    log.info("web workspace on %s", listen)
    try:
        yield runner
    finally:
        workspace.live.close()
        await runner.cleanup()
