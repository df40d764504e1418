"""Processed updates: each update id is claimed once, also when redeliveries arrive together."""
from __future__ import annotations

import asyncio

from bot.storage.repository import Storage


async def test_an_update_is_processed_once(storage: Storage) -> None:
    assert await storage.mark_update_processed(7_000_000_001)
    assert not await storage.mark_update_processed(7_000_000_001)
    assert await storage.mark_update_processed(7_000_000_002)


async def test_concurrent_redeliveries_are_claimed_once(storage: Storage) -> None:
    claims = await asyncio.gather(*(storage.mark_update_processed(42) for _ in range(10)))
    assert sorted(claims) == [False] * 9 + [True]
