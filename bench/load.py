"""The load generator: scripted people writing to a bot through the fake Bot API, and what they
measure. A person waits for the bot's reply (the first message sent or menu edited in their chat)
before their next move, as people do; latency is the time from the update being queued at the
fake to that reply being recorded there, both on this process's clock."""
from __future__ import annotations

import asyncio
import itertools
import os
import random
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.observed_api import REPLIES, ObservedBotApi
from bot.core import bidi
from bot.core.content.model import Content
from bot.core.match_eval import load_eval_cases
from tests.fake_bot_api import FakeUser, SentMessage
from tests.fake_bot_api.models import ApiCall

REPO = Path(__file__).resolve().parent.parent
REPLY_TIMEOUT = 60.0
"""A reply later than this counts as lost (the person gives up and writes again)."""
FIRST_USER_ID = 100_000


def questions_by_language() -> dict[str, list[str]]:
    """The real questions of tests/data/match_eval.yaml, per language (the matcher's work)."""
    found: dict[str, list[str]] = {}
    for case in load_eval_cases(REPO / "tests" / "data" / "match_eval.yaml"):
        found.setdefault(case.lang, []).append(case.text)
    return found


def people(api: ObservedBotApi, count: int, languages: Sequence[str],
           first_id: int = FIRST_USER_ID) -> list[FakeUser]:
    """`count` people, their app languages taken in turn from `languages`."""
    return [api.user(first_id + n, f"P{n}", language_code=languages[n % len(languages)])
            for n in range(count)]


async def in_parallel(items: Iterable[FakeUser], act: Callable[[FakeUser], Awaitable[None]],
                      at_once: int) -> None:
    """`act` for every person, at most `at_once` of them at a time."""
    gate = asyncio.Semaphore(at_once)

    async def one(person: FakeUser) -> None:
        async with gate:
            await act(person)

    await asyncio.gather(*(one(person) for person in items))


async def say(api: ObservedBotApi, person: FakeUser, text: str) -> float:
    """Send `text`; the seconds until the bot's reply."""
    reply = api.next_call(person.id)
    queued = time.perf_counter()
    await person.send(text)
    async with asyncio.timeout(REPLY_TIMEOUT):
        return await reply - queued


def has_button(matches: Callable[[str], bool]) -> Callable[[ApiCall], bool]:
    """A reply whose keyboard has a button whose label (direction marks aside) `matches`."""
    def wanted(call: ApiCall) -> bool:
        markup = call.params.get("reply_markup")
        rows = markup.get("inline_keyboard", []) if isinstance(markup, dict) else []
        return call.method in REPLIES and any(
            matches(bidi.strip_marks(button.get("text", ""))) for row in rows for button in row)
    return wanted


def newest_with_button(api: ObservedBotApi, person: FakeUser,
                       matches: Callable[[str], bool]) -> SentMessage:
    for message in reversed(api.messages(person)):
        if any(matches(bidi.strip_marks(b.text)) for row in message.buttons for b in row):
            return message
    raise LookupError(f"no message to {person.id} with that button")


async def press(api: ObservedBotApi, person: FakeUser, matches: Callable[[str], bool]) -> None:
    """Press the button `matches` on the newest message showing it."""
    await person.press(lambda button: matches(bidi.strip_marks(button.text)),
                       newest_with_button(api, person, matches))


# ---- closed-loop conversations: throughput and latency -------------------------------------

@dataclass
class Conversations:
    """What a conversation phase measured: the reply latency of every question asked in its
    window (also when the reply came after it), and the replies that came within the window."""

    window: float
    latencies: list[float] = field(default_factory=list)
    replied_in_window: int = 0
    replied: int = 0
    """Every reply, in the warm-up too."""
    lost: int = 0

    @property
    def per_second(self) -> float:
        return self.replied_in_window / self.window

    def percentile(self, share: float) -> float:
        """The latency below which `share` of the replies came (nearest rank), in seconds."""
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


async def start_everyone(api: ObservedBotApi, crowd: Sequence[FakeUser], at_once: int) -> None:
    """Every person sends /start and gets the bot's first reply."""
    async def start(person: FakeUser) -> None:
        await say(api, person, "/start")
    await in_parallel(crowd, start, at_once)


