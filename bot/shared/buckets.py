"""Token buckets by name, for the rate limits: the sender's global and per-chat buckets
(`bot.channels.telegram.pacing.Pacer`) and the per-person flood throttle. `LocalBuckets` keeps
them in this process; `RedisBuckets` keeps them in Redis, so that all instances draw from the same
buckets."""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis

KEY_PREFIX = "lotse:bucket:"
SWEEP_FROM = 256
"""Full buckets are forgotten once this many (then twice as many as remained) are known."""
EPSILON = 1e-9
"""Tokens counted as whole despite float rounding (else a refill lands at 0.999… and waits ~0 s)."""
HEADROOM = 0.9
"""Telegram's limits are paced at 90 %: calls the network or a busy server bunch up on their way
still arrive within the limit, because the slack saved since builds a little burst."""


class TokenBucket:
    """`per_minute` tokens a minute, holding at most `burst`; starts full."""

    def __init__(self, per_minute: float, burst: int, now: Callable[[], float]) -> None:
        self.rate = per_minute / 60.0
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


@dataclass(frozen=True)
class Bucket:
    """Which bucket (`name`) and its rule: `per_second` tokens a second, holding at most `burst`.
    A bucket nobody has drawn from yet is full."""

    name: str
    per_second: float
    burst: int


@dataclass(frozen=True)
class Taken:
    """What `Buckets.take` did: `wait` 0 when a token was taken, else the seconds until one could
    be (nothing taken); `flood_began` when a bucket refused for the first time since it was last
    full (the throttle warns then, once)."""

    wait: float
    flood_began: bool = False


class Buckets(Protocol):
    async def take(self, *buckets: Bucket) -> Taken:
        """One token from each bucket when all have one, else none."""
        ...

    async def delay(self, *buckets: Bucket) -> float:
        """Seconds until all the buckets have a token (0: now); takes nothing."""
        ...

    async def hold(self, bucket: Bucket, seconds: float) -> None:
        """After a 429 with `retry_after`: no token from `bucket` for `seconds`."""
        ...


class LocalBuckets:
    """`Buckets` in this process (one instance)."""

    def __init__(self, now: Callable[[], float] = time.monotonic) -> None:
        self.now = now
        self._buckets: dict[str, TokenBucket] = {}
        self._flooding: set[str] = set()
        self._sweep_at = SWEEP_FROM

    def _get(self, bucket: Bucket) -> TokenBucket:
        found = self._buckets.get(bucket.name)
        if found is None:
            if len(self._buckets) >= self._sweep_at:
                self._sweep()
            found = self._buckets[bucket.name] = TokenBucket(
                bucket.per_second * 60, bucket.burst, self.now)
        return found

    async def take(self, *buckets: Bucket) -> Taken:
        pairs = [(bucket.name, self._get(bucket)) for bucket in buckets]
        for name, found in pairs:
            if found.full:
                self._flooding.discard(name)
        wait = max(found.delay() for _, found in pairs)
        if wait == 0:
            for _, found in pairs:
                found.take()
            return Taken(0.0)
        refused = {name for name, found in pairs if found.delay() > 0}
        began = bool(refused - self._flooding)
        self._flooding |= refused
        return Taken(wait, began)

    async def delay(self, *buckets: Bucket) -> float:
        return max((self._buckets[b.name].delay() for b in buckets if b.name in self._buckets),
                   default=0.0)

    async def hold(self, bucket: Bucket, seconds: float) -> None:
        self._get(bucket).hold(seconds)

    def __len__(self) -> int:
        return len(self._buckets)

    def _sweep(self) -> None:
        """Forget full buckets (they would start full anyway) so the table stays small."""
        self._buckets = {name: b for name, b in self._buckets.items() if not b.full}
        self._flooding &= self._buckets.keys()
        self._sweep_at = max(SWEEP_FROM, 2 * len(self._buckets))


# One script for all three operations, so that reading, refilling and drawing are one atomic step.
# A bucket is a hash {tokens, stamp, flood}; it expires when it would be full again (a missing
# bucket is full), so idle people and chats leave nothing behind.
# KEYS: the buckets; ARGV: operation ("take", "delay", "hold"), now, hold seconds, then per bucket
# its per_second and burst. Returns {wait as a string (Lua numbers become integers), flood began}.
_SCRIPT = """
local op, now, hold = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local buckets, wait = {}, 0
for i, key in ipairs(KEYS) do
  local rate, burst = tonumber(ARGV[2 + 2 * i]), tonumber(ARGV[3 + 2 * i])
  local saved = redis.call('HMGET', key, 'tokens', 'stamp', 'flood')
  local tokens, stamp = tonumber(saved[1]) or burst, tonumber(saved[2]) or now
  if now > stamp then
    tokens = math.min(burst, tokens + (now - stamp) * rate)
    stamp = now
  end
  local flood = saved[3] == '1' and tokens < burst
  if op == 'hold' then tokens = math.min(tokens, 1 - hold * rate) end
  if tokens < 1 - 1e-9 then wait = math.max(wait, (1 - tokens) / rate) end
  buckets[i] = {key = key, rate = rate, burst = burst, tokens = tokens, stamp = stamp,
                flood = flood}
end
if op == 'delay' then return {tostring(wait), 0} end
local began = 0
for _, b in ipairs(buckets) do
  if op == 'take' then
    if wait == 0 then
      b.tokens = b.tokens - 1
    elseif b.tokens < 1 and not b.flood then
      b.flood, began = true, 1
    end
  end
  redis.call('HSET', b.key, 'tokens', tostring(b.tokens), 'stamp', tostring(b.stamp),
             'flood', b.flood and '1' or '0')
  redis.call('PEXPIRE', b.key, math.ceil((b.burst - b.tokens) / b.rate * 1000) + 1000)
end
return {tostring(wait), began}
"""


class RedisBuckets:
    """`Buckets` in Redis, shared by every instance. Time is this machine's wall clock (`now`),
    so instances on several machines need synchronised clocks (NTP); a clock behind the last
    draw only refills nothing."""

    def __init__(self, client: Redis, now: Callable[[], float] = time.time) -> None:
        self.client = client
        self.now = now
        self._script = client.register_script(_SCRIPT)

    async def _run(self, op: str, buckets: tuple[Bucket, ...], seconds: float = 0.0
                   ) -> tuple[float, bool]:
        rules = [str(value) for b in buckets for value in (b.per_second, max(1, b.burst))]
        wait, began = await self._script(
            keys=[KEY_PREFIX + b.name for b in buckets],
            args=[op, repr(self.now()), repr(seconds), *rules])
        return float(wait), bool(began)

    async def take(self, *buckets: Bucket) -> Taken:
        return Taken(*await self._run("take", buckets))

    async def delay(self, *buckets: Bucket) -> float:
        return (await self._run("delay", buckets))[0]

    async def hold(self, bucket: Bucket, seconds: float) -> None:
        await self._run("hold", (bucket,), seconds)
