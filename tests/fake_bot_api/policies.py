"""Optional misbehaviour: Telegram's flood limits and injected faults (both off by default)."""
from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import Collection
from dataclasses import dataclass, field

from .errors import ApiError, too_many_requests


@dataclass(frozen=True)
class RateLimits:
    """Telegram's documented send limits, as token buckets (rate per second, burst size).

    With `enforce=False` nothing is refused, violations are only recorded.
    """

    private_rate: float = 1.0
    private_burst: int = 3
    group_rate: float = 20 / 60
    group_burst: int = 20
    global_rate: float = 30.0
    global_burst: int = 30
    enforce: bool = True


@dataclass(frozen=True)
class RateViolation:
    """A send that went over a limit; `scope` is "private", "group" or "global"."""

    chat_id: int
    method: str
    scope: str
    at: float


@dataclass
class _Bucket:
    rate: float
    burst: int
    tokens: float = -1.0
    stamp: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.tokens = float(self.burst)

    def refill(self, now: float) -> None:
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def wait_time(self) -> float:
        return max(0.0, (1 - self.tokens) / self.rate)


class RateLimiter:
    """Counts sends per chat and globally; raises 429 (if enforcing) and records violations."""

    def __init__(self, limits: RateLimits) -> None:
        self.limits = limits
        self.violations: list[RateViolation] = []
        self._global = _Bucket(limits.global_rate, limits.global_burst)
        self._chats: dict[int, _Bucket] = {}

    def check(self, chat_id: int, private: bool, method: str) -> None:
        limits, now = self.limits, time.monotonic()
        if chat_id not in self._chats:
            self._chats[chat_id] = (_Bucket(limits.private_rate, limits.private_burst) if private
                                    else _Bucket(limits.group_rate, limits.group_burst))
        chat = self._chats[chat_id]
        over = []
        for scope, bucket in (("private" if private else "group", chat), ("global", self._global)):
            bucket.refill(now)
            if bucket.tokens < 1:
                over.append((scope, bucket))
        for scope, _ in over:
            self.violations.append(RateViolation(chat_id, method, scope, now))
        if over and limits.enforce:
            raise too_many_requests(max(1, math.ceil(max(b.wait_time() for _, b in over))))
        for bucket in (chat, self._global):
            bucket.tokens -= 1


@dataclass(frozen=True)
class Faults:
    """Random failures before a call takes effect, reproducible through `seed`.

    `rate` is the fraction of calls that fail, spread over `kinds` (429, 500, 502), and at most
    `limit` calls fail in all (None: no limit); every call to a method in `methods` (default: all
    but getUpdates, and getUpdates too with `get_updates`) first waits a random time in `latency`
    seconds. A failed getUpdates hands out nothing: its updates wait for the next poll.
    """

    rate: float = 0.0
    kinds: tuple[int, ...] = (429, 500, 502)
    retry_after: int = 1
    latency: tuple[float, float] = (0.0, 0.0)
    seed: int = 0
    methods: Collection[str] | None = None
    get_updates: bool = False
    limit: int | None = None


_SERVER_ERRORS = {500: "Internal Server Error", 502: "Bad Gateway"}


class FaultInjector:
    """Applies `Faults`; `injected` lists (method, error code) of every fault it produced."""

    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self.injected: list[tuple[str, int]] = []
        self._random = random.Random(faults.seed)
        self._methods = None if faults.methods is None else {m.lower() for m in faults.methods}

    def applies_to(self, method: str) -> bool:
        if self._methods is None:
            return self.faults.get_updates or method.lower() != "getupdates"
        return method.lower() in self._methods

    async def before_call(self, method: str) -> None:
        """Sleep the latency, then maybe raise the injected error."""
        if not self.applies_to(method):
            return
        low, high = self.faults.latency
        if high > 0:
            await asyncio.sleep(self._random.uniform(low, high))
        if self._random.random() >= self.faults.rate or \
                (self.faults.limit is not None and len(self.injected) >= self.faults.limit):
            return
        code = self._random.choice(self.faults.kinds)
        self.injected.append((method, code))
        if code == 429:
            raise too_many_requests(self.faults.retry_after)
        raise ApiError(code, _SERVER_ERRORS.get(code, "Internal Server Error"))
