"""A person's conversation state: where they are, what they chose, which buttons are live.

Stored as JSON between events (the database, or Redis); unknown keys from older versions are
dropped and missing ones take their defaults, so a stored state always loads."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

Action = tuple[str, str]
"""What a button does: ("node", "flow-id/node-id"), ("faq", id), ("german", id) (the entry's
current German text), ("flow", id), ("value", v), ("menu", ""), ("back", ""), ("counsellor", ""),
("language", ""), ("locale", code), ("no-match", ""), ("section", "entry-id/vocabulary/value") (a
value chosen under an answer's "Which is yours?"), ("speak", "faq:<id>" or "node:<flow>/<node>")
(the text read aloud), ("heard-wrong", "") (a voice note was misunderstood)."""


@dataclass
class Option:
    """A live button: what it does and its label (so that typing the label works too)."""

    action: Action
    label: str


@dataclass
class State:
    locale: str | None = None
    flow: str | None = None
    node: str | None = None
    trail: list[str] = field(default_factory=list)
    """Nodes to go back to, as "flow-id/node-id", most recent last."""
    fields: dict[str, str] = field(default_factory=dict)
    misses: int = 0
    """Free-text questions in a row that found no answer."""
    screen: int = 0
    """Increases whenever new buttons are shown; buttons carry it, so old ones are recognised."""
    options: list[Option] = field(default_factory=list)
    shown: list[str] = field(default_factory=list)
    """FAQ entries this person was shown, oldest first (for the case note)."""
    path: list[str] = field(default_factory=list)
    """Flows and nodes this person went through, as "flow-id/node-id"."""
    pending_start: str | None = None
    """A deep-link payload waiting until the person has chosen a language."""
    intake_step: str | None = None
    """Where the person is in consent and intake ("consent", "topic" ... "review"), if at all."""
    intake: dict[str, str] = field(default_factory=dict)
    """Intake answers so far (only after consent); "" marks a skipped step."""
    session: str = ""
    """A random key for this conversation in the anonymous statistics (set by the service)."""
    last_active: str = ""
    """When the person last wrote (ISO time, set by the service): a new conversation starts after
    a pause, and the first activity in a month counts the person once for that month."""
    urgent: bool = False
    """The person wrote about an emergency: the next case is marked urgent."""
    crisis: str | None = None
    """The kind of that emergency (a `CrisisKind` value, the first one written about), for the
    case note; None in states saved before it was kept."""
    case: int | None = None
    """The person's open case."""
    case_claimed: bool = False
    case_acknowledged: bool = False
    """Whether the person was told that their messages now go to the case."""
    voice: bool = False
    """/voice: answers and flow texts come as voice notes too, after their text."""

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["options"] = [[*o.action, o.label] for o in self.options]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> State:
        if not data:
            return cls()
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["options"] = [Option((o[0], o[1]), o[2]) for o in values.get("options", [])
                             if isinstance(o, list) and len(o) == 3]
        try:
            return cls(**values)
        except TypeError:
            return cls(locale=data.get("locale"))

    @property
    def at(self) -> str | None:
        return f"{self.flow}/{self.node}" if self.flow and self.node else None
