"""Person locks: one holder at a time per key (a person), and numbered holders in the order of
their numbers (a person's updates by update_id), however many instances ask.

`LocalPersonLocks` is an asyncio lock per key in this process. `RedisPersonLocks` keeps, per key,
a queue in Redis (a sorted set scored by number) and the current holder; whoever is first in the
queue takes the lock once nobody holds it. Every entry and the lock itself are leases, renewed
while their instance lives: the entries of a dead instance expire and are skipped, its lock
passes on. A holder whose lease was lost anyway (its instance stalled longer than the lease) is
cancelled and `PersonLockLost` is raised, so that it does not go on beside the next holder."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
import weakref
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from types import TracebackType
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

# The Redis keys keep the names they had when these were called "turns", so that instances of the
# version before and after the rename exclude each other during a rolling upgrade.
KEY_PREFIX = "lotse:turn:"
TICKETS = "lotse:turn-tickets"
"""The counter that numbers holders who bring no number (first come, first served)."""
LEASE_SECONDS = 15.0
"""How long a dead instance's place in a queue, or its lock, blocks the others."""
POLL_SECONDS = (0.002, 0.05)
"""A waiter looks again after the first, doubling up to the second."""


class PersonLockLost(Exception):
    """The lock's lease ran out while it was held (the instance stalled): what it guarded was
    cancelled, since another holder may have gone on."""


class PersonLocks(Protocol):
    def hold(self, key: str, number: int | None = None) -> AbstractAsyncContextManager[None]:
        """Wait for the lock of `key` and hold it. Numbered holders of one key take it in the
        order of their numbers (among those waiting); unnumbered ones in arrival order."""
        ...


class LocalPersonLocks:
    """`PersonLocks` in one process: an asyncio lock per key (arrival order is the order here)."""

    def __init__(self) -> None:
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = \
            weakref.WeakValueDictionary()

    @asynccontextmanager
    async def hold(self, key: str, number: int | None = None) -> AsyncIterator[None]:
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        async with lock:
            yield


# KEYS: queue, holder; ARGV: me, the prefix of the entries' lease keys, lease in ms.
# 1: the lock is mine; 0: wait; -1: my entry is gone (lost). Skips dead entries at the head.
_TRY = """
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return -1 end
local holder = redis.call('GET', KEYS[2])
if holder == ARGV[1] then return 1 end
if holder then return 0 end
while true do
  local head = redis.call('ZRANGE', KEYS[1], 0, 0)[1]
  if head == ARGV[1] then
    redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[3])
    return 1
  end
  if redis.call('EXISTS', ARGV[2] .. head) == 1 then return 0 end
  redis.call('ZREM', KEYS[1], head)
end
"""
# KEYS: queue, holder, my entry's lease; ARGV: me, lease in ms, "1" when I hold the lock.
# 1: renewed; 0: lost.
_RENEW = """
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) or redis.call('PEXPIRE', KEYS[3], ARGV[2]) == 0
then return 0 end
redis.call('PEXPIRE', KEYS[1], 2 * tonumber(ARGV[2]))
if ARGV[3] == '1' then
  if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
end
return 1
"""
# KEYS: queue, holder, my entry's lease; ARGV: me.
_LEAVE = """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[3])
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
"""


class RedisPersonLocks:
    """`PersonLocks` shared by all instances through Redis."""

    def __init__(self, client: Redis, lease: float = LEASE_SECONDS) -> None:
        self.client = client
        self.lease = lease
        self._try = client.register_script(_TRY)
        self._renew = client.register_script(_RENEW)
        self._leave = client.register_script(_LEAVE)

    def hold(self, key: str, number: int | None = None) -> _RedisHold:
        return _RedisHold(self, key, number)


class _RedisHold:
    """One hold of one key: enter the queue, wait to be first, hold, leave; renewed throughout."""

    def __init__(self, locks: RedisPersonLocks, key: str, number: int | None) -> None:
        self.locks = locks
        self.key = key
        self.number = number
        self.queue = KEY_PREFIX + key
        self.holder = f"{self.queue}:holder"
        self.me = ""
        self.held = False
        self.lost = False
        self._task: asyncio.Task[object] | None = None
        self._renewal: asyncio.Task[None] | None = None

    @property
    def _lease_ms(self) -> int:
        return max(1, int(self.locks.lease * 1000))

    @property
    def _entry(self) -> str:
        return f"{self.queue}:entry:{self.me}"

    async def __aenter__(self) -> None:
        client = self.locks.client
        number = self.number if self.number is not None else await client.incr(TICKETS)
        self.me = f"{number}:{uuid.uuid4().hex[:12]}"
        async with client.pipeline(transaction=True) as pipe:
            pipe.zadd(self.queue, {self.me: number})
            pipe.set(self._entry, 1, px=self._lease_ms)
            pipe.pexpire(self.queue, 2 * self._lease_ms)
            await pipe.execute()
        self._task = asyncio.current_task()
        self._renewal = asyncio.create_task(self._keep())
        try:
            await self._wait()
        except BaseException:
            await asyncio.shield(self._leave())
            raise
        self.held = True

    async def _wait(self) -> None:
        pause = POLL_SECONDS[0]
        while True:
            mine = await self.locks._try(keys=[self.queue, self.holder],
                                         args=[self.me, f"{self.queue}:entry:", self._lease_ms])
            if mine == 1:
                return
            if mine == -1 or self.lost:
                raise PersonLockLost(self.key)
            await asyncio.sleep(pause)
            pause = min(2 * pause, POLL_SECONDS[1])

    async def _keep(self) -> None:
        """Renew the entry (and the lock, once held) every third of the lease; when that fails,
        the lock is lost: cancel its holder."""
        while True:
            await asyncio.sleep(self.locks.lease / 3)
            try:
                renewed = await self.locks._renew(
                    keys=[self.queue, self.holder, self._entry],
                    args=[self.me, self._lease_ms, "1" if self.held else "0"])
            except RedisError as exc:
                log.warning("person lock renewal failed key=%s: %s", self.key, type(exc).__name__)
                continue
            if not renewed:
                log.warning("person lock lost key=%s", self.key)
                self.lost = True
                if self.held and self._task is not None:
                    self._task.cancel()
                return

    async def _leave(self) -> None:
        if self._renewal is not None:
            self._renewal.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewal
        await self.locks._leave(keys=[self.queue, self.holder, self._entry], args=[self.me])

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        self.held = False  # from here on a lost lease cancels nothing
        await asyncio.shield(self._leave())
        if self.lost and exc_type is asyncio.CancelledError:
            assert self._task is not None
            if self._task.uncancel() == 0:  # cancelled for the lost lock, nothing else
                raise PersonLockLost(self.key) from None
