"""One aiohttp session, opened on first use and reused (keep-alive) until `close`, for the clients
of the servers a county runs beside Lotse (embeddings, translation). It reaches the configured URL
only: no proxy from the environment (`trust_env` stays off), no session-wide timeout (each call
brings its own)."""
from __future__ import annotations

import aiohttp


class LazySession:
    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    def get(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None))
        return self._session

    @property
    def is_open(self) -> bool:
        return self._session is not None and not self._session.closed

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
