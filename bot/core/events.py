"""What goes into the engine (events) and what comes out (replies and effects)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum


# ----- events ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Start:
    """The first contact, or /start again; `payload` is a deep-link topic from a QR code."""

    payload: str | None = None
    client_locale: str | None = None
    """The language the messenger reports for the user, if any."""


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Choice:
    """A pressed button; `data` is what the button carried."""

    data: str


class MediaKind(Enum):
    VOICE = "voice"
    PHOTO = "photo"
    VIDEO = "video"
    DOCUMENT = "document"
    STICKER = "sticker"
    LOCATION = "location"
    CONTACT = "contact"
    OTHER = "other"


@dataclass(frozen=True)
class Media:
    kind: MediaKind


@dataclass(frozen=True)
class Command:
    name: str
    arg: str = ""


Event = Start | Text | Choice | Media | Command
COMMANDS = ("start", "menu", "language", "counsellor", "privacy", "help")


def typed(line: str) -> Text | Command:
    """What a person typed: a `/command arg` (also `/command@botname`) or text."""
    if line.startswith("/") and len(line) > 1 and not line[1].isspace():
        name, _, arg = line[1:].partition(" ")
        return Command(name.split("@")[0].lower(), arg.strip())
    return Text(line)


# ----- replies --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Button:
    label: str
    data: str | None = None
    url: str | None = None


class ReplyKind(Enum):
    MENU = "menu"
    """Navigation: may replace the message whose button was pressed."""
    ANSWER = "answer"
    """An answer or a notice: stays in the chat history."""


@dataclass(frozen=True)
class Reply:
    text: str
    """Telegram HTML; every user-supplied part is already escaped."""
    buttons: tuple[tuple[Button, ...], ...] = ()
    kind: ReplyKind = ReplyKind.ANSWER


# ----- effects: what the engine asks the services around it to do -----------------------------

@dataclass(frozen=True)
class SetLocale:
    locale: str


@dataclass(frozen=True)
class Handoff:
    """The person asked for a counsellor; carries what the conversation already knows."""

    topic: str | None
    fields: Mapping[str, str] = field(default_factory=dict)
    shown: tuple[str, ...] = ()
    path: tuple[str, ...] = ()


Effect = SetLocale | Handoff
