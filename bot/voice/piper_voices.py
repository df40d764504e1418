"""Piper voices (neural, offline, ONNX) from the directory the admin installs them in
(VOICES_DIR): each `<name>.onnx` beside its `<name>.onnx.json`, whose `language.family` (or the
name's prefix, `ar_JO-kareem-medium` → ar) says the language. Nothing is downloaded; a voice is
loaded on first use (about a second and 60 MB each)."""
from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

import numpy as np

from bot.voice.audio import Pcm

log = logging.getLogger(__name__)


def installed(directory: Path) -> dict[str, Path]:
    """The voices in `directory` by language (the first by name where several read one)."""
    found: dict[str, Path] = {}
    for model in sorted(directory.glob("*.onnx")):
        config = model.with_name(model.name + ".json")
        if not config.is_file():
            log.warning("piper voice %s has no %s: left out", model.name, config.name)
            continue
        language = json.loads(config.read_text("utf-8")).get("language", {}).get("family")
        found.setdefault(str(language or model.name.split("_")[0]).lower(), model)
    return found


class PiperVoices:
    def __init__(self, directory: Path) -> None:
        self.models = installed(directory)
        self._loaded: dict[str, object] = {}
        self._lock = threading.Lock()

    def speaks(self, language: str) -> bool:
        return language in self.models

    def speak(self, text: str, language: str) -> Pcm:
        from piper import PiperVoice  # the voice extra; imported when a voice is first used

        with self._lock:
            voice = self._loaded.get(language)
            if voice is None:
                model = self.models[language]
                voice = self._loaded[language] = PiperVoice.load(
                    str(model), config_path=str(model.with_name(model.name + ".json")))
            assert isinstance(voice, PiperVoice)
            chunks = [chunk.audio_int16_array for chunk in voice.synthesize(text)]
            rate = voice.config.sample_rate
        return Pcm(np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16), rate)
