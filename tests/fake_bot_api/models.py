"""Records of the fake's world: chats, messages, topics, files, callback queries, API calls."""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any, NamedTuple


class Button(NamedTuple):
    """One inline button: its text and its callback_data or url (None for other kinds)."""

    text: str
    data: str | None


@dataclass
class SentMessage:
    """A message in a chat, sent by the bot or by a fake user; edits update it in place."""

    chat_id: int
    message_id: int
    sender_id: int
    from_bot: bool
    kind: str  # "text", "photo", "document", "voice", "sticker", "location", "contact", ...
    text: str | None = None  # plain text (or caption), after entity parsing
    html: str | None = None  # text or caption exactly as sent
    entities: tuple[dict[str, Any], ...] = ()
    reply_markup: dict[str, Any] | None = None  # inline keyboard only, like Message.reply_markup
    thread_id: int | None = None
    reply_to: int | None = None
    content: dict[str, Any] = field(default_factory=dict)  # media fields of the Message object
    date: int = field(default_factory=lambda: int(time.time()))
    edit_date: int | None = None
    deleted: bool = False

    @property
    def buttons(self) -> list[list[Button]]:
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [[Button(b["text"], b.get("callback_data", b.get("url"))) for b in row]
                for row in rows]

    @property
    def is_service(self) -> bool:
        """A service message (forum topic created), not content the bot sent."""
        return self.kind.startswith("forum_topic")

    @property
    def caption(self) -> str | None:
        return None if self.kind == "text" else self.text


@dataclass
class Topic:
    """A forum topic; its id is the id of the service message that created it."""

    thread_id: int
    name: str
    icon_color: int
    icon_custom_emoji_id: str | None = None
    closed: bool = False

    def to_json(self) -> dict[str, Any]:
        topic: dict[str, Any] = {"message_thread_id": self.thread_id, "name": self.name,
                                 "icon_color": self.icon_color}
        if self.icon_custom_emoji_id:
            topic["icon_custom_emoji_id"] = self.icon_custom_emoji_id
        return topic


@dataclass
class StoredFile:
    """A file the bot uploaded or a fake user sent; downloadable through /file/bot<token>/<path>."""

    file_id: str
    file_unique_id: str
    path: str
    data: bytes

    def to_json(self) -> dict[str, Any]:
        return {"file_id": self.file_id, "file_unique_id": self.file_unique_id,
                "file_size": len(self.data), "file_path": self.path}


@dataclass
class FakeCallback:
    """A button press sent to the bot; `answered` is set when the bot calls answerCallbackQuery."""

    id: str
    user_id: int
    data: str
    message: SentMessage
    created: float = field(default_factory=time.monotonic)
    answer: dict[str, Any] | None = None
    answered: asyncio.Event = field(default_factory=asyncio.Event)

    async def wait_answered(self, timeout: float = 10) -> dict[str, Any]:
        """The answerCallbackQuery parameters (text, show_alert, ...) once the bot answered."""
        try:
            async with asyncio.timeout(timeout):
                await self.answered.wait()
        except TimeoutError:
            raise TimeoutError(f"callback query {self.id} ({self.data!r}) was not answered "
                               f"within {timeout}s") from None
        assert self.answer is not None
        return self.answer


@dataclass(frozen=True)
class ApiCall:
    """One request the bot made: method name, parameters (files replaced by names), outcome."""

    method: str
    params: dict[str, Any]
    ok: bool
    error_code: int | None = None
    description: str | None = None
    at: float = field(default_factory=time.monotonic)
    """When the call was answered (the test process's monotonic clock)."""


@dataclass
class Chat:
    """A private chat with a fake user, or a (forum) supergroup."""

    id: int
    type: str  # "private" or "supergroup"
    title: str | None = None
    first_name: str | None = None
    username: str | None = None
    is_forum: bool = False
    members: dict[int, str] = field(default_factory=dict)  # user id -> ChatMember status
    topics: dict[int, Topic] = field(default_factory=dict)
    messages: dict[int, SentMessage] = field(default_factory=dict)
    last_message_id: int = 0

    def to_json(self) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.type == "private":
            chat["first_name"] = self.first_name
        else:
            chat["title"] = self.title
        if self.username:
            chat["username"] = self.username
        if self.is_forum:
            chat["is_forum"] = True
        return chat
