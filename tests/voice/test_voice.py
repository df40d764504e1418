"""Reading aloud and listening, offline: piper's English voice and espeak-ng's Tigrinya and
Kurmanji as OGG/Opus voice notes, no voice for Pashto, and Whisper tiny.en hearing the English
voice note again; the transcription server's protocol against a local fake of it."""
from __future__ import annotations

import asyncio

from aiohttp import web

from bot.core.events import Speech
from bot.voice import audio
from bot.voice.speaker import Speaker
from bot.voice.transcription import ServerTranscriber, WhisperTranscriber, model_languages
from tests.servers import free_port
from tests.voice.conftest import whisper_dir

ENGLISH = "The integration course costs two euros twenty-nine per lesson."


def is_ogg_opus(ogg: bytes) -> bool:
    """An Ogg page whose first packet is Opus's identification header (RFC 7845)."""
    return ogg[:4] == b"OggS" and ogg[28:36] == b"OpusHead"


def said(text: str, language: str) -> Speech:
    return Speech(((text, language),), language, "no voice")


def test_an_english_answer_becomes_an_ogg_opus_voice_note_of_plausible_length(
        speaker: Speaker) -> None:
    note = speaker.read(said(ENGLISH, "en"))
    assert note is not None and note.voice == "piper" and is_ogg_opus(note.ogg)
    words = len(ENGLISH.split())
    assert words / 4.5 < note.seconds < words / 1.0  # between fast and very slow speech
    assert abs(audio.seconds(note.ogg) - note.seconds) < 0.01


def test_espeak_reads_tigrinya_and_kurmanji_and_there_is_no_voice_for_pashto(
        speaker: Speaker) -> None:
    tigrinya = speaker.read(said("ቤት ጽሕፈት ወጻእተኛታት ኣብ ከተማ ኣሎ። ንሓገዝ ደውሉ።", "ti"))
    kurmanji = speaker.read(said("Dezgeha biyaniyan li bajêr e. Ji bo alîkariyê telefon bikin.",
                                 "ku"))
    for note in (tigrinya, kurmanji):
        assert note is not None and note.voice == "espeak" and is_ogg_opus(note.ogg)
        assert 1.5 < note.seconds < 15
    assert speaker.read(said("د بهرنیانو اداره", "ps")) is None
    assert speaker.languages(["en", "ti", "ku", "ps", "de"]) == {"en", "ti", "ku", "de"}


def test_a_german_term_is_read_by_the_german_voice_inside_an_english_sentence(
        speaker: Speaker) -> None:
    mixed = Speech((("Go to the ", "en"), ("Ausländerbehörde", "de"), (" today.", "en")), "en",
                   "")
    note = speaker.read(mixed)
    assert note is not None and is_ogg_opus(note.ogg) and note.seconds > 1.5


async def test_whisper_hears_the_english_voice_note_again(speaker: Speaker) -> None:
    note = speaker.read(said(ENGLISH, "en"))
    assert note is not None
    transcriber = WhisperTranscriber(whisper_dir(), timeout=60)
    assert transcriber.languages == {"en"} == model_languages(whisper_dir())
    text = await transcriber.transcribe(note.ogg, "en")
    assert text is not None and "integration course" in text.lower()
    assert await transcriber.transcribe(b"not audio", "en") is None


async def test_the_transcription_server_is_asked_as_openai_asks_and_a_slow_one_times_out(
        ) -> None:
    port = free_port()
    asked: list[dict[str, object]] = []
    slow = asyncio.Event()

    async def transcriptions(request: web.Request) -> web.Response:
        form = await request.post()
        upload = form["file"]
        assert isinstance(upload, web.FileField)
        asked.append({"model": form["model"], "language": form["language"],
                      "audio": upload.file.read(), "type": upload.content_type,
                      "auth": request.headers.get("Authorization")})
        if slow.is_set():
            await asyncio.sleep(5)
        return web.json_response({"text": " Wo ist das Jobcenter? "})

    app = web.Application()
    app.router.add_post("/v1/audio/transcriptions", transcriptions)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    transcriber = ServerTranscriber(f"http://127.0.0.1:{port}/v1", "whisper-1",
                                    frozenset({"de"}), timeout=0.5, api_key="k")
    try:
        assert await transcriber.transcribe(b"OggS...", "de") == "Wo ist das Jobcenter?"
        assert asked == [{"model": "whisper-1", "language": "de", "audio": b"OggS...",
                          "type": "audio/ogg", "auth": "Bearer k"}]
        slow.set()
        assert await transcriber.transcribe(b"OggS...", "de") is None
    finally:
        await transcriber.close()
        await runner.cleanup()
