"""Conversation state: saved, replaced, loaded and deleted whole; gone with its user."""
from __future__ import annotations

import pytest
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from bot.storage.models import ConversationState, User
from bot.storage.repository import Storage

ARABIC = {"flow": "german_courses", "answers": {"question": "أين أجد دورة لغة ألمانية؟"}}
TIGRINYA = {"flow": "work", "path": ["start", "ስራ"], "answers": {"name": "ሰላም ኣብርሃም"}}


async def test_a_user_without_state_has_none(storage: Storage) -> None:
    user = await storage.user("telegram", "1001")
    assert await storage.load_state(user.id) is None


async def test_marking_someone_seen_reads_their_own_state_and_no_one_elses(
        storage: Storage) -> None:
    """`user_with_state` reads the state in the statement that marks the person as seen (the
    first contact's insert too, whose subquery must not read the states of everyone)."""
    amira, _ = await storage.user_with_state("telegram", "1001")
    await storage.save_state(amira.id, ARABIC, "v1")
    abraham, nothing = await storage.user_with_state("telegram", "1002")
    assert nothing is None
    await storage.save_state(abraham.id, TIGRINYA, "v1")
    assert await storage.user_with_state("telegram", "1001") == (amira, ARABIC)
    assert await storage.user_with_state("telegram", "1002") == (abraham, TIGRINYA)


async def test_state_round_trips_unicode_and_is_replaced_whole(storage: Storage) -> None:
    user = await storage.user("telegram", "1001")
    await storage.save_state(user.id, ARABIC, "v1")
    assert await storage.load_state(user.id) == ARABIC

    await storage.save_state(user.id, TIGRINYA, "v2")
    assert await storage.load_state(user.id) == TIGRINYA
    async with storage.session() as session:
        saved = await session.get_one(ConversationState, user.id)
    assert saved.content_version == "v2"


async def test_deleted_state_is_gone(storage: Storage) -> None:
    user = await storage.user("telegram", "1001")
    await storage.save_state(user.id, ARABIC, None)
    await storage.delete_state(user.id)
    assert await storage.load_state(user.id) is None
    await storage.delete_state(user.id)  # deleting nothing is fine


async def test_states_of_different_users_are_separate(storage: Storage) -> None:
    first = await storage.user("telegram", "1001")
    second = await storage.user("telegram", "1002")
    await storage.save_state(first.id, ARABIC, None)
    await storage.save_state(second.id, TIGRINYA, None)
    assert await storage.load_state(first.id) == ARABIC
    assert await storage.load_state(second.id) == TIGRINYA


async def test_deleting_a_user_deletes_their_state(storage: Storage) -> None:
    user = await storage.user("telegram", "1001")
    await storage.save_state(user.id, TIGRINYA, None)
    async with storage.session() as session:
        await session.execute(delete(User).where(User.id == user.id))
    async with storage.session() as session:
        assert await session.scalar(select(ConversationState.user_id)) is None


async def test_state_for_an_unknown_user_is_refused(storage: Storage) -> None:
    with pytest.raises(IntegrityError):
        await storage.save_state(404, ARABIC, None)
