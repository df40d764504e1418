"""Conversation state in Redis, used instead of the database when REDIS_URL is set, so that
several instances share it: one JSON value per user under `lotse:state:<user id>`.

Each value expires `STATE_TTL` after it was last saved (every handled event saves it), so the
conversations people abandon do not pile up; someone who comes back after that starts afresh, as
after a /start. The database still owns users, consent and cases: the state is only where a person
is in the conversation."""
from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.clock import utcnow
from bot.config import SettingsError
from bot.storage.state_store import STATE_RETENTION

log = logging.getLogger(__name__)

KEY_PREFIX = "lotse:state:"
STATE_TTL = STATE_RETENTION
"""How long an untouched conversation is kept: half a year covers a course waiting list."""
TIMEOUT_SECONDS = 5.0
"""A Redis that does not answer within this fails the update instead of hanging it."""


class RedisUnavailable(SettingsError):
    """REDIS_URL is wrong or its server does not answer at start; the message names the server,
    never its password."""


class RedisStates:
    """A `StateStore` on one Redis database."""

    def __init__(self, client: Redis) -> None:
        self.client = client

    @classmethod
    async def connect(cls, url: str) -> RedisStates:
        """States on the Redis at `url`, checked with a PING so a wrong url fails at start."""
        try:
            client = Redis.from_url(url, decode_responses=True, socket_timeout=TIMEOUT_SECONDS,
                                    socket_connect_timeout=TIMEOUT_SECONDS)
        except ValueError as exc:
            raise RedisUnavailable(f"setting REDIS_URL: not a Redis url ({exc})") from None
        try:
            await client.ping()
        except RedisError as exc:
            await client.aclose()
            raise RedisUnavailable(
                f"setting REDIS_URL: no answer from {redacted(url)} ({exc})") from None
        return cls(client)

    async def close(self) -> None:
        await self.client.aclose()

    @staticmethod
    def key(user_id: int) -> str:
        return f"{KEY_PREFIX}{user_id}"

    async def load_state(self, user_id: int) -> dict[str, Any] | None:
        """The saved state, or None when the user has none (or it expired, or is unreadable)."""
        raw = await self.client.get(self.key(user_id))
        if raw is None:
            return None
        try:
            data = json.loads(raw)["data"]
        except (ValueError, TypeError, KeyError):
            data = None
        if not isinstance(data, dict):
            log.warning("unreadable conversation state in Redis user=%s: starting afresh", user_id)
            return None
        return data

    async def save_state(
        self, user_id: int, data: dict[str, Any], content_version: str | None
    ) -> None:
        """Replace the user's state and start its `STATE_TTL` again."""
        value = {"data": data, "content_version": content_version,
                 "updated_at": utcnow().isoformat()}
        await self.client.set(self.key(user_id), json.dumps(value, ensure_ascii=False),
                              ex=STATE_TTL)

    async def delete_state(self, user_id: int) -> None:
        await self.client.delete(self.key(user_id))


def redacted(url: str) -> str:
    """The url with its password (if any) replaced by ***, fit for a log line."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port is not None else ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}{port}"))
