"""What goes into the engine (events) and what comes out (replies and effects)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from bot.core.matcher import Confidence

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
    semantic: Mapping[str, float] | None = field(default=None, compare=False, hash=False)
    """Cosines per FAQ entry from the optional semantic layer (`bot.semantic.layer`), when it
    answered in time; the engine stays pure, so the conversation layer asks before the step."""


@dataclass(frozen=True)
class Choice:
    """A pressed button: the option `index` of the screen numbered `screen` (`Turn.say` numbers
    them). A press of a button that is no option of ours (forged, or another version's data) is
    `FOREIGN`."""

    screen: int
    index: int


FOREIGN = Choice(-1, -1)


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
    ref: str | None = None
    """The channel's reference to the file (relayed to a counsellor, never read by the engine)."""


@dataclass(frozen=True)
class Spoken:
    """A voice note the channel's transcriber understood: shown back, then handled as typed
    text. `ref` is the channel's reference to the audio (relayed with the transcript in an open
    case)."""

    text: str
    ref: str | None = None


@dataclass(frozen=True)
class Command:
    name: str
    arg: str = ""


# ----- events from the counsellors' side, about the person's case ------------------------------

@dataclass(frozen=True)
class CaseOpened:
    case_id: int
    now: datetime
    by_phone: bool = False


@dataclass(frozen=True)
class CaseClaimed:
    case_id: int


@dataclass(frozen=True)
class CaseClosed:
    case_id: int


Event = (Start | Text | Choice | Media | Spoken | Command | CaseOpened | CaseClaimed |
         CaseClosed)


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
    data: Choice | None = None
    """What pressing it chooses (a button without is a link, `url`)."""
    url: str | None = None


class ReplyKind(Enum):
    MENU = "menu"
    """Navigation: may replace the message whose button was pressed."""
    ANSWER = "answer"
    """An answer or a notice: stays in the chat history."""


@dataclass(frozen=True)
class Speech:
    """A text to be read aloud as a voice note (`bot.core.speech`): its parts, each with the
    language to read it in (German office terms in German), and, when the content has a
    county's recording of it, that file (relative to the content root), which wins."""

    parts: tuple[tuple[str, str], ...]
    """(plain text, language) in reading order."""
    language: str
    """The person's language: whose voice reads it."""
    unavailable: str
    """What the person is told when there is no voice for `language` (Telegram HTML)."""
    recording: str | None = None

    @property
    def text(self) -> str:
        return "".join(text for text, _ in self.parts)

    def as_json(self) -> dict[str, Any]:
        return {"parts": [list(part) for part in self.parts], "language": self.language,
                "unavailable": self.unavailable, "recording": self.recording}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Speech:
        return cls(tuple((str(text), str(lang)) for text, lang in data["parts"]),
                   str(data["language"]), str(data["unavailable"]), data.get("recording"))


@dataclass(frozen=True)
class Reply:
    text: str
    """Telegram HTML; every user-supplied part is already escaped."""
    buttons: tuple[tuple[Button, ...], ...] = ()
    kind: ReplyKind = ReplyKind.ANSWER
    voice: Speech | None = None
    """A voice note instead of a text message (the 🔊 button, /voice): `text` is then empty."""

    def as_json(self) -> dict[str, Any]:
        """The one JSON form a reply is kept in (the replay record, the outbox's reply rows)."""
        data: dict[str, Any] = {
            "text": self.text, "kind": self.kind.value,
            "buttons": [[{"label": b.label, "url": b.url} if b.url else
                         {"label": b.label, "choice": _choice_json(b.data)} for b in row]
                        for row in self.buttons]}
        if self.voice is not None:
            data["voice"] = self.voice.as_json()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Reply:
        """A reply from `as_json`'s form, or from the two kept before it: a replay record's
        buttons as [label, data, url], an outbox row's as {label, data} without a kind (an
        answer), their data a choice as "<screen>:<index>"."""
        def button(b: dict[str, Any] | list[Any]) -> Button:
            if isinstance(b, list):
                label, data, url = b
                return Button(label, _old_choice(data), url)
            choice = b.get("choice")
            return Button(str(b["label"]), Choice(*choice) if choice else _old_choice(
                b.get("data")), b.get("url"))

        buttons = tuple(tuple(button(b) for b in row) for row in data.get("buttons", []))
        voice = data.get("voice")
        return cls(str(data.get("text", "")), buttons, ReplyKind(data.get("kind", "answer")),
                   None if voice is None else Speech.from_json(voice))


def _choice_json(choice: Choice | None) -> list[int] | None:
    return None if choice is None else [choice.screen, choice.index]


def _old_choice(data: str | None) -> Choice | None:
    if data is None:
        return None
    screen, _, index = data.partition(":")
    return Choice(int(screen), int(index))


# ----- effects: what the engine asks the services around it to do -----------------------------

@dataclass(frozen=True)
class SetLocale:
    locale: str


@dataclass(frozen=True)
class GiveConsent:
    """The person agreed that a counsellor may see what they tell (the service notes the time)."""


@dataclass(frozen=True)
class OpenCase:
    """Intake is complete: create the case and its note; answer with a `CaseOpened` event."""

    intake: Mapping[str, str]
    locale: str
    shown: tuple[str, ...] = ()
    path: tuple[str, ...] = ()
    urgent: bool = False
    crisis: str | None = None
    """The kind of crisis that made it urgent (a `CrisisKind` value), if known."""


@dataclass(frozen=True)
class RelayToCase:
    """Something the person wrote or sent while their case is open: it goes to the counsellor."""

    case_id: int
    text: str | None = None
    kind: MediaKind | None = None
    ref: str | None = None


@dataclass(frozen=True)
class MarkUrgent:
    """The person wrote about an emergency while their case is open."""

    case_id: int
    crisis: str | None = None
    """Its kind (a `CrisisKind` value)."""


@dataclass(frozen=True)
class Answered:
    """An FAQ entry was shown (counted for the statistics, anonymously)."""

    entry_id: str
    sections: tuple[tuple[str, str], ...] = ()
    """The sections shown, as (vocabulary, key) (`bot.core.content.sections`)."""
    chosen: bool = False
    """The sections of an answer already counted, which the person chose under "Which is
    yours?"."""


@dataclass(frozen=True)
class Unanswered:
    """A free-text question found no confident answer (kept, unlinked, for the content gaps)."""

    text: str


@dataclass(frozen=True)
class Matched:
    """A typed question went through the FAQ matcher with this outcome (counted for /metrics)."""

    confidence: Confidence


@dataclass(frozen=True)
class CrisisSignal:
    """A message read as a crisis of this kind (`certain`) or as a possible one (asked about);
    counted for /metrics and logged by id, never with the text."""

    kind: str
    certain: bool


@dataclass(frozen=True)
class EraseMe:
    """The person asked to delete everything Lotse stored about them."""


@dataclass(frozen=True)
class RateCase:
    case_id: int
    rating: int
    """3 helped, 2 partly, 1 did not help."""


@dataclass(frozen=True)
class RefusedButton:
    """A button that is not on the person's current screen: stale, replayed or forged. Nothing
    happens but the polite answer; the conversation layer logs it by id."""


Effect = (SetLocale | GiveConsent | OpenCase | RelayToCase | MarkUrgent | RateCase | EraseMe |
          Answered | Unanswered | Matched | RefusedButton | CrisisSignal)
