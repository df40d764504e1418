"""Pacing outgoing calls within Telegram's flood limits: the `Pacer` that every message to a person
goes through (one global token bucket and one per chat, drawn from `bot.shared.buckets`, so several
instances share them through Redis; one lock per chat in this process keeps a chat's order)."""
from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from bot.shared.buckets import HEADROOM, Bucket, Buckets, LocalBuckets

PER_CHAT_BURST = 3
"""Messages one private chat may get at once before its pacing sets in (Telegram allows a few)."""
SWEEP_FROM = 256
"""Idle chats are forgotten once this many (then twice as many as remained) are known."""


class _Lane:
    """One chat: the lock that keeps its messages in order, and who holds it."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.owner: asyncio.Task[object] | None = None
        self.users = 0


class Pacer:
    """Waits until a call to a chat may go: at most `per_second` overall (the chats of this process
    served in the order they came) and `per_chat_per_second` per chat (after a burst of
    PER_CHAT_BURST), both refilled at HEADROOM of the limit. `ordered(chat)` keeps one chat's
    messages in the order they were handed in; it is re-entrant within one task. `now` and `sleep`
    are the clock (a fake one in tests)."""

    def __init__(self, per_second: float, per_chat_per_second: float,
                 now: Callable[[], float] = time.monotonic, buckets: Buckets | None = None,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.buckets: Buckets = LocalBuckets(now) if buckets is None else buckets
        self.sleep = sleep
        self.overall = Bucket("send", per_second * HEADROOM, max(1, int(per_second)))
        self.per_chat_per_second = per_chat_per_second * HEADROOM
        self._overall_lock = asyncio.Lock()
        self._lanes: dict[int, _Lane] = {}
        self._sweep_at = SWEEP_FROM

    def _chat(self, chat_id: int) -> Bucket:
        return Bucket(f"send:{chat_id}", self.per_chat_per_second, PER_CHAT_BURST)

    def _lane(self, chat_id: int) -> _Lane:
        if chat_id not in self._lanes:
            if len(self._lanes) >= self._sweep_at:
                self._sweep()
            self._lanes[chat_id] = _Lane()
        return self._lanes[chat_id]

    async def delay(self, chat_id: int) -> float:
        """Seconds until `chat_id` may get a message (0: now)."""
        return await self.buckets.delay(self.overall, self._chat(chat_id))

    async def slot(self, chat_id: int) -> None:
        """Wait for the chat's bucket, then take a token from it and from the global one, in
        the order the chats came (`overall_slot`). One chat's calls come one at a time, through
        `ordered`, so the chat's token is still there when it is first in line at the global one."""
        chat = self._chat(chat_id)
        while (wait := await self.buckets.delay(chat)) > 0:
            await self.sleep(wait)
        await self.overall_slot(chat)

    async def overall_slot(self, *also: Bucket) -> None:
        """Wait for a token from the global bucket (and from `also`) and take it, in the order
        the callers came: under load a chat that waits is never overtaken by later ones, and only
        the first in line polls the clock. Calls into a group, paced by their own bucket, take
        one too."""
        async with self._overall_lock:
            while (wait := (await self.buckets.take(self.overall, *also)).wait) > 0:
                await self.sleep(wait)

    async def pause(self, chat_id: int, seconds: float) -> None:
        """After a 429 for `chat_id`: nothing goes to that chat for `seconds`."""
        await self.buckets.hold(self._chat(chat_id), seconds)

    @asynccontextmanager
    async def ordered(self, chat_id: int) -> AsyncIterator[None]:
        """Hold the chat while its messages go out, so later ones wait until it is done."""
        lane = self._lane(chat_id)
        task = asyncio.current_task()
        if lane.owner is task:
            yield
            return
        lane.users += 1
        try:
            async with lane.lock:
                lane.owner = task
                try:
                    yield
                finally:
                    lane.owner = None
        finally:
            lane.users -= 1

    def _sweep(self) -> None:
        """Forget idle chats (nobody holding or waiting) so the table stays small."""
        self._lanes = {chat: lane for chat, lane in self._lanes.items() if lane.users}
        self._sweep_at = max(SWEEP_FROM, 2 * len(self._lanes))
