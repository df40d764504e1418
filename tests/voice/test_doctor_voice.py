"""`lotse doctor` on voice: which languages a voice reads and a transcriber hears; off is fine,
configured but broken is a failure with its fix."""
from __future__ import annotations

from pathlib import Path

from bot.config import load_settings
from bot.ops.doctor import voice
from tests.voice.conftest import piper_dir, whisper_dir

LANGUAGES = ("de", "en", "ar", "fa", "ps", "uk", "ru", "tr", "ku", "ti")


def lines(**settings: object) -> list[str]:
    return [str(f) for f in voice(load_settings(_env_file=None, **settings), LANGUAGES)]


def test_doctor_names_each_languages_voice_and_the_transcribed_ones() -> None:
    read, heard = lines(VOICES_DIR=str(piper_dir()), VOICE_ESPEAK="true",
                        WHISPER_MODEL_DIR=str(whisper_dir()))
    assert read.startswith("✓ reading aloud: de (espeak), en (piper), ar (espeak)")
    assert "ti (espeak)" in read and read.endswith("no voice for ps (they are told so)")
    assert heard.startswith("✓ voice notes transcribed by whisper: en; not in de ar")


def test_doctor_off_is_fine_and_a_missing_model_fails(tmp_path: Path) -> None:
    assert lines() == ["✓ reading aloud: off (VOICES_DIR, VOICE_ESPEAK)",
                       "✓ voice notes: not transcribed (WHISPER_MODEL_DIR, TRANSCRIPTION_URL)"]
    _, heard = lines(WHISPER_MODEL_DIR=str(tmp_path))
    assert heard.startswith("✗ transcription is configured but")
