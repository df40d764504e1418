"""The latency machine translation adds to a relay (issue 15): the real `lotse run` process against
the fake Bot API and the fake translation server (tests/fake_translation.py, LibreTranslate's
protocol, answering at once), with Arabic routed to it. In the same run an Arabic person's case
(translated) and a Ukrainian person's (not routed: relayed as today, the floor) take turns: the
person writes, timed until the message is posted in the case's topic; the counsellor answers,
timed until it is sent to the person. Every text differs, so the translator's cache never
answers. What it measures is Lotse's side (protecting, the HTTP call, storing, rendering), not a
real model's seconds. Figures, not tests.

Run: python -m bench.bench_translation [--rounds 30]"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from bench import load
from bench.observed_api import ObservedBotApi, Wanted
from bench.suite import COUNSELLOR, STAFF_CHAT, UNTHROTTLED, running
from bot.config import REPO_ROOT, UI_DIR
from bot.core.content.loader import load_or_raise
from tests.e2e.harness import BotProcess
from tests.fake_bot_api.actors import FakeGroup, FakeUser
from tests.fake_bot_api.models import ApiCall
from tests.fake_translation import FakeTranslation

QUESTIONS = {"ar": "سؤالي رقم {n}: متى يبدأ الدرس القادم؟",
             "uk": "Моє питання номер {n}: коли починається наступний урок?"}
UNLIMITED = "1000000"
"""Requests a minute to the provider: its limit (60 by default) protects a county's server and
would be what this measures after its burst; the bench measures the relay."""
ANSWER = "Antwort Nummer {n}: Der nächste Kurs beginnt am Montag um neun Uhr."


def posted(marker: str) -> Wanted:
    def wanted(call: ApiCall) -> bool:
        return call.method == "sendMessage" and marker in str(call.params.get("text", ""))
    return wanted


async def timed(api: ObservedBotApi, chat: int, marker: str,
                act: Callable[[], Awaitable[object]]) -> float:
    """Milliseconds from `act` to the message with `marker` sent to `chat`."""
    arrived = api.next_call(chat, posted(marker))
    started = time.perf_counter()
    await act()
    async with asyncio.timeout(load.REPLY_TIMEOUT):
        return (await arrived - started) * 1000


async def measure(rounds: int) -> dict[str, dict[str, float]]:
    content = load_or_raise(REPO_ROOT, UI_DIR)
    found: dict[str, list[float]] = {}
    async with ObservedBotApi() as api, FakeTranslation() as fake:
        lena = api.user(COUNSELLOR, "Lena")
        group = api.group(STAFF_CHAT, "Beratung", members=[lena])
        people = {"ar": api.user(3001, language_code="ar"),
                  "uk": api.user(3002, language_code="uk")}
        with tempfile.TemporaryDirectory() as folder:
            process = BotProcess(api, Path(folder), forked=False, **UNTHROTTLED,
                                 TRANSLATION_ROUTES="libretranslate: ar",
                                 TRANSLATION_LIBRETRANSLATE_URL=fake.base,
                                 TRANSLATION_PER_MINUTE=UNLIMITED)
            async with running(process):
                threads = {}
                for number, (lang, person) in enumerate(people.items(), start=1):
                    # timed until the case note, so its topic is there
                    await load.hand_over(api, person, content, STAFF_CHAT, QUESTIONS[lang])
                    threads[lang] = next(t.thread_id for t in api.topics(group)
                                         if t.name.startswith(f"#{number} "))
                for n in range(rounds):
                    for lang, person in people.items():
                        await relay_both_ways(api, lena, group, person, threads[lang], lang,
                                              n, found)
    return {name: {"p50": round(statistics.median(values), 1),
                   "p90": round(statistics.quantiles(values, n=10)[-1], 1)}
            for name, values in found.items()}


async def relay_both_ways(api: ObservedBotApi, lena: FakeUser, group: FakeGroup,
                          person: FakeUser, thread: int, lang: str, n: int,
                          found: dict[str, list[float]]) -> None:
    question = QUESTIONS[lang].format(n=n)
    found.setdefault(f"person → topic, {lang}", []).append(await timed(
        api, STAFF_CHAT, question, lambda: person.send(question)))
    answer = ANSWER.format(n=n)
    marker = answer.split(":")[0].upper() if lang == "ar" else answer.split(":")[0]
    found.setdefault(f"counsellor → person, {lang}", []).append(await timed(
        api, person.id, marker,
        lambda: lena.send(answer, chat=group, thread_id=thread)))


def describe(figures: dict[str, dict[str, float]]) -> str:
    lines = [f"{'relay latency, ms':<40} {'p50':>7} {'p90':>7}"]
    for name, values in figures.items():
        lines.append(f"{name:<40} {values['p50']:>7.1f} {values['p90']:>7.1f}")
    for direction in ("person → topic", "counsellor → person"):
        added = figures[f"{direction}, ar"]["p50"] - figures[f"{direction}, uk"]["p50"]
        lines.append(f"{'added by translation, ' + direction:<40} {added:>7.1f}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    print(describe(asyncio.run(measure(parser.parse_args().rounds))))


if __name__ == "__main__":
    main()
