"""The benchmark suite on one backend: the echo bot and the real `lotse run` process against one
fake Bot API server, and the figures of bench/load.py for them. `bench/run.py` runs it on SQLite
and on PostgreSQL+Redis and reports."""
from __future__ import annotations

import math
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import redis

from bench import load
from bench.observed_api import ObservedBotApi
from bot.core.content.model import Content
from tests.e2e.harness import BotProcess

STAFF_CHAT = -1001234567890
COUNSELLOR = 7001
UNTHROTTLED = {
    # The bot's own pacing and flood protection are sized for Telegram and for people; scripted
    # people are faster than both, and the fake has no flood limits: measure the bot, not them.
    "THROTTLE_BURST": "1000000", "THROTTLE_PER_SECOND": "1000000",
    "SEND_PER_SECOND": "1000000", "SEND_PER_CHAT_PER_SECOND": "1000",
    "STAFF_GROUP_MESSAGES_PER_MINUTE": "600", "STAFF_CHAT_ID": str(STAFF_CHAT),
}


class EchoProcess(BotProcess):
    """bench/echo_bot.py, started and stopped like the bot."""

    command = (str(Path(__file__).with_name("echo_bot.py")),)


@dataclass(frozen=True)
class Plan:
    """How much load: the full suite (`make bench`) or a few people for a few seconds (its test)."""

    throughput_people: int = 100
    throughput_window: float = 6.0
    latency_levels: tuple[int, ...] = (50, 200, 500)
    latency_window: float = 10.0
    think: tuple[float, float] = (4.0, 12.0)
    """Seconds a person reads and types before writing again (uniform), in the latency runs."""
    warmup: float = 3.0
    people_with_state: int = 10_000
    handoffs: int = 10
    at_once: int = 200
    """People starting at the same time when many are set up."""


QUICK = Plan(throughput_people=4, throughput_window=1.0, latency_levels=(4,), latency_window=1.0,
             think=(0.05, 0.2), warmup=0.2, people_with_state=20, handoffs=1, at_once=10)


@dataclass
class Backend:
    """Where the bot keeps its data: SQLite in the process's folder, or PostgreSQL (a fresh
    database for each process) with Redis (emptied for each process)."""

    name: str
    postgres_url: str | None = None
    redis_url: str | None = None
    _databases: int = 0

    async def settings(self) -> dict[str, str]:
        if self.postgres_url is None:
            return {}
        self._databases += 1
        name = f"lotse_bench_{self._databases}"
        connection = await asyncpg.connect(self.postgres_url.replace("postgresql+asyncpg://",
                                                                     "postgresql://"))
        try:
            await connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            await connection.execute(f"CREATE DATABASE {name}")
        finally:
            await connection.close()
        settings = {"DATABASE_URL": self.postgres_url.rsplit("/", 1)[0] + f"/{name}"}
        if self.redis_url is not None:
            client = redis.Redis.from_url(self.redis_url)
            try:
                client.flushdb()
            finally:
                client.close()
            settings["REDIS_URL"] = self.redis_url
        return settings

    def redis_memory(self) -> int | None:
        """Bytes Redis uses now (INFO memory: used_memory), None without Redis."""
        if self.redis_url is None:
            return None
        client = redis.Redis.from_url(self.redis_url)
        try:
            return int(client.info("memory")["used_memory"])
        finally:
            client.close()


@dataclass
class Latency:
    people: int
    replies: int
    lost: int
    per_second: float
    p50_ms: float
    p95_ms: float
    p99_ms: float


@dataclass
class BackendFigures:
    backend: str
    echo: Throughput | None = None
    lotse: Throughput | None = None
    latency: list[Latency] = field(default_factory=list)
    handoff_from_consent_s: list[float] = field(default_factory=list)
    handoff_from_send_s: list[float] = field(default_factory=list)
    handoffs_lost: int = 0
    """Handoffs in which a step got no answer within load.REPLY_TIMEOUT."""
    echo_rss_mb: float = 0.0
    """The echo bot's resident memory: what aiogram alone takes."""
    rss_idle_mb: float = 0.0
    """Lotse's resident memory once started, before any update."""
    people_with_state: int = 0
    """People who each opened a flow (`/start <flow>`), after all the other phases."""
    people_without_state: int = 0
    """People whose /start or press got no answer within load.REPLY_TIMEOUT."""
    state_setup_s: float = 0.0
    rss_with_state_mb: float = 0.0
    redis_with_state_mb: float | None = None
    failed_calls: int = 0
    """Calls the fake rejected during the whole run: should be 0, else a figure is suspect."""

    @property
    def echo_updates_per_second(self) -> float:
        return self.echo.per_second if self.echo else math.nan

    @property
    def lotse_updates_per_second(self) -> float:
        return self.lotse.per_second if self.lotse else math.nan

    @property
    def throughput_ratio(self) -> float:
        return self.lotse_updates_per_second / self.echo_updates_per_second

    @property
    def handoff_from_consent_median_s(self) -> float:
        return statistics.median(self.handoff_from_consent_s or [math.nan])

    @property
    def handoff_from_send_median_s(self) -> float:
        return statistics.median(self.handoff_from_send_s or [math.nan])

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {
            "throughput_ratio": round(self.throughput_ratio, 3),
            "handoff_from_consent_median_s": self.handoff_from_consent_median_s,
            "handoff_from_send_median_s": self.handoff_from_send_median_s}


