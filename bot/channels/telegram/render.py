"""Engine replies as Telegram messages: HTML split at paragraph breaks, inline keyboards."""
from __future__ import annotations

from dataclasses import dataclass

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core import telegram_html
from bot.core.events import Reply


@dataclass(frozen=True)
class Message:
    """One message to send: Telegram HTML and, on the last part of a reply, its keyboard."""

    text: str
    keyboard: InlineKeyboardMarkup | None = None


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    rows = [[InlineKeyboardButton(text=b.label, url=b.url) if b.url else
             InlineKeyboardButton(text=b.label, callback_data=b.data) for b in row]
            for row in reply.buttons if row]
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


def messages(reply: Reply) -> list[Message]:
    """A reply as one or more messages within Telegram's length limit; buttons go on the last."""
    parts = telegram_html.split(reply.text)
    markup = keyboard(reply)
    return [Message(part, markup if i == len(parts) - 1 else None) for i, part in enumerate(parts)]
