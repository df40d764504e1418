"""Conversation state in a real Redis (REDIS_URL): saved, replaced, loaded, deleted and expiring."""
from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest

from bot.config import SettingsError
from bot.core.content.model import Content
from bot.core.events import Start
from bot.services.conversation import Conversations, Person
from bot.storage.repository import Storage
from bot.storage.state_redis import STATE_TTL, RedisStates, RedisUnavailable, redacted
from bot.storage.state_store import StateStore

ARABIC = {"flow": "german_courses", "answers": {"question": "أين أجد دورة لغة ألمانية؟"}}
TIGRINYA = {"flow": "work", "path": ["start", "ስራ"], "answers": {"name": "ሰላም ኣብርሃም"}}


@pytest.fixture
async def states(redis_url: str) -> AsyncIterator[RedisStates]:
    states = await RedisStates.connect(redis_url)
    await states.client.flushdb()
    yield states
    await states.close()


async def test_a_user_without_state_has_none(states: RedisStates) -> None:
    assert await states.load_state(1001) is None


async def test_state_round_trips_unicode_and_is_replaced_whole(states: RedisStates) -> None:
    await states.save_state(7, ARABIC, "v1")
    assert await states.load_state(7) == ARABIC

    await states.save_state(7, TIGRINYA, "v2")
    assert await states.load_state(7) == TIGRINYA
    stored = json.loads(await states.client.get("lotse:state:7"))
    assert stored["content_version"] == "v2" and stored["data"] == TIGRINYA
    assert await states.client.keys("lotse:state:*") == ["lotse:state:7"]


async def test_deleted_state_is_gone(states: RedisStates) -> None:
    await states.save_state(7, ARABIC, None)
    await states.delete_state(7)
    assert await states.load_state(7) is None
    assert await states.client.exists("lotse:state:7") == 0
    await states.delete_state(7)  # deleting nothing is fine


async def test_states_of_different_users_are_separate(states: RedisStates) -> None:
    await states.save_state(1, ARABIC, None)
    await states.save_state(2, TIGRINYA, None)
    assert await states.load_state(1) == ARABIC
    assert await states.load_state(2) == TIGRINYA


async def test_every_save_starts_the_expiry_again(states: RedisStates) -> None:
    ttl = int(STATE_TTL.total_seconds())
    await states.save_state(7, ARABIC, None)
    await states.client.expire("lotse:state:7", 60)
    await states.save_state(7, TIGRINYA, None)
    assert ttl - 5 <= await states.client.ttl("lotse:state:7") <= ttl


async def test_an_expired_state_is_none(states: RedisStates) -> None:
    await states.save_state(7, ARABIC, None)
    await states.client.pexpire("lotse:state:7", 1)
    await asyncio.sleep(0.05)
    assert await states.load_state(7) is None


@pytest.mark.parametrize("garbage", ["not json", "[1, 2]", '{"data": "x"}', '{"other": {}}'])
async def test_an_unreadable_value_starts_afresh(states: RedisStates, garbage: str) -> None:
    await states.client.set("lotse:state:7", garbage)
    assert await states.load_state(7) is None


async def test_an_unreachable_redis_is_a_settings_error_without_the_password() -> None:
    with socket_closed() as port, pytest.raises(RedisUnavailable) as caught:
        await RedisStates.connect(f"redis://lotse:geheim@127.0.0.1:{port}/0")
    message = str(caught.value)
    assert isinstance(caught.value, SettingsError)
    assert message.startswith("setting REDIS_URL: no answer from redis://lotse:***@127.0.0.1:")
    assert "geheim" not in message


def test_redacted_hides_only_the_password() -> None:
    assert redacted("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"
    assert redacted("redis://:pw@redis.example:6380/2") == "redis://:***@redis.example:6380/2"
    assert redacted("rediss://user:p%40ss@[::1]:6379/0") == "rediss://user:***@[::1]:6379/0"


async def test_conversations_keep_state_in_redis_not_the_database(
        states: RedisStates, storage: Storage, shipped_content: Content) -> None:
    conversations = Conversations(storage, lambda: shipped_content, states=states)
    person = Person("telegram", "1001")
    await conversations.handle(person, Start(client_locale="ar"))
    user = await storage.user("telegram", "1001")
    saved = await states.load_state(user.id)
    assert saved is not None and saved["locale"] == "ar"
    assert await storage.load_state(user.id) is None
    stored: StateStore = states  # RedisStates is a StateStore, as Storage is
    assert stored is conversations.states


class socket_closed:
    """A loopback port nobody listens on (bound, never listening, while the block runs)."""

    def __enter__(self) -> int:
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        return int(self.sock.getsockname()[1])

    def __exit__(self, *exc: object) -> None:
        self.sock.close()