def resident_mb(process: BotProcess) -> float:
    assert process.process is not None
    return round(load.resident_kib(process.process.pid) / 1024, 1)


@asynccontextmanager
async def running(process: BotProcess) -> AsyncIterator[BotProcess]:
    await process.start(timeout=60)
    try:
        yield process
    finally:
        if await process.stop(timeout=60) != 0:
            raise RuntimeError(f"{type(process).__name__} did not exit cleanly; see "
                               f"{process.log}")


@dataclass
class Throughput:
    """Updates per second when `Plan.throughput_people` write without pause, and the CPU time
    per update of the bot process and of this one (the fake Bot API and the scripted people)."""

    per_second: float
    bot_cpu_ms: float
    generator_cpu_ms: float


async def throughput(api: ObservedBotApi, process: BotProcess, plan: Plan, first_id: int,
                     questions: dict[str, list[str]]) -> Throughput:
    assert process.process is not None
    crowd = load.people(api, plan.throughput_people, list(questions), first_id)
    await load.start_everyone(api, crowd, plan.at_once)
    bot, generator = load.cpu_seconds(process.process.pid), load.cpu_seconds()
    measured = await load.converse(api, crowd, questions, warmup=plan.warmup,
                                   window=plan.throughput_window, think=(0.0, 0.0))
    per_update = 1000 / max(measured.replied, 1)
    return Throughput(
        round(measured.per_second, 1),
        round((load.cpu_seconds(process.process.pid) - bot) * per_update, 2),
        round((load.cpu_seconds() - generator) * per_update, 2))


async def run_backend(backend: Backend, plan: Plan, content: Content,
                      progress: Callable[[str], None] = print) -> BackendFigures:
    """The echo bot's throughput, then one Lotse process through throughput, latency, handoffs
    and `plan.people_with_state` more people holding state (its memory before and after)."""
    questions = load.questions_by_language()
    languages = list(questions)
    figures = BackendFigures(backend.name)
    with tempfile.TemporaryDirectory(prefix="lotse-bench-") as temporary:
        folder = Path(temporary)
        async with ObservedBotApi() as api:
            api.group(STAFF_CHAT, "Beratung", members=[api.user(COUNSELLOR, "Lena")])
            (folder / "echo").mkdir()
            async with running(EchoProcess(api, folder / "echo")) as echo:
                figures.echo = await throughput(api, echo, plan, 1_000_000, questions)
                figures.echo_rss_mb = resident_mb(echo)
            progress(f"{backend.name}: echo bot {figures.echo_updates_per_second:.0f} updates/s")

            # cold, as in production: its memory figures are its own, not a fork server's
            lotse = BotProcess(api, folder, forked=False, **UNTHROTTLED, **await backend.settings())
            async with running(lotse):
                figures.rss_idle_mb = resident_mb(lotse)
                figures.lotse = await throughput(api, lotse, plan, 2_000_000, questions)
                progress(f"{backend.name}: Lotse {figures.lotse_updates_per_second:.0f} "
                         f"updates/s")
                crowd = load.people(api, max(plan.latency_levels), languages, 3_000_000)
                await load.start_everyone(api, crowd, plan.at_once)
                for level in plan.latency_levels:
                    measured = await load.converse(api, crowd[:level], questions,
                                                   warmup=plan.warmup, window=plan.latency_window,
                                                   think=plan.think)
                    figures.latency.append(Latency(
                        level, len(measured.latencies), measured.lost,
                        round(measured.per_second, 1),
                        *(round(measured.percentile(p) * 1000, 1) for p in (0.5, 0.95, 0.99))))
                    progress(f"{backend.name}: {figures.latency[-1]}")
                for number in range(plan.handoffs):
                    person = api.user(4_000_000 + number, f"H{number}",
                                      language_code=languages[number % len(languages)])
                    try:
                        handoff = await load.hand_over(api, person, content, STAFF_CHAT,
                                                       questions[person.language_code or "de"][0])
                    except TimeoutError:
                        figures.handoffs_lost += 1
                        continue
                    figures.handoff_from_consent_s.append(round(handoff.from_consent, 3))
                    figures.handoff_from_send_s.append(round(handoff.from_send, 3))
                progress(f"{backend.name}: handoffs {figures.handoff_from_consent_s}")
                started = time.perf_counter()
                crowd = load.people(api, plan.people_with_state, languages, 5_000_000)
                figures.people_without_state = await load.hold_state(
                    api, crowd, sorted(content.flows), plan.at_once)
                figures.people_with_state = len(crowd) - figures.people_without_state
                figures.state_setup_s = round(time.perf_counter() - started, 1)
                figures.rss_with_state_mb = resident_mb(lotse)
                redis_bytes = backend.redis_memory()
                figures.redis_with_state_mb = redis_bytes / 2**20 if redis_bytes else None
            progress(f"{backend.name}: {len(crowd)} people holding state, RSS "
                     f"{figures.rss_idle_mb:.0f} → {figures.rss_with_state_mb:.0f} MB")
            figures.failed_calls = api.failed_calls
    return figures
