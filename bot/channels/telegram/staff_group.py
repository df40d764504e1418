"""The staff supergroup (STAFF_CHAT_ID) as the outbox's `StaffChannel`: one forum topic per case,
the case note with its buttons, relays, notices, the topic deleted on erasure, and the staff
router's prompts (`bot.channels.telegram.staff.say` puts them in the outbox).

Every call into the group (creating or renaming a topic, posting, editing) takes a token from one
bucket: `per_minute` tokens a minute, at most `STAFF_BURST` at once, for all topics together, and
one from the bot's global limit it shares with the replies to people (`Pacer.overall_slot`). A
429 is waited out inside the row, or, if longer than a minute, the group rests that long. Errors
that mean the group as a whole is unusable (chat not found, bot removed, not a forum, missing
rights) become `StaffUnreachable`, with what to do about it."""
from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Iterator
from functools import partial
from typing import TypeVar

from aiogram import Bot
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramRetryAfter,
)
from aiogram.types import InlineKeyboardMarkup

from bot.channels.telegram.buttons import CaseButton, Packed, keyboard
from bot.channels.telegram.calls import (
    NO_PREVIEW,
    caption,
    classified,
    describe,
    rate_limited,
    send_media,
)
from bot.channels.telegram.pacing import Pacer
from bot.core import telegram_html
from bot.core.case_status import CaseStatus
from bot.core.telegram_html import escape
from bot.handoff.delivery import (
    CaseNote,
    Prompt,
    Relayed,
    StaffUnreachable,
    TopicGone,
    Translated,
)
from bot.handoff.records import CaseAction
from bot.shared.buckets import HEADROOM, TokenBucket

T = TypeVar("T")
STAFF_BURST = 3
"""Calls into the staff group that may go at once before pacing sets in."""
NOT_MODIFIED = ("message is not modified", "topic_not_modified")
MEDIA_NAMES = {"photo": "Foto", "document": "Dokument", "voice": "Sprachnachricht",
               "video": "Video"}
STAFF_FIX = "add the bot to the staff group as admin with 'Manage topics'"


def case_keyboard(case_id: int, status: CaseStatus) -> InlineKeyboardMarkup | None:
    """The buttons under a case note: claim and close while the case is open, none when closed."""
    if status == CaseStatus.CLOSED:
        return None
    return keyboard([[("Übernehmen", CaseButton(action=CaseAction.CLAIM, case=case_id)),
                      ("Schließen", CaseButton(action=CaseAction.CLOSE, case=case_id))]])


def _translation(translated: Translated) -> str:
    """The German translation of what the person wrote, under its mark (or the mark alone)."""
    label = f"<i>{escape(translated.label)}</i>"
    return label if translated.text is None else f"{label}\n{translated.text}"


def staff_problem(exc: TelegramAPIError) -> StaffUnreachable | None:
    """Whether an error means the staff group as a whole is unusable (not just this row)."""
    description = exc.message
    lowered = description.lower()
    if isinstance(exc, TelegramMigrateToChat):
        return StaffUnreachable(description, f"set STAFF_CHAT_ID={exc.migrate_to_chat_id} "
                                             "(the group's new id) and restart")
    if isinstance(exc, TelegramForbiddenError):
        return StaffUnreachable(description, STAFF_FIX)
    if isinstance(exc, TelegramBadRequest):
        if "chat not found" in lowered:
            return StaffUnreachable(description, f"check the id and {STAFF_FIX}")
        if "not a forum" in lowered or ("topics" in lowered and "disabled" in lowered):
            return StaffUnreachable(description, "turn on Topics in the staff group's settings")
        if "not enough rights" in lowered or "admin_required" in lowered or \
                "have no rights" in lowered:
            return StaffUnreachable(description, "make the bot an admin of the staff group "
                                                 "with 'Manage topics'")
        if "upgraded to a supergroup" in lowered:
            return StaffUnreachable(description, "set STAFF_CHAT_ID to the supergroup's id")
    return None


@contextlib.contextmanager
def _unless_not_modified() -> Iterator[None]:
    """An edit that changes nothing is fine (a repeated row, or nothing changed)."""
    try:
        yield
    except TelegramBadRequest as exc:
        if not any(marker in exc.message.lower() for marker in NOT_MODIFIED):
            raise


