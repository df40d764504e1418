"""`/metrics` (Prometheus) and `/healthz` over HTTP, for monitoring and load balancers.

Both are served on the webhook server (WEBHOOK_LISTEN) and, when METRICS_LISTEN is set, on a
server of their own at that address, which is how they are reached in long polling mode.
`/healthz` answers 200 "ok" while this instance can do its work and 503 "unavailable" otherwise;
what is wrong goes to the log, never into the answer."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

from aiogram import BaseMiddleware, Dispatcher
from aiogram.types import TelegramObject, Update
from aiohttp import web

from bot.clock import utcnow
from bot.handoff.outbox import OutboxWorker, backlog
from bot.ops import metrics
from bot.storage.repository import Storage
from bot.storage.state_redis import RedisStates
from bot.storage.state_store import StateStore

log = logging.getLogger(__name__)
CHECK_TIMEOUT_SECONDS = 2.0
"""A database or Redis slower than this to answer counts as down."""
Check = Callable[[], Awaitable[object]]


class CountUpdates(BaseMiddleware):
    """Counts the updates handled, by type (after de-duplication)."""

    async def __call__(self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
                       event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        try:
            kind = event.event_type
        except Exception:  # noqa: BLE001 - an update type newer than aiogram
            kind = "unknown"
        metrics.UPDATES.labels(kind).inc()
        return await handler(event, data)


class Health:
    """Whether this instance can do its work: its dispatcher runs (started and not stopping, the
    outbox worker alive) and every dependency (the database; Redis when used) answers within
    CHECK_TIMEOUT_SECONDS."""

    def __init__(self, checks: Mapping[str, Check], worker: OutboxWorker) -> None:
        self.checks = checks
        self.worker = worker
        self.running = False
        """Set when the dispatcher has started, cleared when it begins to stop."""
        self._reported: str | None = None

    async def problem(self) -> str | None:
        """None when healthy, else what is wrong (for the log: names, never values)."""
        if not self.running:
            return "not serving (starting or stopping)"
        if not self.worker.running:
            return "the outbox worker is not running"
        for name, check in self.checks.items():
            try:
                async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
                    await check()
            except Exception as exc:  # noqa: BLE001 - any failure means: not healthy
                return f"{name} does not answer ({type(exc).__name__})"
        return None

    async def answer(self, _: web.Request) -> web.Response:
        problem = await self.problem()
        if problem != self._reported:  # one log line when the state changes, not one per probe
            if problem is None:
                log.warning("healthy again")
            else:
                log.warning("unhealthy: %s", problem)
            self._reported = problem
        if problem is None:
            return web.Response(text="ok")
        return web.Response(status=503, text="unavailable")


class Monitoring:
    """The health of this instance and the metrics endpoint, for the HTTP servers."""

    def __init__(self, health: Health, storage: Storage) -> None:
        self.health = health
        self.storage = storage

    async def metrics(self, request: web.Request) -> web.Response:
        try:
            async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
                metrics.show_outbox_backlog(await backlog(self.storage, utcnow()))
        except Exception as exc:  # noqa: BLE001 - the other figures are still worth having
            log.warning("outbox backlog not readable for /metrics: %s", type(exc).__name__)
            metrics.show_outbox_backlog([])
        body, content_type = metrics.exposition(request.headers.get("Accept"))
        return web.Response(body=body, headers={"Content-Type": content_type})

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/healthz", self.health.answer)
        app.router.add_get("/metrics", self.metrics)

    @asynccontextmanager
    async def serving(self, address: str | None) -> AsyncIterator[None]:
        """Serve /metrics and /healthz at `address` (host:port) while the block runs; nothing
        when `address` is None."""
        if address is None:
            yield
            return
        app = web.Application()
        self.add_routes(app)
        runner = web.AppRunner(app)
        await runner.setup()
        host, _, port = address.rpartition(":")
        try:
            await web.TCPSite(runner, host, int(port)).start()
            log.info("serving /metrics and /healthz on %s", address)
            yield
        finally:
            await runner.cleanup()


def install(dispatcher: Dispatcher, storage: Storage, states: StateStore | None,
            worker: OutboxWorker) -> Monitoring:
    """Count updates (install right after de-duplication), follow the dispatcher's start and stop
    (install before the handlers that let a stop take its time), and keep the result in
    `dispatcher["monitoring"]`."""
    dispatcher.update.outer_middleware(CountUpdates())
    checks: dict[str, Check] = {"database": storage.ping}
    if isinstance(states, RedisStates):
        checks["redis"] = states.client.ping
    health = Health(checks, worker)

    @dispatcher.startup()
    async def started() -> None:
        health.running = True

    @dispatcher.shutdown()
    async def stopping() -> None:
        health.running = False

    monitoring = dispatcher["monitoring"] = Monitoring(health, storage)
    return monitoring
