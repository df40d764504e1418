"""A local fake of an OpenAI-compatible embeddings server (`POST /v1/embeddings`), for the tests and
the benchmark of the semantic layer (bot/semantic/layer.py).

It speaks the real protocol: a request `{"model", "input": str | [str, …], "encoding_format":
"float"}` (optional) gets `{"object": "list", "data": [{"object": "embedding", "index": i,
"embedding": […]}], "model", "usage": {"prompt_tokens", "total_tokens"}}`; a wrong request gets
`{"error": {"message", "type", "param", "code"}}` with a 4xx status, a failure a 5xx.

Vectors are deterministic: `dims` dimensions (256), character trigrams of the lower-cased text
hashed into all but the last `CONCEPT_DIMS`, which `synonyms(...)` hands out: words declared
synonyms share one such dimension with a heavy weight, so two wordings without a trigram in
common can still mean the same. Then L2-normalised.

Controls: `delay` (seconds before each answer), `fail_next(n, status)`, `garble_next(n, how)`
(malformed JSON or one embedding too few), and the counts `requests`, `inputs`, `completed`,
`batches` (inputs per request answered) and `texts` (every input received, in order).

In the test process: `async with FakeEmbeddings() as fake: … fake.url …`. As its own process
(the benchmark): `running_fake_embeddings()`, or `python -m tests.fake_embeddings --port 8089`.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import math
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Self

from aiohttp import web

from tests.servers import START_TIMEOUT_SECONDS, free_port, stop

CONCEPT_DIMS = 32
SYNONYM_WEIGHT = 3.0
"""A shared meaning weighs this many times the text's whole trigram part."""
_WORDS = re.compile(r"\w+")


class FakeEmbeddings:
    def __init__(self, *, dims: int = 256, model: str = "fake-embed",
                 api_key: str | None = None, port: int = 0) -> None:
        assert dims > CONCEPT_DIMS
        self.dims = dims
        self.model = model
        self.api_key = api_key
        self.delay = 0.0
        self.requests = 0
        self.inputs = 0
        self.completed = 0
        self.batches: list[int] = []
        """The number of inputs of each request that was answered with embeddings."""
        """Answers fully sent (a delayed one counts only once it went out)."""
        self.texts: list[str] = []
        self._port = port
        self._concepts: dict[str, int] = {}
        self._faults: list[tuple[str, int]] = []  # ("status", 500), ("malformed", 0), …
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None

    # ---- controls ------------------------------------------------------------------------

    def synonyms(self, *words: str) -> None:
        """These words (single words, any case) mean the same from now on."""
        dimension = self.dims - CONCEPT_DIMS + len(set(self._concepts.values())) % CONCEPT_DIMS
        for word in words:
            self._concepts[word.lower()] = dimension

    def fail_next(self, n: int = 1, status: int = 500) -> None:
        self._faults += [("status", status)] * n

    def garble_next(self, n: int = 1, how: str = "malformed") -> None:
        """The next n answers: `malformed` (not JSON) or `wrong_count` (one embedding short)."""
        assert how in ("malformed", "wrong_count")
        self._faults += [(how, 200)] * n

    def vector(self, text: str) -> list[float]:
        lowered = text.lower()
        vector = [0.0] * self.dims
        padded = f" {lowered} "
        for i in range(len(padded) - 2):
            digest = hashlib.blake2b(padded[i:i + 3].encode(), digest_size=8).digest()
            vector[int.from_bytes(digest, "big") % (self.dims - CONCEPT_DIMS)] += 1.0
        weight = SYNONYM_WEIGHT * math.sqrt(sum(x * x for x in vector))
        for word in _WORDS.findall(lowered):
            if word in self._concepts:
                vector[self._concepts[word]] += weight
        norm = math.sqrt(sum(x * x for x in vector)) or 1.0
        return [x / norm for x in vector]

    # ---- the server ----------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._runner is not None, "not started"
        return f"http://127.0.0.1:{self._runner.addresses[0][1]}/v1"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/v1/embeddings", self._embeddings)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self._port).start()

    async def close(self) -> None:
        self._closing.set()  # delayed answers end now
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _embeddings(self, request: web.Request) -> web.StreamResponse:
        self.requests += 1
        raw = await request.read()
        if self.delay > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), self.delay)
        response = self._answer(request, raw)
        try:
            await response.prepare(request)
            await response.write_eof()
        except ConnectionResetError:  # the client gave up waiting
            return response
        self.completed += 1
        return response

    def _answer(self, request: web.Request, raw: bytes) -> web.Response:
        if self.api_key is not None and \
                request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return _error(401, "Incorrect API key provided.", "invalid_request_error",
                          "invalid_api_key")
        try:
            body = json.loads(raw)
        except ValueError:
            return _error(400, "We could not parse the JSON body of your request.",
                          "invalid_request_error")
        texts = body.get("input") if isinstance(body, dict) else None
        texts = [texts] if isinstance(texts, str) else texts
        if not isinstance(texts, list) or not texts or \
                not all(isinstance(t, str) and t for t in texts):
            return _error(400, "'input' must be a non-empty string or array of non-empty "
                          "strings.", "invalid_request_error", param="input")
        if body.get("model") != self.model:
            return _error(404, f"The model `{body.get('model')}` does not exist.",
                          "invalid_request_error", "model_not_found", "model")
        if body.get("encoding_format", "float") != "float":
            return _error(400, "Only encoding_format 'float' is supported by this fake.",
                          "invalid_request_error", param="encoding_format")
        self.inputs += len(texts)
        self.texts += texts
        fault, status = self._faults.pop(0) if self._faults else ("", 200)
        if fault == "status":
            return _error(status, "The server had an error while processing your request.",
                          "server_error" if status >= 500 else "invalid_request_error")
        if fault == "malformed":
            return web.Response(text='{"object": "list", "data": [',
                                content_type="application/json")
        self.batches.append(len(texts))
        data = [{"object": "embedding", "index": i, "embedding": self.vector(t)}
                for i, t in enumerate(texts)]
        tokens = sum(len(t.split()) for t in texts)
        return web.json_response({
            "object": "list", "data": data[:-1] if fault == "wrong_count" else data,
            "model": self.model, "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})


def _error(status: int, message: str, kind: str, code: str | None = None,
           param: str | None = None) -> web.Response:
    error: dict[str, Any] = {"message": message, "type": kind, "param": param, "code": code}
    return web.json_response({"error": error}, status=status)


@contextlib.contextmanager
def running_fake_embeddings(*, model: str = "fake-embed", dims: int = 256) -> Iterator[str]:
    """The fake as its own process on a free loopback port while the block runs: its base URL
    (with /v1)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fake_embeddings", "--port", str(port), "--model", model,
         "--dims", str(dims)], cwd=Path(__file__).resolve().parent.parent,
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the fake embeddings server did not start") from None
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        stop(process)


async def _serve(args: argparse.Namespace) -> None:
    fake = FakeEmbeddings(dims=args.dims, model=args.model, port=args.port)
    fake.delay = args.delay
    for group in args.synonyms:
        fake.synonyms(*group.split(","))
    async with fake:
        print(f"fake embeddings at {fake.url}", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="A fake OpenAI-compatible embeddings server.")
    parser.add_argument("--port", type=int, default=8089)
    parser.add_argument("--model", default="fake-embed")
    parser.add_argument("--dims", type=int, default=256)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--synonyms", action="append", default=[], metavar="WORD,WORD,…")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(parser.parse_args()))
