"""A client of an OpenAI-compatible `/v1/embeddings` endpoint (Ollama, vLLM, Text Embeddings
Inference, …) for the optional semantic layer of the FAQ matcher (bot/semantic/layer.py).

It talks to the one configured URL only: no proxy from the environment (`trust_env` stays off),
no retries. Errors never carry the texts sent, nor the server's answer (which might echo them)."""
from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence

import aiohttp
import numpy as np

from bot.shared.http_session import LazySession

__all__ = ["EmbeddingsClient", "EmbeddingsError", "EmbeddingsTimeout"]


class EmbeddingsError(Exception):
    """The embeddings server failed or answered something unusable; the message says how, in a
    few words without any text."""


class EmbeddingsTimeout(EmbeddingsError):
    """No complete answer within the call's timeout."""


class EmbeddingsClient:
    """POST `{base_url}/embeddings` with `{"model", "input": [texts]}`; one HTTP session, reused
    (keep-alive) until `close`."""

    def __init__(self, base_url: str, model: str, *, api_key: str | None = None) -> None:
        self.url = base_url.rstrip("/") + "/embeddings"
        self.model = model
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._session = LazySession()

    async def embed(self, texts: Sequence[str], *, timeout: float) -> np.ndarray:
        """One float32 row per text, in the order of `texts` (not normalised). Raises
        EmbeddingsTimeout after `timeout` seconds, EmbeddingsError for everything else."""
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        payload = {"model": self.model, "input": list(texts), "encoding_format": "float"}
        try:
            async with asyncio.timeout(timeout):
                async with self._session.get().post(self.url, json=payload,
                                             headers=self._headers) as response:
                    status, body = response.status, await response.read()
        except TimeoutError:
            raise EmbeddingsTimeout(f"no answer within {timeout:g} s") from None
        except aiohttp.ClientError as exc:
            raise EmbeddingsError(f"request failed ({type(exc).__name__})") from None
        if status != 200:
            raise EmbeddingsError(f"HTTP {status}")
        return parse_embeddings(body, len(texts))

    async def close(self) -> None:
        await self._session.close()


def parse_embeddings(body: bytes, count: int) -> np.ndarray:
    """The `count` vectors of an OpenAI embeddings answer, ordered by each item's `index`."""
    try:
        items = json.loads(body)["data"]
        by_index = {item["index"]: item["embedding"] for item in items}
    except (ValueError, KeyError, TypeError):
        raise EmbeddingsError("malformed answer") from None
    if not isinstance(items, list) or len(items) != count:
        got = len(items) if isinstance(items, list) else "none"
        raise EmbeddingsError(f"expected {count} embeddings, got {got}")
    if set(by_index) != set(range(count)):
        raise EmbeddingsError("malformed answer (indices)")
    try:
        matrix = np.array([by_index[i] for i in range(count)], dtype=np.float32)
    except (ValueError, TypeError):
        raise EmbeddingsError("malformed answer") from None
    if matrix.ndim != 2 or matrix.shape[1] == 0 or not np.isfinite(matrix).all():
        raise EmbeddingsError("malformed answer")
    return matrix
