"""One JSON POST to a translation server over aiohttp, its failures as `ProviderError`s: a
timeout, a 5xx, a 429 and a network error are retried by the translator, anything else not. Only
the configured URL is asked (no proxy from the environment); errors carry neither the text nor the
server's answer, which might echo it."""
from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp

from bot.shared.http_session import LazySession
from bot.translation.base import ProviderError, Untranslated


class JsonClient:
    """One HTTP session, reused (keep-alive) until `close`."""

    def __init__(self, headers: dict[str, str] | None = None) -> None:
        self.headers = headers or {}
        self._session = LazySession()

    async def post(self, url: str, payload: dict[str, Any], *, timeout: float) -> Any:
        try:
            async with asyncio.timeout(timeout):
                async with self._session.get().post(url, json=payload, headers=self.headers) as response:
                    status, body = response.status, await response.read()
        except TimeoutError:
            raise ProviderError(Untranslated.TIMEOUT) from None
        except aiohttp.ClientError:
            raise ProviderError(Untranslated.NETWORK) from None
        if status == 429:
            raise ProviderError(Untranslated.RATE_LIMITED)
        if status >= 500:
            raise ProviderError(Untranslated.SERVER_ERROR)
        if status != 200:
            raise ProviderError(Untranslated.REJECTED)
        try:
            return json.loads(body)
        except ValueError:
            raise ProviderError(Untranslated.MALFORMED) from None

    async def close(self) -> None:
        await self._session.close()


def text_at(answer: Any, *path: str | int) -> str:
    """The string at `path` in a JSON answer; MALFORMED when it is not there."""
    try:
        for step in path:
            answer = answer[step]
    except (KeyError, IndexError, TypeError):
        raise ProviderError(Untranslated.MALFORMED) from None
    if not isinstance(answer, str) or not answer.strip():
        raise ProviderError(Untranslated.MALFORMED)
    return answer.strip()
