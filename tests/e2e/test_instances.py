"""Two instances at once: two real `lotse run` processes in webhook mode behind a load balancer
(the fake Bot API spreads its deliveries over both, as Telegram does: many at once, one chat's
updates in sequence), sharing one PostgreSQL database and one Redis. Fifty people ask questions
in bursts and some hand over to a counsellor: every update is handled once, each person's answers
come in the order they asked, and every case reaches the staff group exactly once."""
from __future__ import annotations

import asyncio
import contextlib
import random
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import redis

from bot.core.content.model import Content
from bot.storage import migrate
from tests.e2e.harness import BotProcess
from tests.e2e.test_staff import STAFF, intake, patient, plain
from tests.fake_bot_api import FakeBotApi, SentMessage
from tests.fake_bot_api.actors import FakeUser

PEOPLE = 50
HANDOFF_EVERY = 5
"""Every fifth person also hands over to a counsellor."""
QUESTIONS = ("course-search", "integration-course", "integration-course-costs",
             "job-language-course", "language-certificate", "vocational-training", "job-search",
             "work-permit")
BURST = 4
"""Questions each person sends at once, without waiting for the answers."""
START_REPLIES = 2  # the greeting and the menu


def title(content: Content, entry: str) -> str:
    found = content.entries[entry]
    return found.text[content.entry_lang(found, "de")].title


async def test_two_instances_share_the_work_without_doubles_or_disorder(
        tmp_path: Path, content: Content, postgres_database: str, redis_url: str,
        unused_tcp_port_factory: Callable[[], int]) -> None:
    shared_redis = redis_url.rsplit("/", 1)[0] + "/2"  # a database of its own, emptied
    with redis.Redis.from_url(shared_redis) as client:
        client.flushdb()
    ports = [unused_tcp_port_factory() for _ in range(2)]
    titles = {entry: title(content, entry) for entry in QUESTIONS}
    chance = random.Random(8)
    async with FakeBotApi() as api, contextlib.AsyncExitStack() as running:
        patient(api)
        api.group(STAFF, "Beratung", forum=True)
        instances = [BotProcess(
            api, tmp_path / f"instance-{port}", DATABASE_URL=postgres_database,
            REDIS_URL=shared_redis, WEBHOOK_URL="http://lotse.invalid/telegram",
            WEBHOOK_SECRET="s3cret", WEBHOOK_LISTEN=f"127.0.0.1:{port}",
            STAFF_CHAT_ID=str(STAFF), STAFF_GROUP_MESSAGES_PER_MINUTE="600",
            SEND_PER_SECOND="200", SEND_PER_CHAT_PER_SECOND="20") for port in ports]
        await migrate.upgrade(postgres_database)  # once, before the instances start together
        for instance in instances:
            instance.folder.mkdir()
            running.push_async_exit(instance)  # killed if the test fails before it stops them
        await asyncio.gather(*(instance.start(timeout=60) for instance in instances))
        await api.wait_until(lambda: len(api.calls_to("setWebhook")) == len(instances))
        api.balance_webhook(f"http://127.0.0.1:{port}" for port in ports)
        asked: dict[int, list[str]] = {}

        async def walk(number: int, person: FakeUser) -> None:
            await person.send("/start")
            await api.wait_for(person, lambda m: bool(m.buttons))
            asked[person.id] = chance.sample(QUESTIONS, BURST)
            for entry in asked[person.id]:
                await person.send(titles[entry])
            for entry in asked[person.id]:
                await api.wait_for(person, answering(titles[entry]))
            if number % HANDOFF_EVERY == 0:
                await intake(api, person, content, "de", f"Frage Nummer {number}")

        people = [api.user(20_000 + i, language_code="de") for i in range(PEOPLE)]
        await asyncio.gather(*(walk(i, person) for i, person in enumerate(people)))
        handoffs = PEOPLE // HANDOFF_EVERY
        await api.wait_until(lambda: len(api.topics(STAFF)) >= handoffs)
        await api.wait_until(lambda: len(case_notes(api)) >= handoffs)
        codes = [await instance.stop() for instance in instances]

    assert codes == [0, 0]
    for number, person in enumerate(people):
        answers = [e for m in api.messages(person) for e in QUESTIONS
                   if titles[e] in first_line(m.text)]
        assert answers == asked[person.id], f"person {number}: answers out of order or doubled"
        if number % HANDOFF_EVERY:
            assert len(api.messages(person)) == START_REPLIES + BURST
    delivered = Counter(update_id for update_id, _ in api.webhook_deliveries)
    assert delivered and set(delivered.values()) == {1}  # each answered at its first delivery
    per_instance = Counter(url.rsplit(":", 1)[1] for _, url in api.webhook_deliveries)
    assert all(per_instance[f"{port}/telegram"] > len(delivered) // 4 for port in ports)
    topics = sorted(topic.name.split(" ", 1)[0] for topic in api.topics(STAFF))
    assert topics == sorted(f"#{n}" for n in range(1, handoffs + 1))
    notes = Counter(note.thread_id for note in case_notes(api))
    assert len(notes) == handoffs and set(notes.values()) == {1}
    for instance in instances:
        log = instance.log.read_text()
        assert "Traceback" not in log and "person lock lost" not in log


def answering(title: str) -> Callable[[SentMessage], bool]:
    return lambda message: title in first_line(message.text)


def first_line(text: str | None) -> str:
    return plain(text).split("\n")[0]


def case_notes(api: FakeBotApi) -> list[SentMessage]:
    """The case notes in the staff group: the messages with the claim button."""
    return [m for m in api.messages(STAFF) if m.buttons and m.thread_id is not None]
