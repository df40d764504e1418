"""Test-side actors: fake Telegram users who write to the bot, and the groups they are in.

Every action turns into the update Telegram would send (message, edited_message, callback_query,
my_chat_member) and is queued for getUpdates or the webhook.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from .markup import utf16_len
from .models import Button, Chat, FakeCallback, SentMessage, Topic
from .world import World, media_content

ButtonMatcher = str | Callable[[Button], bool]
# Tiny but well-formed payloads, so that a bot which downloads what users send gets real bytes.
JPEG_BYTES = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9")
OGG_BYTES = b"OggS" + bytes(24)
PDF_BYTES = b"%PDF-1.4\n%%EOF\n"


class FakeGroup:
    """A supergroup (a forum if created so) in which the bot is an administrator."""

    def __init__(self, world: World, chat: Chat) -> None:
        self._world = world
        self.chat = chat

    @property
    def chat_id(self) -> int:
        return self.chat.id

    @property
    def title(self) -> str:
        return self.chat.title or ""

    def topics(self) -> list[Topic]:
        return list(self.chat.topics.values())

    def add_member(self, user: FakeUser | int, status: str = "member") -> None:
        self.chat.members[user if isinstance(user, int) else user.id] = status


class FakeUser:
    """A Telegram user talking to the bot; `send`, `press` etc. queue the matching updates."""

    def __init__(self, world: World, user_id: int, first_name: str, last_name: str | None,
                 username: str | None, language_code: str | None) -> None:
        self._world = world
        self.id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = language_code
        self.blocked = False
        self.started = False  # has written to the bot; before that the bot cannot message them

    @property
    def chat_id(self) -> int:
        return self.id

    def to_json(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key) is not None:
                user[key] = getattr(self, key)
        return user

    def _chat(self, chat: FakeGroup | None, thread_id: int | None) -> Chat:
        if chat is None:
            if self.blocked:
                raise RuntimeError(f"user {self.id} has blocked the bot; call unblock() first")
            self.started = True
            return self._world.chats[self.id]
        if self.id not in chat.chat.members:
            raise ValueError(f"user {self.id} is not a member of chat {chat.chat_id}")
        if thread_id is not None and thread_id not in chat.chat.topics:
            raise ValueError(f"chat {chat.chat_id} has no topic {thread_id}")
        return chat.chat

    async def _post(self, kind: str, chat: FakeGroup | None, thread_id: int | None,
                    reply_to: SentMessage | None = None, text: str | None = None,
                    entities: tuple[dict[str, Any], ...] = (),
                    content: dict[str, Any] | None = None) -> SentMessage:
        target = self._chat(chat, thread_id)
        if reply_to is not None and thread_id is None:
            thread_id = reply_to.thread_id
        message = self._world.add_message(
            target, self.id, kind, text=text, html=text, entities=entities, thread_id=thread_id,
            reply_to=None if reply_to is None else reply_to.message_id, content=content or {})
        self._world.push_update("message", self._world.message_json(message))
        return message

    async def send(self, text: str, *, chat: FakeGroup | None = None, thread_id: int | None = None,
                   reply_to: SentMessage | None = None) -> SentMessage:
        """Write `text`; a leading "/command" (payload after a space) gets a bot_command entity."""
        entities: tuple[dict[str, Any], ...] = ()
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            entities = ({"type": "bot_command", "offset": 0, "length": utf16_len(command)},)
        return await self._post("text", chat, thread_id, reply_to, text, entities)

    async def _send_file(self, kind: str, data: bytes, extension: str, caption: str | None,
                         chat: FakeGroup | None, thread_id: int | None, **details: Any
                         ) -> SentMessage:
        stored = self._world.store_file(data, f"{kind}s", extension)
        return await self._post(kind, chat, thread_id, text=caption,
                                content=media_content(kind, stored, **details))

    async def send_photo(self, data: bytes = JPEG_BYTES, *, caption: str | None = None,
                         chat: FakeGroup | None = None, thread_id: int | None = None
                         ) -> SentMessage:
        return await self._send_file("photo", data, "jpg", caption, chat, thread_id)

    async def send_voice(self, data: bytes = OGG_BYTES, *, chat: FakeGroup | None = None,
                         thread_id: int | None = None) -> SentMessage:
        return await self._send_file("voice", data, "oga", None, chat, thread_id)

    async def send_document(self, data: bytes = PDF_BYTES, *, file_name: str = "document.pdf",
                            mime_type: str = "application/pdf", caption: str | None = None,
                            chat: FakeGroup | None = None, thread_id: int | None = None
                            ) -> SentMessage:
        return await self._send_file("document", data, file_name.rsplit(".", 1)[-1], caption,
                                     chat, thread_id, file_name=file_name, mime_type=mime_type)

    async def send_sticker(self, emoji: str = "👍", *, chat: FakeGroup | None = None,
                           thread_id: int | None = None) -> SentMessage:
        stored = self._world.store_file(b"RIFF" + bytes(8) + b"WEBP", "stickers", "webp")
        content = media_content("sticker", stored)
        content["sticker"]["emoji"] = emoji
        return await self._post("sticker", chat, thread_id, content=content)

    async def send_location(self, latitude: float = 52.52, longitude: float = 13.405, *,
                            chat: FakeGroup | None = None, thread_id: int | None = None
                            ) -> SentMessage:
        return await self._post("location", chat, thread_id, content={
            "location": {"latitude": latitude, "longitude": longitude}})

    async def send_contact(self, phone_number: str, *, first_name: str | None = None,
                           own: bool = True, chat: FakeGroup | None = None,
                           thread_id: int | None = None) -> SentMessage:
        """Share a contact; `own=True` (the "share my phone number" button) sets user_id to self."""
        contact: dict[str, Any] = {"phone_number": phone_number,
                                   "first_name": first_name or self.first_name}
        if own:
            contact["user_id"] = self.id
        return await self._post("contact", chat, thread_id, content={"contact": contact})

    async def edit(self, message: SentMessage, text: str) -> SentMessage:
        """Edit one of this user's own text messages (an edited_message update)."""
        if message.sender_id != self.id or message.kind != "text":
            raise ValueError("a user can only edit their own text messages")
        message.text = message.html = text
        message.edit_date = int(time.time())
        self._world.push_update("edited_message", self._world.message_json(message))
        return message

    async def press(self, button: ButtonMatcher, message: SentMessage | None = None, *,
                    chat: FakeGroup | None = None) -> FakeCallback:
        """Press an inline callback button (matched by text or predicate) on `message`, by
        default the newest bot message with an inline keyboard in `chat` (default: private)."""
        target = message or self._last_keyboard(chat)
        if target.deleted:
            raise ValueError(f"message {target.message_id} was deleted")
        raw = [b for row in (target.reply_markup or {}).get("inline_keyboard", []) for b in row]
        matches = [b for b in raw if (b["text"] == button if isinstance(button, str)
                                      else button(Button(b["text"], b.get("callback_data",
                                                                          b.get("url")))))]
        if not matches:
            raise LookupError(f"no button {button!r} on message {target.message_id}; "
                              f"buttons: {[b['text'] for b in raw]}")
        if "callback_data" not in matches[0]:
            raise ValueError(f"button {matches[0]['text']!r} is not a callback button")
        return await self.press_data(matches[0]["callback_data"], target)

    async def press_data(self, data: str, message: SentMessage) -> FakeCallback:
        """A press on `message` that carries `data`, whether or not a button of it does: what
        a button of another version of the bot or a tampered client sends."""
        callback = self._world.new_callback(self.id, data, message)
        self._world.push_update("callback_query", {
            "id": callback.id, "from": self.to_json(), "chat_instance": str(message.chat_id),
            "message": self._world.message_json(message), "data": callback.data})
        return callback

    def _last_keyboard(self, group: FakeGroup | None) -> SentMessage:
        chat = self._world.chats[self.id] if group is None else group.chat
        for candidate in reversed(chat.messages.values()):
            if candidate.from_bot and not candidate.deleted and candidate.reply_markup:
                return candidate
        raise LookupError(f"no bot message with an inline keyboard in chat {chat.id}")

    def block(self) -> None:
        """Block the bot: sends to this user fail with 403 from now on."""
        self._set_blocked(True)

    def unblock(self) -> None:
        self._set_blocked(False)

    def _set_blocked(self, blocked: bool) -> None:
        if blocked == self.blocked:
            return
        self.blocked = blocked
        bot = self._world.bot_json()
        member, kicked = {"status": "member", "user": bot}, {"status": "kicked", "user": bot,
                                                              "until_date": 0}
        old, new = (member, kicked) if blocked else (kicked, member)
        self._world.push_update("my_chat_member", {
            "chat": self._world.chats[self.id].to_json(), "from": self.to_json(),
            "date": int(time.time()), "old_chat_member": old, "new_chat_member": new})
