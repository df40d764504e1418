"""Engine replies as Telegram messages: HTML split at paragraph breaks, inline keyboards, and at
most `MAX_MESSAGES_PER_UPDATE` messages for one update."""
from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace

from aiogram.types import InlineKeyboardMarkup

from bot.channels.telegram.buttons import Key, OptionButton, keyboard
from bot.core import telegram_html
from bot.core.events import Button, Reply

log = logging.getLogger(__name__)
MAX_MESSAGES_PER_UPDATE = 5
"""No amplification: one thing a person sends never causes more messages than this."""


@dataclass(frozen=True)
class Message:
    """One message to send: Telegram HTML and, on the last part of a reply, its keyboard."""

    text: str
    keyboard: InlineKeyboardMarkup | None = None


def reply_keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    return keyboard([_key(b) for b in row if b.url or b.data is not None]
                    for row in reply.buttons)


def _key(button: Button) -> Key:
    """A link opens its URL, any other button sends its choice."""
    if button.url or button.data is None:
        return button.label, button.url or ""
    return button.label, OptionButton.of(button.data)


def messages(reply: Reply) -> list[Message]:
    """A reply as one or more messages within Telegram's length limit; buttons go on the last."""
    parts = telegram_html.split(reply.text)
    markup = reply_keyboard(reply)
    return [Message(part, markup if i == len(parts) - 1 else None) for i, part in enumerate(parts)]


def outgoing(replies: Sequence[Reply], limit: int = MAX_MESSAGES_PER_UPDATE
             ) -> list[tuple[Reply, list[Message]]]:
    """Every reply as its messages, `limit` messages at most in all. Each reply gets one message
    and the rest are shared out in order; a reply cut short keeps its first parts, with its buttons
    on the last part kept. (The engine gives at most 4 replies, and shipped answers fit one
    message each, so only an over-long answer written by an admin is ever cut.)"""
    if len(replies) > limit:
        replies = [*replies[:limit - 1], replies[-1]]  # the last reply holds the live buttons
    spare = limit - len(replies)
    out: list[tuple[Reply, list[Message]]] = []
    for reply in replies:
        parts = messages(reply)
        keep = 1 + min(len(parts) - 1, spare)
        spare -= keep - 1
        if keep < len(parts):
            log.warning("reply of %d messages cut to %d (an answer in the content is too long)",
                        len(parts), keep)
            parts = [*parts[:keep - 1], replace(parts[keep - 1], keyboard=parts[-1].keyboard)]
        out.append((reply, parts))
    return out
