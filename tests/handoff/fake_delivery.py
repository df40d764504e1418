"""A fake delivery: a staff channel and a people's channel (`bot.handoff.delivery`'s protocols)
that record what the outbox hands them, in order, and can be told to raise each of the protocols'
errors: `fail(method, error, times)` makes the next `times` calls of `method` raise `error`
(None: every call from now on), `block(person)` makes a person unreachable (`PersonGone`), a
`RateLimited` for a person makes their chat rest as long as it says, and `FakeStaff.hold()` keeps
the next call in hand until `release()` (a call under way while something else happens). Like a real channel, the
people's channel cannot send every medium (`SENDABLE`: others are `Undeliverable`)."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from bot.core.events import Reply
from bot.handoff.delivery import CaseNote, PersonGone, Prompt, RateLimited, Relayed, Undeliverable

SENDABLE = frozenset({"text", "photo", "document", "voice", "video"})


class Rested(RateLimited):
    """A `RateLimited` that says for how long (what a real channel keeps itself)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"FakeRateLimit: retry after {seconds:g}")
        self.seconds = seconds


@dataclass
class Failures:
    """What the next calls of each method raise."""

    planned: dict[str, list[tuple[Exception, int | None]]] = field(default_factory=dict)

    def fail(self, method: str, error: Exception, times: int | None = 1) -> None:
        self.planned.setdefault(method, []).append((error, times))

    def clear(self) -> None:
        self.planned.clear()

    def check(self, method: str) -> None:
        """Raise what is planned for this call of `method`, if anything."""
        planned = self.planned.get(method)
        if not planned:
            return
        error, times = planned[0]
        if times is not None:
            planned[0] = (error, times - 1)
            if times - 1 == 0:
                planned.pop(0)
        raise error


@dataclass
class FakeStaff(Failures):
    """The counsellors' side: `calls` are (method, what it was given), topics are numbered from
    71 in the order they were opened, every posted note is message 900."""

    where: str = "FAKE_STAFF=1"
    calls: list[tuple[str, object]] = field(default_factory=list)
    topics: int = 0
    held: asyncio.Event | None = None
    """Set once the held call is in hand (`hold`)."""
    _release: asyncio.Event = field(default_factory=asyncio.Event)

    def hold(self) -> asyncio.Event:
        """The next call waits, once in hand, until `release()`; returns an event set then."""
        self.held = asyncio.Event()
        self._release.clear()
        return self.held

    def release(self) -> None:
        self._release.set()

    def delay(self) -> float:
        return 0.0

    def start_spent(self) -> None:
        pass

    async def _called(self, name: str, what: object) -> None:
        await asyncio.sleep(0)  # a call lets other tasks run, as a network call does
        if self.held is not None and not self.held.is_set():
            self.held.set()
            await self._release.wait()
        self.check(name)
        self.calls.append((name, what))

    async def open_topic(self, name: str) -> int:
        await self._called("open_topic", name)
        self.topics += 1
        return 70 + self.topics

    async def post_note(self, topic: int, note: CaseNote) -> int:
        await self._called("post_note", (topic, note))
        return 900

    async def update_note(self, topic: int, message_id: int, note: CaseNote) -> None:
        await self._called("update_note", (topic, message_id, note.status, note.topic))

    async def relay(self, topic: int, message: Relayed) -> None:
        await self._called("relay", (topic, message))

    async def notice(self, topic: int, text: str) -> None:
        await self._called("notice", (topic, text))

    async def erase_topic(self, topic: int, notice: str) -> None:
        await self._called("erase_topic", (topic, notice))

    async def delete_topic(self, topic: int) -> None:
        await self._called("delete_topic", topic)

    async def prompt(self, topic: int | None, prompt: Prompt) -> None:
        await self._called("prompt", (topic, prompt))

    def in_topic(self, topic: int) -> list[str]:
        """What the topic shows, in order: "note", then each relay's and notice's text."""
        shown = []
        for name, what in self.calls:
            if name == "post_note" and what[0] == topic:  # type: ignore[index]
                shown.append("note")
            elif name in ("relay", "notice") and what[0] == topic:  # type: ignore[index]
                item = what[1]  # type: ignore[index]
                shown.append(item.text if isinstance(item, Relayed) else item)
        return shown


@dataclass
class FakePeople(Failures):
    """People's chats: `sent` is (person, Relayed or Reply) in the order they went."""

    sent: list[tuple[str, object]] = field(default_factory=list)
    blocked: set[str] = field(default_factory=set)
    resting: dict[str, float] = field(default_factory=dict)
    """Seconds a person's chat rests (after a `Rested`), as `delay` says."""

    def block(self, person: int | str) -> None:
        self.blocked.add(str(person))

    async def delay(self, person: str) -> float:
        return self.resting.get(person, 0.0)

    async def _send(self, name: str, person: str, what: Relayed | Reply) -> None:
        await asyncio.sleep(0)
        if person in self.blocked:
            raise PersonGone("FakeForbidden: blocked by the person", blocked=True)
        try:
            self.check(name)
        except Rested as rest:
            self.resting[person] = rest.seconds
            raise
        if isinstance(what, Relayed) and what.kind not in SENDABLE and what.file_id:
            raise Undeliverable(f"cannot send {what.kind!r}")
        self.sent.append((person, what))

    async def relay(self, person: str, message: Relayed) -> None:
        await self._send("relay", person, message)

    async def reply(self, person: str, reply: Reply) -> None:
        await self._send("reply", person, reply)

    def to(self, person: int | str) -> list[str]:
        """The texts `person` got, in order."""
        return [what.text or "" if isinstance(what, Relayed) else what.text  # type: ignore[attr-defined]
                for who, what in self.sent if who == str(person)]
