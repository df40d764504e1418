"""/metrics shows the voice counters from the start (at 0), so that rate() and alerts see them
before the first voice note, and counts what Telegram's voice side does."""
from __future__ import annotations

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from bot.ops import metrics


def samples() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = generate_latest(metrics.REGISTRY).decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_voice_notes_and_transcriptions_are_counted_from_zero() -> None:
    shown = samples()
    for how in metrics.VOICE_NOTE_HOWS:
        assert ("lotse_voice_notes_total", (("how", how),)) in shown
    for outcome in metrics.TRANSCRIPTION_OUTCOMES:
        assert ("lotse_transcriptions_total", (("outcome", outcome),)) in shown
    for what in ("speaker", "transcriber"):
        assert ("lotse_voice_languages", (("what", what),)) in shown
    before = shown[("lotse_voice_notes_total", (("how", "reused"),))]
    metrics.VOICE_NOTES.labels("reused").inc()
    assert samples()[("lotse_voice_notes_total", (("how", "reused"),))] == before + 1
