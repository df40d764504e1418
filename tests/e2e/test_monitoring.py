"""/metrics and /healthz of the real `lotse run` process: the counters follow what happened (typed
questions, a handoff claimed and closed, a redelivered update, injected send failures), the output
is valid Prometheus text without anything personal in it, and /healthz says 503 while a
dependency does not answer and 200 again when it does."""
from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable
from pathlib import Path

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from bot.core.content.model import Content
from tests.e2e.harness import BotProcess
from tests.e2e.test_staff import case_topic, intake, patient, plain
from tests.fake_bot_api import FakeBotApi, Faults
from tests.servers import redis_server_binary, start_redis, stop

STAFF = -1009876543210
PERSON_ID, FIRST, LAST = 700123456, "Zainab", "Qaderi"
COUNSELLOR_ID, COUNSELLOR = 7001234, "Berger"
QUESTIONS = {"confident": "what is an integration course", "unsure": "money for the course",
             "none": "purple elephants dancing"}
CASE_QUESTION = "Where can I find a language course near Dachau?"
TRACES = (str(PERSON_ID), FIRST, LAST, str(COUNSELLOR_ID), COUNSELLOR, "Lena", str(STAFF),
          "Dachau", *QUESTIONS.values())
LABELS = {"type", "how", "outcome", "kind", "certain", "destination", "path", "reason",  # Lotse's
          "provider", "what",  # Lotse's: translation and voice
          "generation", "implementation", "major", "minor", "patchlevel", "version"}  # Python's
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(http: aiohttp.ClientSession, address: str) -> tuple[str, Samples]:
    """The /metrics text, and every sample in it by (name, labels); parsing fails on bad text."""
    async with http.get(f"http://{address}/metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = await response.text()
    samples = {(s.name, frozenset(s.labels.items())): s.value
               for family in text_string_to_metric_families(text) for s in family.samples}
    return text, samples


async def scrape_until(http: aiohttp.ClientSession, address: str,
                       condition: Callable[[Samples], bool], timeout: float = 30.0) -> Samples:
    """Scrape until `condition` holds (the bot works on in its own process)."""
    deadline = time.monotonic() + timeout
    while True:
        _, samples = await scrape(http, address)
        if condition(samples):
            return samples
        assert time.monotonic() < deadline, f"metrics never got there: {samples}"
        await asyncio.sleep(0.1)


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def total(samples: Samples, name: str, **labels: str) -> float:
    """The sum over every sample of `name` whose labels include `labels`."""
    return sum(v for (n, found), v in samples.items()
               if n == name and set(labels.items()) <= found)


async def test_metrics_follow_updates_matches_a_handoff_and_retries_and_name_nobody(
        tmp_path: Path, content: Content, unused_tcp_port: int) -> None:
    faults = Faults(rate=0.2, kinds=(429, 500), methods={"sendMessage"}, seed=3)
    address = f"127.0.0.1:{unused_tcp_port}"
    async with FakeBotApi(faults=faults) as fake, aiohttp.ClientSession() as http:
        api = patient(fake)
        person = api.user(PERSON_ID, FIRST, last_name=LAST, language_code="en")
        lena = api.user(COUNSELLOR_ID, "Lena", last_name=COUNSELLOR)
        group = api.group(STAFF, "Beratung", members=[lena])
        bot = BotProcess(api, tmp_path, WEBHOOK_URL=f"http://{address}/telegram",
                         WEBHOOK_SECRET="s3cret", WEBHOOK_LISTEN=address,
                         STAFF_CHAT_ID=str(STAFF), STAFF_GROUP_MESSAGES_PER_MINUTE="600")
        async with bot:
            async with http.get(f"http://{address}/healthz") as response:
                assert (response.status, await response.text()) == (200, "ok")
            await person.send("/start")
            await api.wait_for(person, lambda m: bool(m.buttons))
            for question in QUESTIONS.values():
                before = len(api.messages(person))
                await person.send(question)
                await api.wait_until(lambda before=before: len(api.messages(person)) > before)
            await intake(api, person, content, "en", CASE_QUESTION)
            _, note = await case_topic(api, group, 1)
            await lena.press("Übernehmen", note, chat=group)
            await api.wait_for(person, lambda m: "has taken your case" in plain(m.text))
            await lena.press("Schließen", note, chat=group)
            prompt = await api.wait_for(group, lambda m: "Ergebnis" in (m.text or ""))
            await lena.press("beantwortet", prompt, chat=group)
            await api.wait_for(person, lambda m: "Did we help you?" in plain(m.text))
            api.redeliver(api.last_update_id)  # Telegram sends an update again: handled once

            samples = await scrape_until(http, address, lambda s: (
                value(s, "lotse_updates_duplicate_total") == 1 and
                total(s, "lotse_outbox_backlog") == 0 and
                value(s, "lotse_outbox_delivered_total", kind="reply_to_user") == 2))
            text, _ = await scrape(http, address)
            assert await bot.stop() == 0

    sends = 3 + len(QUESTIONS) + 1  # intake: /start, /counsellor, the question; and ours
    assert value(samples, "lotse_updates_total", type="message") == sends
    assert value(samples, "lotse_updates_total", type="callback_query") == \
        api.last_update_id - sends
    assert total(samples, "lotse_updates_total") == api.last_update_id
    assert {outcome: value(samples, "lotse_matches_total", outcome=outcome)
            for outcome in QUESTIONS} == {"confident": 1, "unsure": 1, "none": 1}
    assert value(samples, "lotse_cases_opened_total") == 1
    assert value(samples, "lotse_cases_claimed_total", how="claimed") == 1
    assert total(samples, "lotse_cases_closed_total") == 1
    assert value(samples, "lotse_cases_closed_total", outcome="answered") == 1
    assert value(samples, "lotse_outbox_delivered_total", kind="case_note") == 1

    # every message in the person's chat is a direct reply or an outbox delivery
    to_person = [c for c in api.calls if c.ok and str(c.params.get("chat_id")) == str(PERSON_ID)]
    assert value(samples, "lotse_replies_total", how="sent") + \
        total(samples, "lotse_outbox_delivered_total", kind="reply_to_user") == \
        sum(c.method == "sendMessage" for c in to_person)
    assert value(samples, "lotse_replies_total", how="edited") == \
        sum(c.method == "editMessageText" for c in to_person)

    # every injected failure was retried once, and counted under its reason
    injected = api.injected_faults
    assert len(injected) >= 3
    assert total(samples, "lotse_send_retries_total", reason="429") == \
        sum(code == 429 for _, code in injected)
    assert total(samples, "lotse_send_retries_total", reason="5xx") == \
        sum(code == 500 for _, code in injected)
    assert total(samples, "lotse_send_retries_total") == len(injected)

    assert value(samples, "process_resident_memory_bytes") > 0
    label_values = {v for _, labels in samples for _, v in labels}
    assert {name for _, labels in samples for name, _ in labels} <= LABELS
    assert [t for t in TRACES if any(t in v for v in label_values)] == []
    assert [t for t in TRACES if t in text] == []


async def test_healthz_in_polling_mode_is_503_while_redis_hangs_and_200_when_it_is_back(
        fake_api: FakeBotApi, tmp_path: Path, unused_tcp_port: int) -> None:
    api = fake_api
    address = f"127.0.0.1:{unused_tcp_port}"
    (tmp_path / "redis").mkdir()
    redis, port = start_redis(redis_server_binary(), tmp_path / "redis")
    bot = BotProcess(api, tmp_path, REDIS_URL=f"redis://127.0.0.1:{port}/0",
                     METRICS_LISTEN=address)
    try:
        async with bot, aiohttp.ClientSession() as http:
            async def health() -> tuple[int, str]:
                async with http.get(f"http://{address}/healthz") as response:
                    return response.status, await response.text()

            assert await health() == (200, "ok")
            _, samples = await scrape(http, address)  # /metrics in polling mode too
            assert value(samples, "lotse_cases_opened_total") == 0
            redis.send_signal(signal.SIGSTOP)  # Redis hangs: no answer within the check's time
            try:
                assert await health() == (503, "unavailable")
            finally:
                redis.send_signal(signal.SIGCONT)
            assert await health() == (200, "ok")
            assert await bot.stop() == 0
    finally:
        stop(redis)
    log = bot.log.read_text(encoding="utf-8")
    assert "serving /metrics and /healthz on " + address in log
    assert "unhealthy: redis does not answer (TimeoutError)" in log
    assert "healthy again" in log
