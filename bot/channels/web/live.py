"""Live updates for the open pages: `Live.changed()` is called after every commit that changed a
case (through `Cases.on_change`, whichever staff channel or person made it), and every page's
server-sent event stream says "change" once, however many commits came meanwhile; the page then
fetches its changing part again (htmx's SSE extension, `hx-trigger="sse:change"`).

One process: a change made by another instance on the same PostgreSQL reaches these pages only
with this instance's next change (see docs/architecture.md, what is left)."""
from __future__ import annotations

import asyncio
import contextlib

from aiohttp import web

KEEPALIVE_SECONDS = 20.0
"""A comment line this often, so proxies keep an idle stream open."""


class Live:
    def __init__(self) -> None:
        self._streams: set[asyncio.Event] = set()
        self._closed = False

    def changed(self) -> None:
        for stream in self._streams:
            stream.set()

    def close(self) -> None:
        """The server stops: every stream ends."""
        self._closed = True
        self.changed()

    async def stream(self, request: web.Request) -> web.StreamResponse:
        """The event stream of one open page."""
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream",
                                               "Cache-Control": "no-store",
                                               "X-Accel-Buffering": "no"})
        await response.prepare(request)
        event = asyncio.Event()
        self._streams.add(event)
        try:
            await response.write(b": connected\n\n")
            while True:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(KEEPALIVE_SECONDS):
                        await event.wait()
                if self._closed:
                    break
                if event.is_set():
                    event.clear()
                    await response.write(b"event: change\ndata: case\n\n")
                else:
                    await response.write(b": keepalive\n\n")
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            self._streams.discard(event)
        return response
