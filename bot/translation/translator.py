"""`Translator`: one text from one language to another through the provider its language is
routed to, never raising and never taking longer than `timeout` seconds.

In order: the same language, an unrouted language, or a text with nothing to translate (only
numbers, URLs, emoji) come back at once, not translated. Otherwise the kept pieces are swapped for
placeholders (`protect.py`), the cache is asked, then the provider — after a token from its rate
limit (`bot.shared.buckets`) —, tried again after a timeout, a 5xx, a 429 or a network error with
doubling backoff while time is left; each try may take its share of the time left (all of it
when no retry is left). A translation that lost a placeholder or broke the HTML is
refused. Any failure: the original, with the reason. Logs carry the provider, the language pair,
the length and the reason, never the text."""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping

from bot.ops.metrics import TRANSLATION_FAILURES, TRANSLATION_SECONDS, TRANSLATIONS
from bot.shared.buckets import Bucket, Buckets, LocalBuckets
from bot.translation.base import (
    PASSED,
    RETRIED,
    Provider,
    ProviderError,
    Translation,
    Untranslated,
)
from bot.translation.cache import AnswerCache, cache_key
from bot.translation.protect import Glossary, Lost, Protected, protect, restore

log = logging.getLogger(__name__)
NONE = "none"
"""The provider's name on a text no provider was asked for."""


class Translator:
    def __init__(self, routes: Mapping[str, Provider], *, office_language: str = "de",
                 glossary: Callable[[], Glossary] = dict, timeout: float = 10.0,
                 retries: int = 2, backoff: float = 0.5, per_minute: float = 60.0,
                 buckets: Buckets | None = None, cache: AnswerCache | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        """`routes`: the person's language → its provider (one provider may serve several);
        `glossary`: the live content's (faq/glossary.yaml), asked on each call."""
        self.routes = dict(routes)
        self.office_language = office_language
        self.glossary = glossary
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.per_minute = per_minute
        self.buckets = buckets if buckets is not None else LocalBuckets(clock)
        self.cache = cache if cache is not None else AnswerCache()
        self.clock = clock
        self.sleep = sleep
        for provider in self.providers:
            _start_at_zero(provider.name)

    @property
    def providers(self) -> list[Provider]:
        return list({id(p): p for p in self.routes.values()}.values())

    def provider_for(self, source: str, target: str) -> Provider | None:
        """The route of the pair's language that is not the office's (the person's)."""
        return self.routes.get(target if source == self.office_language else source)

    async def translate(self, text: str, source: str, target: str, *,
                        html: bool = False) -> Translation:
        """`text` in `target`; with `html` the text is Telegram HTML (an escaped plain text
        too) and so is its translation (`protect.protect`)."""
        provider = self.provider_for(source, target)
        name = provider.name if provider else NONE
        reason = (Untranslated.SAME_LANGUAGE if source == target else
                  Untranslated.NOT_ROUTED if provider is None else None)
        glossary = self.glossary()
        protected = protect(text, glossary, html=html)
        if reason is None and not protected.words:
            reason = Untranslated.NOTHING_TO_TRANSLATE
        if reason is not None or provider is None:
            TRANSLATIONS.labels(name, "passed").inc()
            return Translation(text, text, source, target, name, reason)
        key = cache_key(protected.wire, source, target, name)
        cached = self.cache.get(key)
        if cached is not None:
            TRANSLATIONS.labels(name, "cached").inc()
            return Translation(restore(cached, protected, target, glossary), text, source,
                               target, name)
        started = self.clock()
        try:
            answer = await self._ask(provider, protected.wire, source, target)
            translated = self._restored(answer, protected, target, glossary)
        except ProviderError as exc:
            TRANSLATION_SECONDS.labels(name).observe(self.clock() - started)
            return self._failed(text, source, target, name, exc.reason)
        TRANSLATION_SECONDS.labels(name).observe(self.clock() - started)
        self.cache.put(key, answer)
        TRANSLATIONS.labels(name, "translated").inc()
        return Translation(translated, text, source, target, name)

    async def _ask(self, provider: Provider, wire: str, source: str, target: str) -> str:
        deadline = self.clock() + self.timeout
        bucket = Bucket(f"translation:{provider.name}", self.per_minute / 60,
                        max(1, round(self.per_minute / 6)))
        attempt = 0
        while True:
            await self._token(bucket, deadline)
            # each try gets its share of the time left, so that a stalled one leaves room
            share = (deadline - self.clock()) / (self.retries - attempt + 1)
            try:
                return await _unsurprising(provider.translate(wire, source, target,
                                                              timeout=max(0.001, share)))
            except ProviderError as exc:
                pause = self.backoff * 2 ** attempt
                if exc.reason not in RETRIED or attempt >= self.retries or \
                        self.clock() + pause >= deadline:
                    raise
                log.info("translation by %s %s→%s failed (%s), trying again", provider.name,
                         source, target, exc.reason.value)
            attempt += 1
            await self.sleep(pause)

    async def _token(self, bucket: Bucket, deadline: float) -> None:
        while (taken := await self.buckets.take(bucket)).wait > 0:
            if self.clock() + taken.wait >= deadline:
                raise ProviderError(Untranslated.RATE_LIMITED)
            await self.sleep(taken.wait)

    @staticmethod
    def _restored(answer: str, protected: Protected, target: str, glossary: Glossary) -> str:
        try:
            return restore(answer, protected, target, glossary)
        except Lost as exc:
            raise ProviderError(Untranslated(str(exc))) from None

    @staticmethod
    def _failed(text: str, source: str, target: str, name: str,
                reason: Untranslated) -> Translation:
        log.warning("translation by %s %s→%s of %d characters failed (%s): the original goes "
                    "through", name, source, target, len(text), reason.value)
        TRANSLATIONS.labels(name, "failed").inc()
        TRANSLATION_FAILURES.labels(name, reason.value).inc()
        return Translation(text, text, source, target, name, reason)

    async def close(self) -> None:
        for provider in self.providers:
            await provider.close()


def _start_at_zero(name: str) -> None:
    """The provider's translations, failures by reason and waiting time in /metrics at 0 from
    the start, so that rate() and alerts see them before the first one happens."""
    for outcome in ("translated", "cached", "passed", "failed"):
        TRANSLATIONS.labels(name, outcome)
    for reason in Untranslated:
        if reason not in PASSED:
            TRANSLATION_FAILURES.labels(name, reason.value)
    TRANSLATION_SECONDS.labels(name)


async def _unsurprising(call: Awaitable[str]) -> str:
    """A provider's answer; whatever else it raises becomes UNEXPECTED (logged by its type only:
    its message might quote the text), so that no bug in a provider loses a message."""
    try:
        return await call
    except ProviderError:
        raise
    except Exception as exc:  # noqa: BLE001 — the caller must get the original, whatever broke
        log.error("translation provider raised %s", type(exc).__name__)
        raise ProviderError(Untranslated.UNEXPECTED) from None
