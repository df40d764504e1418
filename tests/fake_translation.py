"""A local fake of the three translation servers Lotse speaks to (bot/translation/providers/), each
in its real request and response format, on one port:

- OpenAI-compatible chat completions, `POST /v1/chat/completions`: `{"model", "messages": [system,
  user], "temperature"}` → `{"id", "object": "chat.completion", "model", "choices": [{"index": 0,
  "message": {"role": "assistant", "content"}, "finish_reason": "stop"}], "usage"}`; errors
  `{"error": {"message", "type", "param", "code"}}`;
- LibreTranslate, `POST /translate`: `{"q", "source", "target", "format", "api_key"}` →
  `{"translatedText"}`; errors `{"error": "…"}`;
- DeepL v2, `POST /v2/translate` as the `deepl` client sends it (JSON body, `Authorization:
  DeepL-Auth-Key …`): `{"text": [..], "source_lang", "target_lang", "tag_handling", …}` →
  `{"translations": [{"detected_source_language", "text", "billed_characters"}]}`; errors
  `{"message": "…"}`.

What it "translates" to: `translate(text, source, target)`, by default every word outside the
tags upper-cased and the target in brackets before (`[AR] HALLO <x i="1"/>`); a test sets its own
(`fake.translate = …`), e.g. one that shuffles the words. Controls: `fail_next(n, status)` (an
error answer), `stall_next(n)` (no answer until the fake closes: the client times out),
`garble_next(n)` (not JSON), and what came: `requests` (path, JSON body) in order."""
from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from typing import Any, Self

from aiohttp import web

TOKENS = re.compile(r"<[^<>]*>|[^\s<>]+")
"""Words, with each tag (a placeholder) as one word."""


def shout(text: str, source: str, target: str) -> str:
    words = [w if w.startswith(("<", "&")) else w.upper()
             for w in TOKENS.findall(text)]
    return f"[{target.upper()}] " + " ".join(words)


class FakeTranslation:
    def __init__(self, *, llm_model: str = "fake-llm", llm_key: str | None = None,
                 libre_key: str | None = None, deepl_key: str = "fake-deepl-key") -> None:
        self.llm_model = llm_model
        self.llm_key = llm_key
        self.libre_key = libre_key
        self.deepl_key = deepl_key
        self.translate: Callable[[str, str, str], str] = shout
        self.requests: list[tuple[str, Any]] = []
        self._faults: list[tuple[str, int]] = []
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None

    def fail_next(self, n: int = 1, status: int = 500) -> None:
        self._faults += [("status", status)] * n

    def stall_next(self, n: int = 1) -> None:
        self._faults += [("stall", 0)] * n

    def garble_next(self, n: int = 1) -> None:
        self._faults += [("garble", 0)] * n

    @property
    def base(self) -> str:
        assert self._runner is not None, "not started"
        return f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def __aenter__(self) -> Self:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_post("/translate", self._libre)
        app.router.add_post("/v2/translate", self._deepl)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _fault(self, error: Callable[[int], web.Response]) -> web.Response | None:
        fault, status = self._faults.pop(0) if self._faults else ("", 0)
        if fault == "stall":
            await self._closing.wait()
            return error(503)
        if fault == "status":
            return error(status)
        if fault == "garble":
            return web.Response(text='{"translat', content_type="application/json")
        return None

    async def _body(self, request: web.Request) -> Any:
        body = json.loads(await request.read())
        self.requests.append((request.path, body))
        return body

    async def _chat(self, request: web.Request) -> web.Response:
        body = await self._body(request)

        def error(status: int, message: str = "The server had an error while processing your "
                  "request.") -> web.Response:
            kind = "server_error" if status >= 500 else "invalid_request_error"
            return web.json_response({"error": {"message": message, "type": kind,
                                                "param": None, "code": None}}, status=status)

        if self.llm_key and request.headers.get("Authorization") != f"Bearer {self.llm_key}":
            return error(401, "Incorrect API key provided.")
        if body.get("model") != self.llm_model:
            return error(404, f"The model `{body.get('model')}` does not exist.")
        messages = body.get("messages")
        if not isinstance(messages, list) or [m.get("role") for m in messages] != \
                ["system", "user"]:
            return error(400, "expected a system and a user message")
        faulty = await self._fault(error)
        if faulty is not None:
            return faulty
        prompt = messages[0]["content"]
        source, target = re.search(r"from (.+?) to (.+?)\. ", prompt).groups()  # type: ignore
        content = self.translate(messages[1]["content"], source, target)
        return web.json_response({
            "id": "chatcmpl-fake", "object": "chat.completion", "created": 0,
            "model": self.llm_model, "choices": [{
                "index": 0, "message": {"role": "assistant", "content": content},
                "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})

    async def _libre(self, request: web.Request) -> web.Response:
        body = await self._body(request)

        def error(status: int, message: str = "Internal server error") -> web.Response:
            return web.json_response({"error": message}, status=status)

        if self.libre_key and body.get("api_key") != self.libre_key:
            return error(403, "Invalid API key")
        if not all(isinstance(body.get(k), str) and body[k] for k in ("q", "source", "target")):
            return error(400, "Invalid request: missing q, source or target parameter")
        if body.get("format", "text") not in ("text", "html"):
            return error(400, "format must be text or html")
        faulty = await self._fault(error)
        if faulty is not None:
            return faulty
        return web.json_response(
            {"translatedText": self.translate(body["q"], body["source"], body["target"])})

    async def _deepl(self, request: web.Request) -> web.Response:
        def error(status: int, message: str = "Internal server error") -> web.Response:
            return web.json_response({"message": message}, status=status)

        if request.headers.get("Authorization") != f"DeepL-Auth-Key {self.deepl_key}":
            return error(403, "Wrong endpoint. Use https://api.deepl.com")
        body = await self._body(request)
        texts, target = body.get("text"), body.get("target_lang")
        if not isinstance(texts, list) or not texts or not isinstance(target, str):
            return error(400, "Value for 'text' not supported.")
        if target in ("EN", "PT") or target == "TI":
            return error(400, "Value for 'target_lang' not supported.")
        faulty = await self._fault(error)
        if faulty is not None:
            return faulty
        source = body.get("source_lang") or "DE"
        return web.json_response({"translations": [
            {"detected_source_language": source, "text": self.translate(t, source, target),
             "billed_characters": len(t)} for t in texts]})
