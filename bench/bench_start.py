"""Cold start of `lotse run` to the first answer (issue 18: target ≤ 3 s): a fresh `python -m bot
run` process (never forked) against the fake Bot API, timed from the spawn until a person's /start
has its answer. Twice: with an empty content cache (the content parsed, checked and indexed) and
with the cache the first start left (`CONTENT_CACHE`, bot/ops/content_cache.py). The floor is the echo
bot (bench/echo_bot.py: aiogram and nothing else) started and answered the same way, in the same
run. Figures, not tests.

Run: python -m bench.bench_start [--runs 3]"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from bench.suite import EchoProcess
from tests.e2e.harness import BotProcess
from tests.fake_bot_api import FakeBotApi

TARGET_S = 3.0


async def first_answer_s(process: BotProcess, api: FakeBotApi, user_id: int) -> float:
    """Seconds from the spawn of `process` to the answer of one person's /start."""
    started = time.perf_counter()
    await process.start(timeout=120)
    try:
        person = api.user(user_id, language_code="de")
        await person.send("/start")
        await api.wait_for(person, timeout=60)
        return time.perf_counter() - started
    finally:
        await process.stop(timeout=60)


async def measure(runs: int) -> dict[str, float]:
    """Median seconds to the first answer: echo bot, Lotse without and with the content cache."""
    found: dict[str, list[float]] = {"echo": [], "lotse, no cache": [], "lotse, cache": []}
    async with FakeBotApi() as api:
        for run in range(runs):
            with tempfile.TemporaryDirectory() as folder:
                where = Path(folder)
                cache = str(where / "cache")
                (where / "echo").mkdir()
                found["echo"].append(await first_answer_s(
                    EchoProcess(api, where / "echo", forked=False), api, 1000 + run))
                for name in ("lotse, no cache", "lotse, cache"):  # the first fills the cache
                    (where / name).mkdir()
                    found[name].append(await first_answer_s(
                        BotProcess(api, where / name, forked=False, CONTENT_CACHE=cache,
                                   CONTENT_WATCH_SECONDS="0"),
                        api, 2000 + 10 * run + len(found[name])))
    return {name: round(statistics.median(values), 2) for name, values in found.items()}


def run(runs: int = 3) -> dict[str, float]:
    return asyncio.run(measure(runs))


def describe(figures: dict[str, float]) -> str:
    lines = [f"{'start to first answer, s (median)':<40} {'now':>6} {'target':>8}"]
    for name, seconds in figures.items():
        target = f"≤ {TARGET_S:g}" if name.startswith("lotse") else "floor"
        lines.append(f"{name:<40} {seconds:>6.2f} {target:>8}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    print(describe(run(parser.parse_args().runs)))


if __name__ == "__main__":
    main()
