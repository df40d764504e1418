"""What the staff group's router reads off Telegram's messages (the topic, what was sent, who
acts) and the small texts it writes from them (a wait, a link to a topic)."""
from __future__ import annotations

import datetime as dt

from aiogram.types import Message, User

from bot.channels.telegram.media import largest_photo
from bot.handoff.records import Counsellor


def counsellor(user: User) -> Counsellor:
    """The acting counsellor: id and first name only (never shown to the person)."""
    return Counsellor(user.id, user.first_name or "?")


def topic_of(message: Message | None) -> int | None:
    """The forum topic a message is in (None for General or a plain reply there)."""
    if message is None or not message.is_topic_message:
        return None
    return message.message_thread_id


def waiting(since: dt.datetime, now: dt.datetime) -> str:
    """"3 min", "2 h 5 min", "1 T 4 h"."""
    minutes = max(0, int((now - since).total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} T {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


def topic_link(chat_id: int, thread_id: int | None) -> str | None:
    """A t.me link to a topic of a supergroup (-100… ids), for counsellors."""
    text = str(chat_id)
    if thread_id is None or not text.startswith("-100"):
        return None
    return f"https://t.me/c/{text[4:]}/{thread_id}"


def media_of(message: Message) -> tuple[str | None, str | None]:
    """What a counsellor sent: ("text", None), ("photo", file_id of the largest size), … or
    (None, None) for what is not relayed."""
    if message.text is not None:
        return "text", None
    if message.photo:
        return "photo", largest_photo(message.photo)
    for kind in ("document", "voice", "video"):
        item = getattr(message, kind, None)
        if item is not None:
            return kind, item.file_id
    return None, None


def is_command(message: Message) -> bool:
    return any(e.type == "bot_command" and e.offset == 0 for e in message.entities or ())