class StaffGroup:
    """The staff supergroup `chat_id`, paced to `per_minute` calls (see the module)."""

    def __init__(self, bot: Bot, chat_id: int, per_minute: int, pacer: Pacer,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 now: Callable[[], float] = time.monotonic) -> None:
        self.bot = bot
        self.chat_id = chat_id
        self.where = f"STAFF_CHAT_ID={chat_id}"
        self.pacer = pacer
        self.sleep = sleep
        self._now = now
        self.bucket = TokenBucket(per_minute * HEADROOM, min(STAFF_BURST, per_minute), now)
        self._paused_until = 0.0

    def delay(self) -> float:
        return max(self._paused_until - self._now(), self.bucket.delay())

    def start_spent(self) -> None:
        """The first call waits until a whole burst (`STAFF_BURST`) has refilled."""
        self.bucket.hold(self.bucket.burst / self.bucket.rate)

    async def open_topic(self, name: str) -> int:
        with classified(staff_problem):
            topic = await self._call(lambda: self.bot.create_forum_topic(self.chat_id, name))
        return topic.message_thread_id

    async def post_note(self, topic: int, note: CaseNote) -> int:
        with classified(staff_problem):
            try:
                sent = await self._call(lambda: self.bot.send_message(
                    self.chat_id, note.text, message_thread_id=topic,
                    parse_mode=ParseMode.HTML, reply_markup=case_keyboard(note.case_id,
                                                                          note.status),
                    link_preview_options=NO_PREVIEW))
            except TelegramBadRequest as exc:
                if "thread not found" in exc.message.lower():
                    raise TopicGone(describe(exc), "other") from exc
                raise
        return sent.message_id

    async def update_note(self, topic: int, message_id: int, note: CaseNote) -> None:
        with classified(staff_problem):
            with _unless_not_modified():
                await self._call(lambda: self.bot.edit_message_text(
                    note.text, chat_id=self.chat_id, message_id=message_id,
                    parse_mode=ParseMode.HTML, reply_markup=case_keyboard(note.case_id,
                                                                          note.status),
                    link_preview_options=NO_PREVIEW))
            with _unless_not_modified():
                await self._call(lambda: self.bot.edit_forum_topic(self.chat_id, topic,
                                                                   name=note.topic))

    async def relay(self, topic: int, message: Relayed) -> None:
        with classified(staff_problem):
            if message.kind == "text" or message.file_id is None:
                text = escape(message.text or "")
                if message.kind != "text":
                    text = f"[{MEDIA_NAMES.get(message.kind, message.kind)}] {text}".strip()
                if message.translated is not None:
                    text += "\n\n" + _translation(message.translated)
                await self._text(topic, "💬 " + text)
                return
            text = "💬" + (f" {caption(message.text)}" if message.text else "")
            kind, file_id = message.kind, message.file_id
            await self._call(lambda: send_media(self.bot, self.chat_id, kind, file_id, text,
                                                topic))
            if message.translated is not None:  # the caption's translation, beneath
                await self._text(topic, _translation(message.translated))

    async def notice(self, topic: int, text: str) -> None:
        with classified(staff_problem):
            await self._text(topic, text)

    async def erase_topic(self, topic: int, notice: str) -> None:
        await self.delete_topic(topic)
        with classified(staff_problem):
            await self._call(partial(self.bot.send_message, self.chat_id, escape(notice),
                                     parse_mode=ParseMode.HTML))

    async def delete_topic(self, topic: int) -> None:
        with classified(staff_problem):
            try:
                await self._call(lambda: self.bot.delete_forum_topic(self.chat_id, topic))
            except TelegramBadRequest as exc:
                if "not found" not in exc.message.lower():
                    raise

    async def prompt(self, topic: int | None, prompt: Prompt) -> None:
        parts = telegram_html.split(prompt.text)
        markup = keyboard([(label, Packed(data)) for label, data in row]
                          for row in prompt.buttons)
        with classified(staff_problem):
            for i, part in enumerate(parts):
                await self._call(partial(
                    self.bot.send_message, self.chat_id, part, message_thread_id=topic,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup if i == len(parts) - 1 else None,
                    link_preview_options=NO_PREVIEW))

    async def _text(self, topic: int, text: str) -> None:
        for part in telegram_html.split(text):
            await self._call(partial(
                self.bot.send_message, self.chat_id, part, message_thread_id=topic,
                parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW))

    async def _call(self, call: Callable[[], Awaitable[T]]) -> T:
        """One call into the group, after the group's pacing allows it and the bot's global
        limit (shared with every message to people) too."""
        while True:
            while (wait := self.delay()) > 0:
                await self.sleep(wait)
            self.bucket.take()
            await self.pacer.overall_slot()
            try:
                return await call()
            except TelegramRetryAfter as exc:
                self._paused_until = self._now() + exc.retry_after
                self.bucket.empty()
                rate_limited("staff group", exc)
