"""What the translator answers (`Translation`), why a text stays untranslated (`Untranslated`),
and what a provider is (`Provider`) and how it fails (`ProviderError`)."""
from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol


class Untranslated(enum.StrEnum):
    """Why the original came back; the values are the `reason` label of the metrics."""

    NOT_ROUTED = "not_routed"
    """No provider translates this language (the default: TRANSLATION_ROUTES empty)."""
    SAME_LANGUAGE = "same_language"
    NOTHING_TO_TRANSLATE = "nothing_to_translate"
    """Only numbers, URLs, emoji and the like: nothing a provider could change."""
    TIMEOUT = "timeout"
    SERVER_ERROR = "server_error"
    """The provider answered 5xx."""
    RATE_LIMITED = "rate_limited"
    """The provider answered 429, or our own limit for it had no room within the time."""
    REJECTED = "rejected"
    """The provider refused the request (another 4xx: key, quota, language)."""
    NETWORK = "network"
    MALFORMED = "malformed"
    """An answer that is not the provider's format."""
    PLACEHOLDERS = "placeholders"
    """The translation lost or duplicated something that must survive (a URL, a phone number …)."""
    MARKUP = "markup"
    """The translation's Telegram HTML is no longer valid (tags moved across each other)."""
    UNEXPECTED = "unexpected"
    """The provider's code raised something else (a bug, a client library's surprise)."""


PASSED = frozenset({Untranslated.NOT_ROUTED, Untranslated.SAME_LANGUAGE,
                    Untranslated.NOTHING_TO_TRANSLATE})
"""The texts no provider was asked for: not failures, nothing to mark."""
RETRIED = frozenset({Untranslated.TIMEOUT, Untranslated.SERVER_ERROR, Untranslated.RATE_LIMITED,
                     Untranslated.NETWORK})
"""The failures that are tried again (with backoff, within the time a message may wait)."""


@dataclass(frozen=True)
class Translation:
    """A text in `target`, or the original marked `translated=False` with the `reason`."""

    text: str
    original: str
    source: str
    target: str
    provider: str
    """The provider's name ("none" when no provider was asked)."""
    reason: Untranslated | None = None

    @property
    def translated(self) -> bool:
        return self.reason is None

    @property
    def failed(self) -> bool:
        """A provider was asked and the original came back (to be marked "not translated")."""
        return self.reason is not None and self.reason not in PASSED


class ProviderError(Exception):
    """A provider call failed; `reason` says how (never with the text or the server's answer)."""

    def __init__(self, reason: Untranslated) -> None:
        super().__init__(reason.value)
        self.reason = reason


class Provider(Protocol):
    """One translation server. `translate` gets the protected text (`bot.translation.protect`:
    XML with `<x i="N"/>` placeholders that it must keep) and answers its translation, or raises
    `ProviderError` within `timeout` seconds."""

    name: str

    async def translate(self, text: str, source: str, target: str, *, timeout: float) -> str: ...

    async def close(self) -> None: ...
