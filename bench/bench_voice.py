"""Voice: seconds of CPU-bound work per second of audio, on this machine. Synthesis of shipped
answers by piper's English voice (en_US-joe-medium, from the test extra) and by espeak-ng
(Kurmanji, Tigrinya), each with its OGG/Opus encoding, and Whisper tiny.en (int8, one thread)
transcribing the English voice notes back; the floor is the encoding alone. Below 1.0 is faster
than the audio plays. A voice's or model's first load is timed apart.

Run: python -m bench.bench_voice (about a minute). Figures, not tests (BENCHMARKS.md)."""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from bot.config import REPO_ROOT, UI_DIR
from bot.core.content.loader import load_or_raise
from bot.core.speech import plain
from bot.core.texts import entry_answer
from bot.voice import audio
from bot.voice.espeak import Espeak
from bot.voice.piper_voices import PiperVoices
from bot.voice.transcription import WhisperTranscriber
from tests.voice.conftest import piper_dir, whisper_dir

ENTRIES = ("integration-course", "integration-course-costs", "work-permit")


@dataclass
class Figure:
    what: str
    audio_seconds: float
    work_seconds: float

    @property
    def per_audio_second(self) -> float:
        return self.work_seconds / self.audio_seconds


def main() -> None:
    content = load_or_raise(REPO_ROOT, UI_DIR)
    texts = {lang: [plain(entry_answer(content, content.entries[e], content.ui.get(lang), lang))
                    for e in ENTRIES] for lang in ("en", "ku", "ti")}
    started = time.perf_counter()
    piper = PiperVoices(piper_dir())
    piper.speak("Hello.", "en")
    piper_load = time.perf_counter() - started
    espeak = Espeak()
    figures: list[Figure] = []
    notes: list[bytes] = []
    encoding = Figure("OGG/Opus encoding alone (the floor)", 0, 0)
    for name, voice, lang in (("piper", piper, "en"), ("espeak-ng", espeak, "ku"),
                              ("espeak-ng", espeak, "ti")):
        figure = Figure(f"synthesis {name} {lang}, with encoding", 0, 0)
        for text in texts[lang]:
            begin = time.perf_counter()
            pcm = voice.speak(text, lang)
            encoded_at = time.perf_counter()
            ogg = audio.ogg_opus([pcm])
            done = time.perf_counter()
            figure.audio_seconds += pcm.seconds
            figure.work_seconds += done - begin
            encoding.audio_seconds += pcm.seconds
            encoding.work_seconds += done - encoded_at
            if lang == "en":
                notes.append(ogg)
        figures.append(figure)
    figures.append(encoding)
    whisper = WhisperTranscriber(whisper_dir(), timeout=600)
    begin = time.perf_counter()
    asyncio.run(whisper.transcribe(audio.ogg_opus([piper.speak("Hello.", "en")]), "en"))
    whisper_load = time.perf_counter() - begin
    heard = Figure("transcription Whisper tiny.en int8, 1 thread", 0, 0)
    for ogg in notes:
        begin = time.perf_counter()
        asyncio.run(whisper.transcribe(ogg, "en"))
        heard.work_seconds += time.perf_counter() - begin
        heard.audio_seconds += audio.seconds(ogg)
    figures.append(heard)
    print("| figure | target | audio s | work s | s per s of audio |")
    print("| --- | --- | --- | --- | --- |")
    for f in figures:
        target = "< 1" if f is not encoding else ""
        print(f"| {f.what} | {target} | {f.audio_seconds:.1f} | {f.work_seconds:.2f} | "
              f"{f.per_audio_second:.3f} |")
    print(f"| first load: piper voice / Whisper model, s |  | | | {piper_load:.1f} / "
          f"{whisper_load:.1f} |")


if __name__ == "__main__":
    main()
