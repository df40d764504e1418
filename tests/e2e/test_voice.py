"""Voice end to end: the real `lotse run` with piper's English voice and Whisper tiny.en (from
the test extra's packages) against the fake Bot API. An answer's 🔊 sends an OGG/Opus voice note
(the second press reuses Telegram's file id), and that voice note, sent back as the person's
own, is transcribed, shown back and answered."""
from __future__ import annotations

from pathlib import Path

from bot.core.content.model import Content
from bot.voice import audio
from tests.e2e.harness import BotProcess
from tests.e2e.test_telegram import all_calls_accepted
from tests.fake_bot_api import FakeBotApi
from tests.voice.conftest import piper_dir, whisper_dir


async def test_an_answer_read_aloud_and_the_voice_note_sent_back_is_understood(
        fake_api: FakeBotApi, tmp_path: Path, content: Content) -> None:
    api = fake_api
    jack = api.user(1701, "Jack", language_code="en")
    entry = content.entries["integration-course"]
    async with BotProcess(api, tmp_path, VOICES_DIR=str(piper_dir()),
                          WHISPER_MODEL_DIR=str(whisper_dir())):
        await jack.send("what is an integration course")
        answer = await api.wait_for(jack, lambda m: entry.text["en"].title in (m.text or ""))
        await jack.press(lambda b: "Listen" in b.text, answer)
        note = await api.wait_for(jack, lambda m: m.kind == "voice", timeout=60)
        file_id = note.content["voice"]["file_id"]
        ogg = api.file_bytes(file_id)
        assert ogg[:4] == b"OggS" and ogg[28:36] == b"OpusHead"  # Telegram shows a voice note
        seconds = audio.seconds(ogg)
        assert len(entry.text["en"].answer.split()) / 5 < seconds < 600
        assert int(api.calls_to("sendVoice")[0].params["duration"]) == round(seconds)

        await jack.press(lambda b: "Listen" in b.text, answer)
        again = await api.wait_for(jack, lambda m: m.kind == "voice", timeout=30)
        assert again.content["voice"]["file_id"] == file_id  # rendered once, the id reused
        assert len(api.calls_to("sendVoice")) == 2

        await jack.send_voice(ogg)
        heard = await api.wait_for(jack, lambda m: "I understood" in (m.text or ""), timeout=120)
        assert "integration" in heard.text.lower()
        await api.wait_for(jack, lambda m: bool(m.buttons) and "I understood" not in m.text)

        def menu(code: str) -> list[str]:
            return [c["command"] for c in api.commands(scope={"type": "all_private_chats"},
                                                       language_code=code)]
        assert "voice" in menu("en") and "voice" not in menu("ar")  # only English has a voice
    all_calls_accepted(api)
