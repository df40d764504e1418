"""DeepL through its official client (`deepl`, pinned in pyproject.toml): `POST /v2/translate` with
tag_handling=xml, so that it keeps the placeholders. The client is synchronous (requests): each call
runs in a thread, and its request timeout (a module global of the client, like its retries) is set to
the try's time before each call. Its own retries are off (the translator retries) and its logger is
quiet below warnings, because at debug level it would log the text. DeepL has no Tigrinya (the settings refuse
a route of ti to it); Persian, Pashto and Kurmanji only with its quality_optimized model."""
from __future__ import annotations

import asyncio
import logging

import deepl
from deepl import http_client

from bot.translation.base import ProviderError, Untranslated

QUALITY_ONLY = frozenset({"fa", "ps", "ku"})
"""Languages DeepL translates only with its quality_optimized model."""
CODES = {"en": "EN-GB", "ku": "KMR"}
"""Lotse's language codes that DeepL writes otherwise (as a target; as a source without region)."""

http_client.max_network_retries = 0
logging.getLogger("deepl").setLevel(logging.WARNING)


def deepl_code(lang: str, *, target: bool) -> str:
    code = CODES.get(lang, lang.upper())
    return code if target else code.split("-")[0]


class DeepL:
    name = "deepl"

    def __init__(self, api_key: str, *, server_url: str | None = None) -> None:
        self._client = deepl.Translator(api_key, server_url=server_url, send_platform_info=False)

    async def translate(self, text: str, source: str, target: str, *, timeout: float) -> str:
        http_client.min_connection_timeout = timeout
        quality = "quality_optimized" if {source, target} & QUALITY_ONLY else None
        try:
            async with asyncio.timeout(timeout):
                result = await asyncio.to_thread(
                    self._client.translate_text, text, source_lang=deepl_code(source, target=False),
                    target_lang=deepl_code(target, target=True), tag_handling="xml",
                    model_type=quality)
        except TimeoutError:
            raise ProviderError(Untranslated.TIMEOUT) from None
        except deepl.TooManyRequestsException:
            raise ProviderError(Untranslated.RATE_LIMITED) from None
        except deepl.ConnectionException as exc:
            timed_out = "timed out" in str(exc)
            raise ProviderError(Untranslated.TIMEOUT if timed_out else Untranslated.NETWORK) \
                from None
        except deepl.DeepLException as exc:
            status = exc.http_status_code or 0
            raise ProviderError(Untranslated.SERVER_ERROR if status >= 500 else
                                Untranslated.REJECTED) from None
        except (IndexError, KeyError, TypeError, ValueError):  # the client on a garbled answer
            raise ProviderError(Untranslated.MALFORMED) from None
        answer = result.text if isinstance(result, deepl.TextResult) else None
        if not answer or not answer.strip():
            raise ProviderError(Untranslated.MALFORMED)
        return answer.strip()

    async def close(self) -> None:
        self._client.close()
