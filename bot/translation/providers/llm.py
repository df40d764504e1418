"""An OpenAI-compatible `POST /chat/completions` (Ollama, vLLM, LiteLLM in front of a model such
as TranslateGemma or Gemma 3): a fixed translation prompt, temperature 0, the text as the user's
message; the answer is `choices[0].message.content`."""
from __future__ import annotations

from babel import Locale, UnknownLocaleError

from bot.translation.providers.http import JsonClient, text_at

PROMPT = (
    "You translate messages between a German counselling office for immigrants and the people it "
    "advises. Translate the user's message from {source} to {target}. The message is XML: keep "
    "every tag like <x i=\"1\"/> exactly as written, each once, where its words belong in the "
    "translated sentence; keep &amp; &lt; &gt; as they are. Keep the meaning and the tone, add "
    "nothing. Answer with the translation only: no explanation, no quotes, no notes.")
NAMES = {"ku": "Kurdish (Kurmanji, Latin script)", "ps": "Pashto",
         "ti": "Tigrinya (Ge'ez script)"}
"""Language names where Babel's English name is not precise enough for a model."""


def language_name(code: str) -> str:
    if code in NAMES:
        return NAMES[code]
    try:
        return Locale.parse(code).get_display_name("en") or code
    except (ValueError, UnknownLocaleError):
        return code


class ChatCompletions:
    name = "llm"

    def __init__(self, base_url: str, model: str, *, api_key: str | None = None) -> None:
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self._client = JsonClient({"Authorization": f"Bearer {api_key}"} if api_key else {})

    async def translate(self, text: str, source: str, target: str, *, timeout: float) -> str:
        prompt = PROMPT.format(source=language_name(source), target=language_name(target))
        payload = {"model": self.model, "temperature": 0, "stream": False,
                   "messages": [{"role": "system", "content": prompt},
                                {"role": "user", "content": text}]}
        return text_at(await self._client.post(self.url, payload, timeout=timeout),
                       "choices", 0, "message", "content")

    async def close(self) -> None:
        await self._client.close()
