"""The semantic layer's cache file (bot/semantic/layer.py): the embeddings of the content's texts, so
that a restart does not embed them all again.

It holds content only, never what people write: one row per FAQ text (a question variant or a
title) with its key, sha256 of the model's name and the text; not even the text itself. A numpy
`.npz` file (`keys`, `vectors`), read without pickle, written whole to a temporary file and then
renamed, so it is never half written."""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from bot.config import Settings

__all__ = ["CACHE_NAME", "VectorCache", "cache_path"]

log = logging.getLogger(__name__)

CACHE_NAME = "embeddings-cache.npz"


def cache_path(settings: Settings) -> Path:
    """Next to the SQLite database, else (PostgreSQL, in-memory SQLite) the repository's data/."""
    from bot.config import REPO_ROOT
    from bot.storage.database import sqlite_file

    file = sqlite_file(settings.DATABASE_URL)
    return REPO_ROOT / "data" / CACHE_NAME if file is None else file.resolve().parent / CACHE_NAME


class VectorCache:
    """The file at `path` (None: no file, everything stays in memory). Blocking file I/O: call
    `load` and `save` in a thread."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.saved: frozenset[str] = frozenset()
        """The keys the file holds now."""

    def load(self) -> dict[str, np.ndarray]:
        """The file's vectors by key; nothing when there is none or it is unreadable (logged)."""
        if self.path is None or not self.path.exists():
            return {}
        try:
            with np.load(self.path, allow_pickle=False) as saved:
                keys, vectors = saved["keys"], saved["vectors"]
            if len(keys) != len(vectors) or vectors.ndim != 2:
                raise ValueError("keys and vectors do not fit together")
        except (OSError, ValueError, KeyError) as exc:
            log.warning("embeddings cache %s unreadable, ignored (%s)", self.path,
                        type(exc).__name__)
            return {}
        loaded = {str(key): vector for key, vector in zip(keys, vectors)}
        self.saved = frozenset(loaded)
        return loaded

    def save(self, vectors: dict[str, np.ndarray]) -> None:
        """Replace the file's contents by `vectors` (of one size); a failure is logged."""
        if self.path is None or self.saved == vectors.keys():
            return
        keys = sorted(vectors)
        matrix = np.stack([vectors[k] for k in keys]) if keys else np.zeros((0, 1), np.float32)
        temporary = self.path.with_name(self.path.name + ".tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with temporary.open("wb") as out:
                np.savez(out, keys=np.array(keys, dtype="U64"), vectors=matrix)
            os.replace(temporary, self.path)
        except OSError as exc:
            log.warning("embeddings cache %s not written: %s", self.path, exc)
            return
        self.saved = frozenset(keys)
