"""Reading a `Speech` aloud: each part by the first voice that speaks its language (piper voices
before espeak-ng), the German office terms by a German voice where there is one, as one OGG/Opus
voice note. Synchronous and CPU-bound: callers run it in a worker thread."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from bot.core.events import Speech

if TYPE_CHECKING:  # PyAV and numpy are the voice extra's: imported when a voice reads
    from bot.voice.audio import Pcm


class Voice(Protocol):
    def speaks(self, language: str) -> bool: ...

    def speak(self, text: str, language: str) -> Pcm: ...


@dataclass(frozen=True)
class VoiceNote:
    ogg: bytes
    seconds: float
    voice: str
    """Which voice read it (`piper`, `espeak`): for /metrics."""


class Speaker:
    def __init__(self, voices: Sequence[tuple[str, Voice]]) -> None:
        self.voices = voices
        """(name, voice), the preferred first."""

    def voice_for(self, language: str) -> tuple[str, Voice] | None:
        return next(((name, voice) for name, voice in self.voices if voice.speaks(language)),
                    None)

    def languages(self, candidates: Iterable[str]) -> frozenset[str]:
        """Which of `candidates` a voice reads."""
        return frozenset(code for code in candidates if self.voice_for(code) is not None)

    def read(self, speech: Speech) -> VoiceNote | None:
        """`speech` as a voice note; None when no voice reads its language."""
        from bot.voice import audio

        main = self.voice_for(speech.language)
        if main is None:
            return None
        pcms: list[Pcm] = []
        for text, language in _joined(speech.parts):
            if not text.strip():
                continue
            found = self.voice_for(language)
            if found is None:  # no German voice: the person's reads the term too
                found, language = main, speech.language
            pcms.append(found[1].speak(text, language))
        ogg = audio.ogg_opus(pcms)
        return VoiceNote(ogg, audio.seconds(ogg), main[0])


def _joined(parts: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """Neighbouring parts of one language as one (a voice reads a sentence better whole)."""
    joined: list[tuple[str, str]] = []
    for text, language in parts:
        if joined and joined[-1][1] == language:
            joined[-1] = (joined[-1][0] + text, language)
        else:
            joined.append((text, language))
    return joined
