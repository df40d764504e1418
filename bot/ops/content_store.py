"""The content now live, swapped whole on a good reload; broken content never replaces it.

Every reader calls the store (`store()`) for each event and gets one immutable `Content`; a reload
loads the folder again off the event loop and either swaps the whole object or keeps the old one
and reports every `path:line: problem`. What keeps something built from the content (the semantic
layer's index) is told of each new version (`on_applied`)."""
from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.core.content.loader import load
from bot.core.content.model import Content
from bot.core.content.problems import Problem, Severity

log = logging.getLogger(__name__)


class Outcome(enum.Enum):
    APPLIED = "applied"
    """A new version is live."""
    UNCHANGED = "unchanged"
    """The files hold the version already live."""
    REJECTED = "rejected"
    """The files have errors; the version before stays live."""


@dataclass(frozen=True)
class ReloadResult:
    outcome: Outcome
    live: Content
    """The content live after the reload (the old one when rejected)."""
    previous_version: str
    problems: tuple[Problem, ...]
    """Errors (when rejected) and warnings, as `content check` prints them."""

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.WARNING]


class ContentStore:
    """Holds the live `Content`; calling the store returns it (a `Callable[[], Content]`)."""

    def __init__(self, content: Content, ui_dir: Path) -> None:
        self._content = content
        self.ui_dir = ui_dir
        self._lock = asyncio.Lock()
        self.on_applied: list[Callable[[Content], None]] = []
        """Called with each new version once it is live (must not block)."""

    def __call__(self) -> Content:
        return self._content

    @property
    def root(self) -> Path:
        return self._content.root

    async def reload(self) -> ReloadResult:
        """Load the folder again; one reload at a time, the loading itself in a worker thread."""
        async with self._lock:
            before = self._content
            loaded, problems = await asyncio.to_thread(load, before.root, self.ui_dir,
                                                       before.retention_days)
            for problem in problems:
                log.warning("content: %s", problem)
            if loaded is None:
                log.warning("content reload rejected: %d error(s); version %s stays live",
                            sum(p.severity is Severity.ERROR for p in problems), before.version)
                return ReloadResult(Outcome.REJECTED, before, before.version, tuple(problems))
            if loaded.version == before.version:
                return ReloadResult(Outcome.UNCHANGED, before, before.version, tuple(problems))
            self._content = loaded
            log.info("content reloaded version=%s previous=%s", loaded.version, before.version)
            for listener in self.on_applied:
                listener(loaded)
            return ReloadResult(Outcome.APPLIED, loaded, before.version, tuple(problems))
