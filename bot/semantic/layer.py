"""The optional semantic layer of the FAQ matcher: how close in meaning a person's question is to
each FAQ entry, from the embeddings of an OpenAI-compatible server the county runs itself
(`EMBEDDINGS_URL`, e.g. Ollama, vLLM or Text Embeddings Inference with bge-m3 or multilingual-e5).

Never required. Without `EMBEDDINGS_URL`, before the index for the live content is built, when the
server fails, answers nonsense or takes longer than `EMBEDDINGS_TIMEOUT`, `Semantic.scores` returns
None and the lexical matcher answers alone; nothing is raised and no message waits longer.

Privacy: a person's question text is sent to the county's own embeddings server, `EMBEDDINGS_URL`,
and nowhere else (no proxy, no retries), and is never stored: neither the text nor its vector is
kept after the answer, and logs and metrics name only the outcome. What is stored is the content's
side: one vector per FAQ text (question variants and titles), in memory and in a cache file next
to the database (`embeddings-cache.npz`), keyed by sha256(model, text) — not even the content text
itself is in it.
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from bot.core.content.loader import match_docs
from bot.core.matcher import MAX_QUERY_CHARS, MatchDoc
from bot.ops.metrics import SEMANTIC_REQUESTS
from bot.semantic.cache import VectorCache, cache_path
from bot.semantic.embeddings import EmbeddingsClient, EmbeddingsError, EmbeddingsTimeout

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.core.content.model import Content

__all__ = ["BATCH_SIZE", "BATCH_TIMEOUT", "Semantic"]

log = logging.getLogger(__name__)

BATCH_SIZE = 64  # content texts per request while the index is built …
BATCH_TIMEOUT = 30.0  # … and the seconds each such request may take
WARN_EVERY_SECONDS = 60.0  # a failing server is logged once a minute per outcome, not per question
RETRY_SECONDS = 60.0  # an index that could not be built is tried again after this long


@dataclass(frozen=True)
class _Index:
    version: str
    matrix: np.ndarray  # one L2-normalised row per doc, rows grouped by entry
    entry_ids: tuple[str, ...]
    starts: np.ndarray  # the first row of each entry


def _normalised(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1, norms)


class Semantic:
    """Cosine scores of a question against the FAQ docs; off (always None) without a client."""

    def __init__(self, client: EmbeddingsClient | None = None, *, timeout: float = 0.3,
                 cache_file: Path | None = None) -> None:
        self._client = client
        self._timeout = timeout
        self._cache = VectorCache(cache_file)
        self._vectors: dict[str, np.ndarray] = {}  # sha256(model, text) -> normalised vector
        self._loaded = False
        self._index: _Index | None = None
        self._live: str | None = None  # the version of the latest prepare
        self._lock = asyncio.Lock()
        self._warned: dict[str, tuple[float, int]] = {}  # outcome -> (last warning, silenced)
        self._tried: tuple[str, float] | None = None  # the version `follow` last built, and when
        self._building: set[asyncio.Task[None]] = set()

    @classmethod
    def from_settings(cls, settings: Settings | None) -> Semantic:
        if settings is None or settings.embeddings_base is None:
            return cls()
        assert settings.EMBEDDINGS_MODEL is not None  # the settings require it with the URL
        client = EmbeddingsClient(settings.embeddings_base, settings.EMBEDDINGS_MODEL,
                                  api_key=settings.EMBEDDINGS_API_KEY)
        return cls(client, timeout=settings.EMBEDDINGS_TIMEOUT, cache_file=cache_path(settings))

    @property
    def enabled(self) -> bool:
        return self._client is not None

    @property
    def ready_version(self) -> str | None:
        """The content version whose index is built, if any."""
        return self._index.version if self._index is not None else None

    async def close(self) -> None:
        """Stop building (at shutdown) and close the HTTP session."""
        for task in self._building:
            task.cancel()
        await self.settled()
        if self._client is not None:
            await self._client.close()

    def follow(self, content: Content) -> None:
        """Have the index for `content` built in the background, never awaited by a reply: at
        start-up, after each reload, and (called for every typed text) again `RETRY_SECONDS`
        after an attempt that failed. Costs nothing when it is built or being built."""
        if self._client is None or self.ready_version == content.version:
            return
        now = time.monotonic()
        if self._tried is not None and self._tried[0] == content.version and (
                self._building or now - self._tried[1] < RETRY_SECONDS):
            return
        self._tried = (content.version, now)
        task = asyncio.create_task(self._build(content.version,
                                               match_docs(content.entries.values())))
        self._building.add(task)
        task.add_done_callback(self._building.discard)

    async def _build(self, version: str, docs: Sequence[MatchDoc]) -> None:
        try:
            await self.prepare(version, docs)
        except Exception as exc:  # noqa: BLE001 - a background task: nothing may escape unseen
            log.warning("semantic index for content %s not built: %s", version,
                        type(exc).__name__)

    async def settled(self) -> None:
        """Wait until the indexes `follow` started are built (or failed)."""
        while self._building:
            await asyncio.wait(set(self._building))

    def _key(self, text: str) -> str:
        assert self._client is not None
        return hashlib.sha256(f"{self._client.model}\0{text}".encode()).hexdigest()

    async def prepare(self, content_version: str, docs: Sequence[MatchDoc]) -> None:
        """Build the index for this content version (at start-up, after each reload). Embeds only
        texts not embedded before (memory, then the cache file); a version already built costs
        nothing. Never raises for the server: on failure the layer stays not ready (logged)."""
        if self._client is None:
            return
        self._live = content_version
        async with self._lock:
            if self._live != content_version or self.ready_version == content_version:
                return  # a newer version is waiting for the lock, or this one is built
            if not self._loaded:
                self._vectors.update(await asyncio.to_thread(self._cache.load))
                self._loaded = True
            rows = sorted({(doc.entry_id, doc.text) for doc in docs if doc.text.strip()})
            keys = {text: self._key(text) for _, text in rows}
            started = time.perf_counter()
            try:
                try:
                    matrix, embedded = await self._matrix(rows, keys)
                except ValueError:  # vectors of unequal size: another model behind the name
                    log.warning("cached embeddings differ in size from new ones: all embedded "
                                "again")
                    self._vectors.clear()
                    matrix, embedded = await self._matrix(rows, keys)
            except (EmbeddingsError, ValueError) as exc:
                log.warning("semantic index for content %s not built: %s", content_version, exc)
                return
            ids = [entry_id for entry_id, _ in rows]
            starts = [i for i, entry_id in enumerate(ids) if i == 0 or ids[i - 1] != entry_id]
            self._index = _Index(content_version, matrix, tuple(ids[i] for i in starts),
                                 np.array(starts, dtype=np.intp))
            self._vectors = {key: self._vectors[key] for key in keys.values()}
            await asyncio.to_thread(self._cache.save, self._vectors)
            log.info("semantic index ready: content %s, %d docs, %d texts embedded in %.1f s",
                     content_version, len(rows), embedded, time.perf_counter() - started)

    async def _matrix(self, rows: list[tuple[str, str]], keys: dict[str, str]
                      ) -> tuple[np.ndarray, int]:
        """The index's rows, embedding the texts not in memory; and how many those were."""
        assert self._client is not None
        missing = [text for text, key in keys.items() if key not in self._vectors]
        for first in range(0, len(missing), BATCH_SIZE):
            batch = missing[first:first + BATCH_SIZE]
            vectors = _normalised(await self._client.embed(batch, timeout=BATCH_TIMEOUT))
            self._vectors.update(zip((keys[text] for text in batch), vectors))
        if not rows:
            return np.zeros((0, 1), dtype=np.float32), 0
        return np.stack([self._vectors[keys[text]] for _, text in rows]), len(missing)

    async def scores(self, text: str, *, version: str | None = None) -> dict[str, float] | None:
        """The best cosine (-1..1) per entry id for the question, or None: the layer is off, the
        index for `version` (default: the latest prepared) is not built, or the server failed or
        took longer than the timeout. The text is sent to the embeddings server, never kept."""
        if self._client is None:
            return None
        index = self._index
        if index is None or index.version != (version or self._live):
            self._outcome("not_ready", "index not built for the live content")
            return None
        question = text.strip()[:MAX_QUERY_CHARS]
        if not question or not index.entry_ids:
            return None  # nothing to compare: no opinion, and no request
        try:
            vector = _normalised(await self._client.embed([question], timeout=self._timeout))[0]
            if vector.shape[0] != index.matrix.shape[1]:
                raise EmbeddingsError(f"{vector.shape[0]} dimensions, the index has "
                                      f"{index.matrix.shape[1]}")
        except EmbeddingsTimeout as exc:
            self._outcome("timeout", str(exc))
            return None
        except EmbeddingsError as exc:
            self._outcome("error", str(exc))
            return None
        best = np.maximum.reduceat(index.matrix @ vector, index.starts)
        SEMANTIC_REQUESTS.labels("ok").inc()
        return dict(zip(index.entry_ids, best.tolist()))

    def _outcome(self, outcome: str, detail: str) -> None:
        """Count it; log it without any text: failures as warnings, at most one a minute each."""
        SEMANTIC_REQUESTS.labels(outcome).inc()
        level = logging.INFO if outcome == "not_ready" else logging.WARNING
        now = time.monotonic()
        last, silenced = self._warned.get(outcome, (-WARN_EVERY_SECONDS, 0))
        if now - last < WARN_EVERY_SECONDS:
            self._warned[outcome] = (last, silenced + 1)
            return
        self._warned[outcome] = (now, 0)
        more = f" ({silenced} more since the last such line)" if silenced else ""
        log.log(level, "semantic scores %s: %s; words alone answer%s", outcome, detail, more)
