"""The translator the settings describe: each routed language's provider, built once per provider
(TRANSLATION_LLM_*, TRANSLATION_LIBRETRANSLATE_*, TRANSLATION_DEEPL_*), with the timeout, retries
and rate limit of the TRANSLATION_* settings. No routes: a translator that passes everything
through."""
from __future__ import annotations

from collections.abc import Callable

from bot.config import Settings
from bot.shared.buckets import Buckets
from bot.translation.base import Provider
from bot.translation.protect import Glossary
from bot.translation.translator import Translator


def provider(name: str, settings: Settings) -> Provider:
    """The provider `name` as the settings configure it (the settings checked that they do)."""
    if name == "llm":
        from bot.translation.providers.llm import ChatCompletions

        assert settings.TRANSLATION_LLM_URL is not None and settings.TRANSLATION_LLM_MODEL
        return ChatCompletions(str(settings.TRANSLATION_LLM_URL), settings.TRANSLATION_LLM_MODEL,
                               api_key=settings.TRANSLATION_LLM_API_KEY)
    if name == "libretranslate":
        from bot.translation.providers.libretranslate import LibreTranslate

        assert settings.TRANSLATION_LIBRETRANSLATE_URL is not None
        return LibreTranslate(str(settings.TRANSLATION_LIBRETRANSLATE_URL),
                              api_key=settings.TRANSLATION_LIBRETRANSLATE_API_KEY)
    if name == "deepl":
        from bot.translation.providers.deepl_api import DeepL

        assert settings.TRANSLATION_DEEPL_API_KEY
        url = settings.TRANSLATION_DEEPL_URL
        return DeepL(settings.TRANSLATION_DEEPL_API_KEY,
                     server_url=str(url).rstrip("/") if url else None)
    raise ValueError(f"unknown translation provider {name!r}")


def translator_from_settings(settings: Settings, *, glossary: Callable[[], Glossary] = dict,
                             buckets: Buckets | None = None, retries: int | None = None,
                             timeout: float | None = None,
                             per_minute: float | None = None) -> Translator:
    """The settings' translator; `retries`, `timeout` and `per_minute` override theirs (the
    doctor asks once each, all languages at once)."""
    built = {name: provider(name, settings) for name in set(settings.TRANSLATION_ROUTES.values())}
    routes = {lang: built[name] for lang, name in settings.TRANSLATION_ROUTES.items()}
    return Translator(routes, office_language=settings.DEFAULT_LOCALE, glossary=glossary,
                      timeout=settings.TRANSLATION_TIMEOUT if timeout is None else timeout,
                      retries=settings.TRANSLATION_RETRIES if retries is None else retries,
                      per_minute=settings.TRANSLATION_PER_MINUTE if per_minute is None
                      else per_minute, buckets=buckets)
