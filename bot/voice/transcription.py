"""Voice notes understood: the audio (in memory, never written) to text in the person's
language, by faster-whisper with a model directory the admin installs (WHISPER_MODEL_DIR) or by
an OpenAI-compatible `/v1/audio/transcriptions` server the county runs (TRANSCRIPTION_URL).
Whisper covers ar, fa, ps, uk, ru, tr, de and en of Lotse's languages, not ku or ti; an
English-only model (`tiny.en`) covers en. Never raises for a slow or failing transcriber: None,
and the person is asked to write."""
from __future__ import annotations

import asyncio
import io
import logging
import threading
from pathlib import Path
from typing import Any, Protocol

import aiohttp

from bot.shared.http_session import LazySession

log = logging.getLogger(__name__)

WHISPER_LANGUAGES = frozenset({"ar", "fa", "ps", "uk", "ru", "tr", "de", "en"})
"""Lotse's languages Whisper was trained on (Kurmanji and Tigrinya are not among its 99)."""
MULTILINGUAL_VOCABULARY = 51_865
"""Whisper's multilingual models have this many tokens, the English-only ones one fewer (the
rule ctranslate2 and openai-whisper use)."""


class Transcriber(Protocol):
    name: str
    languages: frozenset[str]

    async def transcribe(self, ogg: bytes, language: str) -> str | None: ...

    async def close(self) -> None: ...


def model_languages(model_dir: Path) -> frozenset[str]:
    """The languages a CTranslate2 Whisper model in `model_dir` covers, from its vocabulary."""
    with (model_dir / "vocabulary.txt").open(encoding="utf-8") as words:
        size = sum(1 for _ in words)
    return WHISPER_LANGUAGES if size >= MULTILINGUAL_VOCABULARY else frozenset({"en"})


class WhisperTranscriber:
    """faster-whisper on the CPU (int8), the model loaded on first use, one voice note at a time
    (a second waits: the CPU is the bot's too)."""

    name = "whisper"

    def __init__(self, model_dir: Path, timeout: float) -> None:
        self.model_dir = model_dir
        self.timeout = timeout
        self.languages = model_languages(model_dir)
        self._model: Any = None
        self._lock = threading.Lock()

    def _run(self, ogg: bytes, language: str) -> str:
        from faster_whisper import WhisperModel  # the voice extra

        with self._lock:
            if self._model is None:
                self._model = WhisperModel(str(self.model_dir), device="cpu",
                                           compute_type="int8", cpu_threads=1)
            segments, _info = self._model.transcribe(
                io.BytesIO(ogg), language=language if len(self.languages) > 1 else "en",
                beam_size=1, condition_on_previous_text=False)
            return "".join(segment.text for segment in segments).strip()

    async def transcribe(self, ogg: bytes, language: str) -> str | None:
        try:
            return await asyncio.wait_for(asyncio.to_thread(self._run, ogg, language),
                                          self.timeout)
        except TimeoutError:
            log.warning("transcription took over %.0f s: the person is asked to write",
                        self.timeout)
        except Exception as exc:  # noqa: BLE001 - a broken model must not lose the message
            log.warning("transcription failed: %s", type(exc).__name__)
        return None

    async def close(self) -> None:
        return None


class ServerTranscriber:
    """An OpenAI-compatible transcription server (faster-whisper-server/Speaches, LocalAI,
    vLLM): POST `<url>/audio/transcriptions` as multipart with `file`, `model`, `language`,
    answered by `{"text": …}`, within `timeout` seconds."""

    name = "server"

    def __init__(self, url: str, model: str, languages: frozenset[str], timeout: float,
                 api_key: str | None = None) -> None:
        self.url = url.rstrip("/") + "/audio/transcriptions"
        self.model = model
        self.languages = languages
        self.timeout = timeout
        self.api_key = api_key
        self._session = LazySession()

    async def transcribe(self, ogg: bytes, language: str) -> str | None:
        form = aiohttp.FormData()
        form.add_field("file", ogg, filename="voice.ogg", content_type="audio/ogg")
        form.add_field("model", self.model)
        form.add_field("language", language)
        form.add_field("response_format", "json")
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        try:
            async with self._session.get().post(
                    self.url, data=form, headers=headers,
                    timeout=aiohttp.ClientTimeout(total=self.timeout)) as response:
                if response.status != 200:
                    log.warning("transcription server answered %s", response.status)
                    return None
                body = await response.json(content_type=None)
        except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
            log.warning("transcription server failed: %s", type(exc).__name__)
            return None
        text = body.get("text") if isinstance(body, dict) else None
        return text.strip() if isinstance(text, str) else None

    async def close(self) -> None:
        await self._session.close()
