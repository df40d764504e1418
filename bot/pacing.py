"""Pacing outgoing calls within Telegram's flood limits: the token bucket, and the `Pacer` that
every message to a person goes through (one global bucket, one bucket and one lock per chat)."""
from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

PER_CHAT_BURST = 3
"""Messages one private chat may get at once before its pacing sets in (Telegram allows a few)."""
SWEEP_FROM = 256
"""Idle chats are forgotten once this many (then twice as many as remained) are known."""
EPSILON = 1e-9
"""Tokens counted as whole despite float rounding (else a refill lands at 0.999… and waits ~0 s)."""
HEADROOM = 0.9
"""Buckets refill at 90 % of their limit: calls the network or a busy server bunch up on their way
still arrive within the limit, because the slack saved since builds a little burst."""


class TokenBucket:
    """At most `per_minute` tokens a minute (refilled at HEADROOM of it), holding at most `burst`;
    starts full."""

    def __init__(self, per_minute: float, burst: int, now: Callable[[], float]) -> None:
        self.rate = per_minute / 60.0 * HEADROOM
        self.burst = max(1, burst)
        self.now = now
        self.tokens = float(self.burst)
        self.stamp = now()

    def _refill(self) -> None:
        now = self.now()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def delay(self) -> float:
        """Seconds until a token is available (0 when one is)."""
        self._refill()
        return 0.0 if self.tokens >= 1 - EPSILON else (1 - self.tokens) / self.rate

    def take(self) -> None:
        self._refill()
        self.tokens -= 1

    def empty(self) -> None:
        """After a 429: start saving up from nothing."""
        self._refill()
        self.tokens = min(self.tokens, 0.0)

    def hold(self, seconds: float) -> None:
        """After a 429 with `retry_after`: no token for `seconds`."""
        self._refill()
        self.tokens = min(self.tokens, 1 - seconds * self.rate)

    @property
    def full(self) -> bool:
        self._refill()
        return self.tokens >= self.burst - EPSILON


class _Lane:
    """One chat: its bucket, the lock that keeps its messages in order, and who holds it."""

    def __init__(self, bucket: TokenBucket) -> None:
        self.bucket = bucket
        self.lock = asyncio.Lock()
        self.owner: asyncio.Task[object] | None = None
        self.users = 0


class Pacer:
    """Waits until a call to a chat may go: at most `per_second` overall (chats served in the order
    they came) and `per_chat_per_second` per chat (after a burst of PER_CHAT_BURST).
    `ordered(chat)` keeps one chat's messages in the order they were handed in; it is re-entrant
    within one task. `now` and `sleep` are the clock (a fake one in tests)."""

    def __init__(self, per_second: float, per_chat_per_second: float,
                 now: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.now = now
        self.sleep = sleep
        self.per_chat_per_minute = per_chat_per_second * 60
        self.overall = TokenBucket(per_second * 60, max(1, int(per_second)), now)
        self._overall_turn = asyncio.Lock()
        self._lanes: dict[int, _Lane] = {}
        self._sweep_at = SWEEP_FROM

    def _lane(self, chat_id: int) -> _Lane:
        if chat_id not in self._lanes:
            if len(self._lanes) >= self._sweep_at:
                self._sweep()
            self._lanes[chat_id] = _Lane(TokenBucket(self.per_chat_per_minute, PER_CHAT_BURST,
                                                     self.now))
        return self._lanes[chat_id]

    def delay(self, chat_id: int) -> float:
        """Seconds until `chat_id` may get a message (0: now)."""
        lane = self._lanes.get(chat_id)
        return max(self.overall.delay(), lane.bucket.delay() if lane else 0.0)

    async def slot(self, chat_id: int) -> None:
        """Wait for a token from the chat's bucket, then for the global one (`overall_slot`),
        and take both. (One chat's calls come one at a time, through `ordered`.)"""
        lane = self._lane(chat_id)
        lane.users += 1
        try:
            while (wait := lane.bucket.delay()) > 0:
                await self.sleep(wait)
            await self.overall_slot()
            lane.bucket.take()
        finally:
            lane.users -= 1

    async def overall_slot(self) -> None:
        """Wait for a token from the global bucket and take it, in the order the callers came:
        under load a chat that waits is never overtaken by later ones, and only the first in
        line polls the clock. Calls into a group, paced by their own bucket, take one too."""
        async with self._overall_turn:
            while (wait := self.overall.delay()) > 0:
                await self.sleep(wait)
            self.overall.take()

    def pause(self, chat_id: int, seconds: float) -> None:
        """After a 429 for `chat_id`: nothing goes to that chat for `seconds`."""
        self._lane(chat_id).bucket.hold(seconds)

    @asynccontextmanager
    async def ordered(self, chat_id: int) -> AsyncIterator[None]:
        """Hold the chat while its messages go out, so later ones wait their turn."""
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
        """Forget idle chats (nobody waiting, bucket full again) so the table stays small."""
        self._lanes = {chat: lane for chat, lane in self._lanes.items()
                       if lane.users or not lane.bucket.full}
        self._sweep_at = max(SWEEP_FROM, 2 * len(self._lanes))
