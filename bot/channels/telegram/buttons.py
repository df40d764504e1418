"""What Telegram's inline buttons carry (their callback data, at most 64 bytes), as aiogram
`CallbackData` classes: the routers filter with `X.filter()` and read the fields, nothing splits
strings. The layouts are those of the buttons already sent, which stay in the chats:

- a person's button: "o:<screen>:<index>", the engine's `Choice`; before the prefix it was
  "<screen>:<index>", which is still read;
- a case's button in the staff group: "case:<action>:<case number>" (claim, take over, close,
  keep open), and "case:<action>:<case number>:<value>" for one that carries a choice (the
  outcome to close with, the canned reply to send)."""
from __future__ import annotations

from typing import Self

from aiogram.filters.callback_data import CallbackData

from bot.core.events import Choice
from bot.handoff.cases import CaseAction


class OptionButton(CallbackData, prefix="o"):
    """A person's button: the option `index` of the engine's screen `screen`."""

    screen: int
    index: int

    @classmethod
    def of(cls, choice: Choice) -> str:
        return cls(screen=choice.screen, index=choice.index).pack()

    @classmethod
    def unpack(cls, value: str) -> Self:
        """Also the layout without the prefix (buttons sent before it)."""
        if value[:1].isdigit():
            value = f"{cls.__prefix__}{cls.__separator__}{value}"
        return super().unpack(value)

    @property
    def choice(self) -> Choice:
        return Choice(self.screen, self.index)


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
