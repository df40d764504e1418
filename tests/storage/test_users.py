"""Users: created once per channel id, even under concurrent first messages; settings round-trip."""
from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import StatementError

from bot.storage.models import User
from bot.storage.repository import Storage, UserRecord


async def count_users(storage: Storage) -> int:
    async with storage.session() as session:
        return await session.scalar(select(func.count()).select_from(User)) or 0


async def test_first_contact_creates_a_user_and_later_contacts_find_it(storage: Storage) -> None:
    first = await storage.user("telegram", "1001")
    assert first == UserRecord(id=first.id, locale=None, consent_at=None, blocked_at=None)
    assert await storage.user("telegram", "1001") == first
    assert await count_users(storage) == 1


async def test_the_same_id_on_another_channel_is_another_user(storage: Storage) -> None:
    telegram = await storage.user("telegram", "1001")
    console = await storage.user("console", "1001")
    assert telegram.id != console.id


async def test_concurrent_first_messages_create_one_user(storage: Storage) -> None:
    first_contacts: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.startswith("INSERT INTO users"):
            first_contacts.append(statement)

    event.listen(storage.engine.sync_engine, "before_cursor_execute", count)
    # Open the connections first: otherwise the first call is done before the others connect.
    await asyncio.gather(*(storage.load_state(0) for _ in range(10)))

    for external_id in ("2001", "2002", "2003", "2004", "2005"):
        records = await asyncio.gather(*(storage.user("telegram", external_id) for _ in range(10)))
        assert len({record.id for record in records}) == 1

    assert await count_users(storage) == 5
    if storage.engine.dialect.name == "sqlite":  # one transaction at a time: no call races
        assert len(first_contacts) == 5
    else:  # several calls found no row and inserted at once; the upsert made them one
        assert len(first_contacts) > 5, "the calls never raced; the test proved nothing"


async def test_each_contact_updates_last_seen(storage: Storage) -> None:
    user = await storage.user("telegram", "1001")

    async def last_seen() -> datetime:
        async with storage.session() as session:
            return (await session.get_one(User, user.id)).last_seen_at

    before = await last_seen()
    await storage.user("telegram", "1001")
    after = await last_seen()
    assert after.tzinfo is UTC
    assert after > before


async def test_locale_consent_and_block_are_saved(storage: Storage) -> None:
    user = await storage.user("telegram", "1001")
    consent = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    await storage.set_locale(user.id, "ti")
    await storage.set_consent(user.id, consent)
    await storage.mark_blocked(user.id)

    async with storage.session() as session:
        row = await session.get_one(User, user.id)
    assert (row.locale, row.consent_at) == ("ti", consent)
    assert row.blocked_at is not None and row.blocked_at.tzinfo is UTC


async def test_writing_again_unblocks_and_keeps_settings(storage: Storage) -> None:
    user = await storage.user("telegram", "1001")
    await storage.set_locale(user.id, "ar")
    await storage.mark_blocked(user.id)
    again = await storage.user("telegram", "1001")
    assert (again.locale, again.blocked_at) == ("ar", None)


async def test_consent_can_be_withdrawn(storage: Storage) -> None:
    user = await storage.user("telegram", "1001")
    await storage.set_consent(user.id, datetime.now(UTC))
    await storage.set_consent(user.id, None)
    assert (await storage.user("telegram", "1001")).consent_at is None


async def test_a_naive_timestamp_is_refused(storage: Storage) -> None:
    user = await storage.user("telegram", "1001")
    with pytest.raises(StatementError, match="naive datetime"):
        await storage.set_consent(user.id, datetime(2026, 3, 1, 9, 30))
