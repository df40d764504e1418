"""SQLite transactions of one process queue one after another (`TransactionQueue`): a writer
that has to wait longer than SQLite's busy timeout still gets in (before, it failed with
"database is locked" and its update was lost), and a session opened inside another in the same
task does not wait for itself."""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.storage import database
from bot.storage.migrate import upgrade
from bot.storage.models import ProcessedUpdate
from bot.storage.repository import Storage


async def test_a_writer_waits_in_line_beyond_the_busy_timeout(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'lotse.sqlite3'}"
    await upgrade(url)
    monkeypatch.setattr(database, "SQLITE_BUSY_TIMEOUT_MS", 50)
    storage = Storage.open(url)
    holding = asyncio.Event()

    async def slow_writer() -> None:
        async with storage.session() as session:
            session.add(ProcessedUpdate(update_id=1))
            await session.flush()  # holds SQLite's write lock from here to the commit
            holding.set()
            await asyncio.sleep(0.5)  # ten times the busy timeout

    slow = asyncio.create_task(slow_writer())
    await holding.wait()
    assert await storage.mark_update_processed(2)  # waits for the slow writer, then writes
    await slow
    async with storage.session() as session:
        assert await session.scalar(select(func.count()).select_from(ProcessedUpdate)) == 2
        assert await storage.mark_update_processed(3)  # nested: in the outer one's place
    await storage.close()