async def converse(api: ObservedBotApi, crowd: Sequence[FakeUser], questions: dict[str, list[str]],
                   *, warmup: float, window: float, think: tuple[float, float],
                   seed: int = 1) -> Conversations:
    """Each person asks questions in their language, waiting for each reply and then `think`
    (min, max) seconds; with a think time, each starts after a random part of it, so that they
    do not all write at once. Measured: the `window` after `warmup`."""
    result = Conversations(window)
    rng = random.Random(seed)
    begin = time.perf_counter() + warmup
    end = begin + window

    async def ask(person: FakeUser) -> None:
        await asyncio.sleep(rng.uniform(0, think[1]))
        mine = questions[person.language_code or "de"]
        for text in itertools.islice(itertools.cycle(mine), rng.randrange(len(mine)), None):
            asked = time.perf_counter()
            if asked >= end:
                return
            try:
                latency = await say(api, person, text)
            except TimeoutError:
                result.lost += 1
                continue
            result.replied += 1
            if begin <= asked:
                result.latencies.append(latency)
                result.replied_in_window += asked + latency <= end
            if think[1] > 0:
                await asyncio.sleep(rng.uniform(*think))

    await asyncio.gather(*(ask(person) for person in crowd))
    return result


# ---- conversation state for many people ----------------------------------------------------

async def hold_state(api: ObservedBotApi, crowd: Sequence[FakeUser], flows: Sequence[str],
                     at_once: int) -> int:
    """Each person opens a flow by deep link (`/start <flow>`, as from a county's web page or
    poster), one update each: every one of them is then in a flow, in their language, which
    the bot must remember. Returns how many got no answer."""
    lost = 0

    async def settle(person: FakeUser, flow: str) -> None:
        nonlocal lost
        try:
            await say(api, person, f"/start {flow}")
        except TimeoutError:
            lost += 1

    await in_parallel(crowd, lambda person: settle(person, flows[person.id % len(flows)]),
                      at_once)
    return lost


def cpu_seconds(pid: int | None = None) -> float:
    """The CPU time (user + system, all threads) process `pid` has used, default this one."""
    if pid is None:
        return time.process_time()
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def resident_kib(pid: int) -> int:
    """The process's resident memory (VmRSS in /proc/<pid>/status), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise LookupError(f"no VmRSS for process {pid}")


# ---- handoff: consent to case note ---------------------------------------------------------

@dataclass(frozen=True)
class Handoff:
    """Seconds from pressing "I agree" to the case note in the staff group, and the part of it
    from pressing "Send" (the intake done) to the note."""

    from_consent: float
    from_send: float


async def hand_over(api: ObservedBotApi, person: FakeUser, content: Content, staff_chat: int,
                    question: str) -> Handoff:
    """One person through consent and every intake step to a sent case, each button pressed as
    soon as it shows; timed until the case note (the first message into the staff group)."""
    locale = person.language_code or "de"
    t = content.ui.get(locale)

    def ends(label: str) -> Callable[[str], bool]:
        return lambda text: text.endswith(label)

    def vocabulary(name: str, key: str) -> Callable[[str], bool]:
        label = content.vocabulary_label(name, key, locale)
        return lambda text: text == label

    async def step(matches: Callable[[str], bool], action: Callable[[], Awaitable[object]]
                   ) -> None:
        shown = api.next_call(person.id, has_button(matches))
        await action()
        async with asyncio.timeout(REPLY_TIMEOUT):
            await shown

    await say(api, person, "/start")
    await step(ends(t.gettext("I agree")), lambda: person.send("/counsellor"))
    consented = time.perf_counter()
    await step(vocabulary("topic", "language"), lambda: press(api, person, ends(t.gettext(
        "I agree"))))
    await step(vocabulary("residence_status", "permit"),
               lambda: press(api, person, vocabulary("topic", "language")))
    await step(vocabulary("german_level", "a1"),
               lambda: press(api, person, vocabulary("residence_status", "permit")))
    asked = api.next_call(person.id)
    await press(api, person, vocabulary("german_level", "a1"))
    async with asyncio.timeout(REPLY_TIMEOUT):
        await asked
    await step(vocabulary("contact_preference", "chat"), lambda: person.send(question))
    await step(ends(t.gettext("Skip")),
               lambda: press(api, person, vocabulary("contact_preference", "chat")))
    await step(ends(t.gettext("Send")), lambda: press(api, person, ends(t.gettext("Skip"))))
    note = api.next_call(staff_chat, lambda call: call.method == "sendMessage")
    sent = time.perf_counter()
    await press(api, person, ends(t.gettext("Send")))
    async with asyncio.timeout(REPLY_TIMEOUT):
        posted = await note
    return Handoff(posted - consented, posted - sent)
