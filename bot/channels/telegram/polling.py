"""Long polling that acknowledges an update to Telegram only once it was handled.

aiogram's own polling sends the next getUpdates offset, which tells Telegram to forget every
update below it, as soon as it has read an update, before handling it: a crash then loses it.
Here the offset moves past an update only when its handling ended, so after a crash (SIGKILL,
power loss) Telegram delivers every unfinished update again, and `Dedupe` plus the update keys
(`bot.services.replay`, `bot.handoff.cases`) make handling it again safe.

One person's updates (same chat and sender) are handled one after another in the order they
came; different people's at the same time. While updates are in hand, getUpdates answers at once
with them again (Telegram cannot be asked for "only the new ones"); those are skipped without
being parsed (`UpdatesAsSent`), and the next look comes as soon as one of them finishes (the
offset may move on) or `BUSY_POLL_SECONDS` later, but not sooner than `SHORTEST_REPOLL_SECONDS`
after the last: an update that arrives while others are in hand waits about that long, not a
fixed floor.

getUpdates returns at most 100 updates from the offset on, so an update that takes long (Telegram
failing, retries with backoff) would keep everyone else's new updates out of reach. After
`HOLD_SECONDS` in hand it therefore stops holding the offset back: only a crash in the rest of
its handling would lose it."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Awaitable, Callable, Hashable
from functools import partial
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.dispatcher.middlewares.user_context import UserContextMiddleware
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import TelegramMethod
from aiogram.types import Update

log = logging.getLogger(__name__)

POLL_TIMEOUT = 10
"""Seconds a long poll waits for an update (it answers at once while updates are in hand)."""
BUSY_POLL_SECONDS = 0.2
"""While updates are in hand and nothing new came: the longest pause before looking again (the
next update to finish ends it sooner, as the offset may then move on)."""
SHORTEST_REPOLL_SECONDS = 0.01
"""... but not sooner than this after the last look: every look returns the updates in hand
again (up to 100). They are not parsed again (`UpdatesAsSent`), so a look costs a request and
its JSON; at most 100 looks a second while busy."""
HOLD_SECONDS = 5.0
"""How long an update in hand holds the offset back (see the module)."""
RETRY_SECONDS = (1.0, 30.0)
"""First and longest pause after getUpdates failed, twice as long after each failure in a row; a
429 waits at least its retry_after (`pause_after`)."""
SHUTDOWN_GRACE_SECONDS = 20.0


class Acknowledgements:
    """Which updates are in hand or done, and the offset that confirms only finished ones."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._in_hand: dict[int, float] = {}
        """Update id → when it was taken."""
        self._done: set[int] = set()
        """Finished updates Telegram may still send again (not yet confirmed by an offset)."""
        self._next: int | None = None
        """One past the newest update taken."""
        self.finished = 0
        """How many updates finished so far (see `wait_for_finish`)."""
        self._finishing = asyncio.Event()

    def take(self, update_id: int) -> bool:
        """True for an update seen for the first time (it is now in hand); False for one that
        is in hand or finished already."""
        if update_id in self._in_hand or update_id in self._done:
            return False
        self._in_hand[update_id] = self.clock()
        self._next = max(self._next or 0, update_id + 1)
        return True

    def finish(self, update_id: int) -> None:
        """The update's handling ended (handled, or failed and logged)."""
        if self._in_hand.pop(update_id, None) is not None:
            self._done.add(update_id)
            self.finished += 1
            self._finishing.set()
            self._finishing = asyncio.Event()

    async def wait_for_finish(self, since: int, timeout: float) -> None:
        """Wait until more than `since` updates finished, at most `timeout` seconds."""
        finishing = self._finishing
        if self.finished == since:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await finishing.wait()

    @property
    def offset(self) -> int | None:
        """getUpdates' offset: the oldest update in hand (for up to `HOLD_SECONDS`), else one
        past the newest; None before the first update."""
        since = self.clock() - HOLD_SECONDS
        waiting = [u for u, taken in self._in_hand.items() if taken > since]
        return min(waiting) if waiting else self._next

    def confirmed(self, offset: int | None) -> None:
        """Telegram was sent `offset`: it will not deliver the updates below it again."""
        if offset is not None:
            self._done = {u for u in self._done if u >= offset}

    @property
    def in_hand(self) -> int:
        return len(self._in_hand)


