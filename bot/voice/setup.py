"""Voice from the settings: the `Speaker` (piper voices in VOICES_DIR, then espeak-ng with
VOICE_ESPEAK) and the `Transcriber` (WHISPER_MODEL_DIR, else TRANSCRIPTION_URL), each None when
not configured. Configured but not installed (the `voice` extra missing), or a directory that is
not there, is said once in the log and leaves that half off: the bot serves text as before."""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace

from bot.config import Settings
from bot.core.content.model import Content
from bot.voice.speaker import Speaker, Voice
from bot.voice.transcription import Transcriber

log = logging.getLogger(__name__)


def speaker(settings: Settings) -> Speaker | None:
    voices: list[tuple[str, Voice]] = []
    try:
        if settings.VOICES_DIR is not None:
            from bot.voice.piper_voices import PiperVoices

            if not settings.VOICES_DIR.is_dir():
                log.warning("VOICES_DIR %s is no directory: no piper voices", settings.VOICES_DIR)
            else:
                voices.append(("piper", PiperVoices(settings.VOICES_DIR)))
        if settings.VOICE_ESPEAK:
            from bot.voice.espeak import Espeak

            voices.append(("espeak", Espeak()))
    except ImportError as exc:
        log.warning("reading aloud is off: %s (pip install 'lotse[voice]')", exc)
        return None
    return Speaker(voices) if voices else None


def transcriber(settings: Settings) -> Transcriber | None:
    from bot.voice.transcription import ServerTranscriber, WhisperTranscriber

    if settings.WHISPER_MODEL_DIR is not None:
        if not (settings.WHISPER_MODEL_DIR / "model.bin").is_file():
            log.warning("WHISPER_MODEL_DIR %s holds no model.bin: voice notes are not "
                        "transcribed", settings.WHISPER_MODEL_DIR)
            return None
        return WhisperTranscriber(settings.WHISPER_MODEL_DIR, settings.TRANSCRIPTION_TIMEOUT)
    if settings.TRANSCRIPTION_URL is not None:
        return ServerTranscriber(str(settings.TRANSCRIPTION_URL), settings.TRANSCRIPTION_MODEL,
                                 frozenset(settings.TRANSCRIPTION_LANGUAGES.split()),
                                 settings.TRANSCRIPTION_TIMEOUT, settings.TRANSCRIPTION_API_KEY)
    return None


def voiced(content: Callable[[], Content], languages: frozenset[str]) -> Callable[[], Content]:
    """The live content with `Content.voices` set to `languages`, made once per version."""
    made: dict[str, Content] = {}

    def live() -> Content:
        current = content()
        if current.voices == languages:
            return current
        found = made.get(current.version)
        if found is None or found.matcher is not current.matcher:
            made.clear()
            found = made[current.version] = replace(current, voices=languages)
        return found

    return live
