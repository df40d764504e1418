"""Voice on Telegram: a reply's `Speech` sent as a voice note (`VoiceNotes`: synthesized once per
text, language and voice, then Telegram's file id reused; a county's recording wins), and a
person's voice note turned into an event (`Listening.event`): downloaded into memory,
transcribed when the transcriber covers the person's language, else the engine's answer to a
voice note it cannot hear. The audio is never written to disk; no transcript is logged."""
from __future__ import annotations

import asyncio
import hashlib
import io
import json
import logging
from collections import OrderedDict
from pathlib import Path

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BufferedInputFile, Message
from aiogram.utils.chat_action import ChatActionSender

from bot.channels.telegram.render import Message as Outgoing
from bot.channels.telegram.sender import Sender
from bot.core.events import Event, Media, MediaKind, Speech, Spoken
from bot.ops import metrics
from bot.voice.speaker import Speaker
from bot.voice.transcription import Transcriber

log = logging.getLogger(__name__)
KEPT_FILE_IDS = 5_000
"""Voice notes whose file id is remembered (each text of the content in each language fits)."""


class VoiceNotes:
    def __init__(self, speaker: Speaker | None, content_root: Path) -> None:
        self.speaker = speaker
        self.content_root = content_root
        self._file_ids: OrderedDict[str, str] = OrderedDict()

    async def send(self, sender: Sender, chat_id: int, speech: Speech) -> None:
        """`speech` to `chat_id` as a voice note, or the message that no voice reads it."""
        key = _key(speech)
        file_id = self._file_ids.get(key)
        if file_id is not None:
            self._file_ids.move_to_end(key)
            metrics.VOICE_NOTES.labels("reused").inc()
            await sender.send_voice(chat_id, file_id)
            return
        audio, seconds, how = await self._render(speech)
        if audio is None:
            metrics.VOICE_NOTES.labels("no_voice").inc()
            await sender.send(chat_id, Outgoing(speech.unavailable))
            return
        metrics.VOICE_NOTES.labels(how).inc()
        sent = await sender.send_voice(chat_id, BufferedInputFile(audio, "lotse.ogg"), seconds)
        if sent is not None:
            self._file_ids[key] = sent
            while len(self._file_ids) > KEPT_FILE_IDS:
                self._file_ids.popitem(last=False)

    async def _render(self, speech: Speech) -> tuple[bytes | None, float | None, str]:
        if speech.recording is not None:
            path = self.content_root / speech.recording
            try:
                return await asyncio.to_thread(path.read_bytes), None, "recording"
            except OSError as exc:  # the content check names a missing file; serve the voice
                log.warning("recording %s unreadable: %s", speech.recording, type(exc).__name__)
        if self.speaker is None:
            return None, None, "no_voice"
        note = await asyncio.to_thread(self.speaker.read, speech)
        if note is None:
            return None, None, "no_voice"
        return note.ogg, note.seconds, note.voice


def _key(speech: Speech) -> str:
    """What makes two voice notes the same: the parts, their languages and the recording (a
    content version that changes the text changes the key; one that does not, reuses it)."""
    data = json.dumps([speech.parts, speech.language, speech.recording], ensure_ascii=False)
    return hashlib.sha256(data.encode()).hexdigest()


class Listening:
    """A person's voice note as the engine's event."""

    def __init__(self, transcriber: Transcriber | None, max_seconds: int) -> None:
        self.transcriber = transcriber
        self.max_seconds = max_seconds

    def covers(self, language: str | None) -> bool:
        return (self.transcriber is not None and language is not None and
                language in self.transcriber.languages)

    async def event(self, bot: Bot, message: Message, language: str | None) -> Event:
        voice = message.voice
        assert voice is not None
        if self.transcriber is None or not self.covers(language):
            metrics.TRANSCRIPTIONS.labels("not_covered").inc()
            return Media(MediaKind.VOICE, voice.file_id)
        assert language is not None
        if voice.duration > self.max_seconds:
            metrics.TRANSCRIPTIONS.labels("too_long").inc()
            return Spoken("", voice.file_id)
        audio = io.BytesIO()
        async with ChatActionSender.typing(message.chat.id, bot):  # "typing…" while it listens
            try:
                await bot.download(voice.file_id, destination=audio)
            except TelegramAPIError as exc:
                log.warning("voice note not downloaded: %s", type(exc).__name__)
                text = ""
            else:
                text = await self.transcriber.transcribe(audio.getvalue(), language) or ""
        metrics.TRANSCRIPTIONS.labels("understood" if text else "empty").inc()
        log.info("voice note transcribed chars=%d by=%s", len(text), self.transcriber.name)
        return Spoken(text, voice.file_id)