class Lanes:
    """Work in lanes: one lane's items one after another in the order given, lanes at once."""

    def __init__(self) -> None:
        self._tails: dict[Hashable, asyncio.Task[None]] = {}
        self.tasks: set[asyncio.Task[None]] = set()

    def submit(self, lane: Hashable, work: Callable[[], Awaitable[None]]) -> None:
        before = self._tails.get(lane)
        task = asyncio.create_task(self._after(before, work))
        self._tails[lane] = task
        self.tasks.add(task)
        task.add_done_callback(lambda done: self._done(lane, done))

    def _done(self, lane: Hashable, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        if self._tails.get(lane) is task:
            del self._tails[lane]

    @staticmethod
    async def _after(before: asyncio.Task[None] | None,
                     work: Callable[[], Awaitable[None]]) -> None:
        if before is not None:
            await asyncio.wait({before})
        await work()


class UpdatesAsSent(TelegramMethod[list[dict[str, Any]]]):
    """getUpdates (aiogram's `GetUpdates`, the fields the poller sends) with its result left as
    the JSON objects Telegram sent: a look while updates are in hand returns them again, and
    only the new ones are worth validating into `Update`s (`fresh_updates`)."""

    __returning__ = list[dict[str, Any]]
    __api_method__ = "getUpdates"

    offset: int | None = None
    limit: int | None = None
    timeout: int | None = None
    allowed_updates: list[str] | None = None


def fresh_updates(bot: Bot, sent: list[dict[str, Any]], acks: Acknowledgements) -> list[Update]:
    """The updates of `sent` seen for the first time (now in hand, `Acknowledgements.take`),
    validated as aiogram validates a response."""
    return [Update.model_validate(update, context={"bot": bot}) for update in sent
            if acks.take(update["update_id"])]


def lane_of(update: Update) -> Hashable:
    """Whose update this is: its chat and sender (as aiogram's event isolation keys it)."""
    context = UserContextMiddleware.resolve_event_context(update)
    if context.chat is None and context.user is None:
        return ("update", update.update_id)
    return (context.chat.id if context.chat else None, context.user.id if context.user else None)


def pause_after(exc: Exception, pause: float) -> float:
    """Seconds until the next getUpdates after it failed with `exc`, `pause` into the backoff."""
    if isinstance(exc, TelegramRetryAfter):
        return max(pause, float(exc.retry_after))
    return pause


class Poller:
    """Serves `dispatcher` by long polling until SIGTERM or SIGINT."""

    def __init__(self, dispatcher: Dispatcher, bot: Bot, allowed_updates: list[str],
                 timeout: int = POLL_TIMEOUT) -> None:
        self.dispatcher = dispatcher
        self.bot = bot
        self.allowed_updates = allowed_updates
        self.timeout = timeout
        self.acks = Acknowledgements()
        self.lanes = Lanes()

    async def run(self) -> None:
        """Start up, poll until told to stop, let the updates in hand finish (up to
        `SHUTDOWN_GRACE_SECONDS`), acknowledge them and shut down."""
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        workflow = self.dispatcher.workflow_data
        await self.dispatcher.emit_startup(bot=self.bot, **workflow)
        try:
            me = await self.bot.me()
            log.info("polling as bot id=%s", me.id)
            polling = asyncio.create_task(self._poll(), name="polling")
            stopping = asyncio.create_task(stop.wait())
            await asyncio.wait({polling, stopping}, return_when=asyncio.FIRST_COMPLETED)
            for task in (polling, stopping):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await self.finish()
        finally:
            await self.dispatcher.emit_shutdown(bot=self.bot, **workflow)
            await self.bot.session.close()

    async def finish(self) -> None:
        """Let the updates in hand end, then tell Telegram they are done."""
        if self.lanes.tasks:
            log.info("waiting for %d update(s) in hand", self.acks.in_hand)
            await asyncio.wait(self.lanes.tasks, timeout=SHUTDOWN_GRACE_SECONDS)
        offset = self.acks.offset
        if offset is not None:
            with contextlib.suppress(Exception):  # a redelivery is skipped by Dedupe anyway
                await self.bot.get_updates(offset=offset, limit=1, timeout=0)

    async def _poll(self) -> None:
        pause = RETRY_SECONDS[0]
        while True:
            offset, finished, looked = self.acks.offset, self.acks.finished, time.monotonic()
            try:
                updates = await self.bot(UpdatesAsSent(
                    offset=offset, timeout=self.timeout,
                    allowed_updates=self.allowed_updates),
                    request_timeout=int(self.bot.session.timeout or 60) + self.timeout)
            except Exception as exc:  # noqa: BLE001 - Telegram away: try again, never stop
                wait = pause_after(exc, pause)
                log.error("getUpdates failed: %s; next try in %.0fs", type(exc).__name__, wait)
                await asyncio.sleep(wait)
                pause = min(pause * 2, RETRY_SECONDS[1])
                continue
            pause = RETRY_SECONDS[0]
            self.acks.confirmed(offset)
            fresh = fresh_updates(self.bot, updates, self.acks)
            for update in fresh:
                self.lanes.submit(lane_of(update), partial(self._handle, update))
            if updates and not fresh:  # only updates in hand came back
                await self.acks.wait_for_finish(finished, BUSY_POLL_SECONDS)
                await asyncio.sleep(looked + SHORTEST_REPOLL_SECONDS - time.monotonic())

    async def _handle(self, update: Update) -> None:
        try:
            await self.dispatcher.feed_update(self.bot, update)
        except Exception as exc:  # logged by id; the update counts as handled
            log.error("update=%s failed: %s", update.update_id, type(exc).__name__)
            log.debug("update=%s failed", update.update_id, exc_info=True)
        finally:
            self.acks.finish(update.update_id)

