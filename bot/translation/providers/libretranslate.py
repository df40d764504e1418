"""LibreTranslate's `POST /translate`: `{"q", "source", "target", "format", "api_key"}` →
`{"translatedText"}`. `format: html`, so that its HTML handling keeps the placeholders."""
from __future__ import annotations

from bot.translation.providers.http import JsonClient, text_at


class LibreTranslate:
    name = "libretranslate"

    def __init__(self, base_url: str, *, api_key: str | None = None) -> None:
        self.url = base_url.rstrip("/") + "/translate"
        self.api_key = api_key
        self._client = JsonClient()

    async def translate(self, text: str, source: str, target: str, *, timeout: float) -> str:
        payload = {"q": text, "source": source, "target": target, "format": "html"}
        if self.api_key:
            payload["api_key"] = self.api_key
        return text_at(await self._client.post(self.url, payload, timeout=timeout),
                       "translatedText")

    async def close(self) -> None:
        await self._client.close()
