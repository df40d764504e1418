"""The fake's state: chats, messages, files and the update queue, shared by the HTTP handlers
and the test-side actors. Everything runs on one event loop, so there is no locking."""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from .models import ApiCall, Chat, FakeCallback, SentMessage, StoredFile

if TYPE_CHECKING:
    from .actors import FakeUser

T = TypeVar("T")

# Update types Telegram delivers when allowed_updates was never set (or set to []).
DEFAULT_UPDATE_TYPES = frozenset({
    "message", "edited_message", "channel_post", "edited_channel_post", "business_connection",
    "business_message", "edited_business_message", "deleted_business_messages", "inline_query",
    "chosen_inline_result", "callback_query", "shipping_query", "pre_checkout_query",
    "purchased_paid_media", "poll", "poll_answer", "my_chat_member", "chat_join_request",
    "chat_boost", "removed_chat_boost",
})


class Notifier:
    """Wakes everyone waiting for "something changed" (new update, new or edited message)."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait_for(self, check: Callable[[], T | None], timeout: float) -> T | None:
        """The first non-None `check()` result, re-checked on every change; None on timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            event = self._event
            result = check()
            remaining = deadline - loop.time()
            if result is not None or remaining <= 0:
                return result
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(remaining):
                    await event.wait()


@dataclass
class PendingUpdate:
    update_id: int
    payload: dict[str, Any]
    redelivery: bool = False
    handed_out: bool = False


@dataclass
class Webhook:
    url: str
    secret_token: str | None
    max_connections: int = 40
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class World:
    """All state of one fake Bot API server."""

    token: str
    bot_first_name: str
    bot_username: str
    strict_html: bool
    chats: dict[int, Chat] = field(default_factory=dict)
    users: dict[int, FakeUser] = field(default_factory=dict)
    files: dict[str, StoredFile] = field(default_factory=dict)
    callbacks: dict[str, FakeCallback] = field(default_factory=dict)
    commands: dict[tuple[str, str], list[dict[str, str]]] = field(default_factory=dict)
    pending: list[PendingUpdate] = field(default_factory=list)
    update_log: dict[int, dict[str, Any]] = field(default_factory=dict)
    allowed_updates: frozenset[str] = DEFAULT_UPDATE_TYPES
    webhook: Webhook | None = None
    inbox: dict[int, list[SentMessage]] = field(default_factory=dict)
    calls: list[ApiCall] = field(default_factory=list)
    changed: Notifier = field(default_factory=Notifier)
    poll_generation: int = 0
    closed: bool = False  # the server is shutting down: long polls return at once
    _last_update_id: int = 0
    _last_file: int = 0
    _last_callback: int = 0

    @property
    def bot_id(self) -> int:
        return int(self.token.split(":", 1)[0])

    def bot_json(self) -> dict[str, Any]:
        return {"id": self.bot_id, "is_bot": True, "first_name": self.bot_first_name,
                "username": self.bot_username}

    def sender_json(self, message: SentMessage) -> dict[str, Any]:
        return self.bot_json() if message.from_bot else self.users[message.sender_id].to_json()

    def message_json(self, message: SentMessage, with_reply: bool = True) -> dict[str, Any]:
        chat = self.chats[message.chat_id]
        body: dict[str, Any] = {"message_id": message.message_id, "date": message.date,
                                "chat": chat.to_json(), "from": self.sender_json(message)}
        if message.thread_id is not None:
            body |= {"message_thread_id": message.thread_id, "is_topic_message": True}
        if message.edit_date is not None:
            body["edit_date"] = message.edit_date
        replied = chat.messages.get(message.reply_to or 0)
        if with_reply and replied is not None:
            body["reply_to_message"] = self.message_json(replied, with_reply=False)
        body |= message.content
        if message.text is not None:
            key = "text" if message.kind == "text" else "caption"
            body[key] = message.text
            if message.entities:
                body["entities" if key == "text" else "caption_entities"] = list(message.entities)
        if message.reply_markup is not None:
            body["reply_markup"] = message.reply_markup
        return body

    def add_message(self, chat: Chat, sender_id: int, kind: str, **fields: Any) -> SentMessage:
        chat.last_message_id += 1
        message = SentMessage(chat_id=chat.id, message_id=chat.last_message_id, sender_id=sender_id,
                              from_bot=sender_id == self.bot_id, kind=kind, **fields)
        chat.messages[message.message_id] = message
        if message.from_bot and not message.is_service:
            self.inbox.setdefault(chat.id, []).append(message)
        self.changed.notify()
        return message

    def push_update(self, kind: str, obj: dict[str, Any]) -> int | None:
        """Queue an update (for getUpdates or the webhook); None if allowed_updates filters it."""
        if kind not in self.allowed_updates:
            return None
        self._last_update_id += 1
        payload = {"update_id": self._last_update_id, kind: obj}
        self.update_log[self._last_update_id] = payload
        self.pending.append(PendingUpdate(self._last_update_id, payload))
        self.changed.notify()
        return self._last_update_id

    def redeliver(self, update_id: int) -> None:
        self.pending.append(PendingUpdate(update_id, self.update_log[update_id], redelivery=True))
        self.changed.notify()

    def confirm(self, offset: int) -> None:
        """getUpdates' offset: forget updates below it (re-delivered ones once handed out)."""
        if offset < 0:
            del self.pending[:offset]
            return
        self.pending = [u for u in self.pending
                        if u.update_id >= offset or (u.redelivery and not u.handed_out)]

    def store_file(self, data: bytes, folder: str, extension: str) -> StoredFile:
        self._last_file += 1
        n = self._last_file
        stored = StoredFile(f"FAKE-{folder}-{n:06d}", f"U{n:06d}", f"{folder}/file_{n}.{extension}",
                            data)
        self.files[stored.file_id] = stored
        return stored

    def new_callback(self, user_id: int, data: str, message: SentMessage) -> FakeCallback:
        self._last_callback += 1
        callback = FakeCallback(f"{self.bot_id}{self._last_callback:08d}", user_id, data, message)
        self.callbacks[callback.id] = callback
        return callback


def media_content(kind: str, stored: StoredFile, file_name: str | None = None,
                  mime_type: str | None = None) -> dict[str, Any]:
    """The Message fields for a photo, document, voice or sticker stored as `stored`."""
    ref = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
           "file_size": len(stored.data)}
    if kind == "photo":
        return {"photo": [ref | {"width": 320, "height": 320}]}
    if kind == "voice":
        return {"voice": ref | {"duration": 1, "mime_type": mime_type or "audio/ogg"}}
    if kind == "sticker":
        return {"sticker": ref | {"type": "regular", "width": 512, "height": 512,
                                  "is_animated": False, "is_video": False}}
    return {"document": ref | {"file_name": file_name or stored.path.rsplit("/", 1)[-1],
                               "mime_type": mime_type or "application/octet-stream"}}
