"""Telegram's inline buttons: the one keyboard builder (`keyboard`), and what the buttons carry
(their callback data, at most 64 bytes) as aiogram `CallbackData` classes: the routers filter
with `X.filter()` and read the fields, nothing splits strings. The layouts are those of the
buttons already sent, which stay in the chats:

- a person's button: "o:<screen>:<index>", the engine's `Choice`; before the prefix it was
  "<screen>:<index>", which is still read;
- the button under a counsellor's machine-translated message to a person: "orig:<transcript
  id>", which shows the German original;
- a case's button in the staff group: "case:<action>:<case number>" (claim, take over, close,
  keep open), and "case:<action>:<case number>:<value>" for one that carries a choice (the
  outcome to close with, the canned reply to send)."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Self

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core.events import Choice
from bot.handoff.records import CaseAction


class OptionButton(CallbackData, prefix="o"):
    """A person's button: the option `index` of the engine's screen `screen`."""

    screen: int
    index: int

    @classmethod
    def of(cls, choice: Choice) -> OptionButton:
        return cls(screen=choice.screen, index=choice.index)

    @classmethod
    def unpack(cls, value: str) -> Self:
        """Also the layout without the prefix (buttons sent before it)."""
        if value[:1].isdigit():
            value = f"{cls.__prefix__}{cls.__separator__}{value}"
        return super().unpack(value)

    @property
    def choice(self) -> Choice:
        return Choice(self.screen, self.index)


class OriginalButton(CallbackData, prefix="orig"):
    """Under a counsellor's machine-translated message: show the person the German original of
    the transcript message `message`."""

    message: int


class CaseButton(CallbackData, prefix="case"):
    """A button on a case in the staff group."""

    action: CaseAction
    case: int


class CaseChoice(CallbackData, prefix="case"):
    """A case's button that carries a choice: an outcome (a key of `OUTCOMES`) or the name of a
    canned reply."""

    action: CaseAction
    case: int
    value: str


class Packed(str):
    """Callback data already packed: a staff prompt's buttons as the outbox keeps them."""


Key = tuple[str, CallbackData | Packed | str]
"""A button of `keyboard`: its label and what pressing it does."""


def keyboard(rows: Iterable[Iterable[Key]]) -> InlineKeyboardMarkup | None:
    """Rows of (label, what pressing it does: the `CallbackData` it sends, packed or not, or a
    URL it opens) as an inline keyboard; None when there is no button."""
    built = [[_button(label, does) for label, does in row] for row in rows]
    built = [row for row in built if row]
    return InlineKeyboardMarkup(inline_keyboard=built) if built else None


def _button(label: str, does: CallbackData | Packed | str) -> InlineKeyboardButton:
    if isinstance(does, Packed):
        return InlineKeyboardButton(text=label, callback_data=does)
    if isinstance(does, str):
        return InlineKeyboardButton(text=label, url=does)
    return InlineKeyboardButton(text=label, callback_data=does.pack())
