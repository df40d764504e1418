"""/healthz's verdict and the outbox backlog on /metrics, against real databases (SQLite and
PostgreSQL) and a PostgreSQL address where nobody answers."""
from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from prometheus_client.parser import text_string_to_metric_families

from bot.channels.telegram.app import make_outbox
from bot.channels.telegram.monitoring import Health
from bot.core.content.model import Content
from bot.handoff.outbox import backlog
from bot.ops import metrics
from bot.storage import migrate
from bot.storage.models import OutboxMessage
from bot.storage.repository import Storage
from tests.servers import free_port

NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
async def storage(database_url: str) -> AsyncIterator[Storage]:
    await migrate.upgrade(database_url)
    storage = Storage.open(database_url)
    yield storage
    await storage.close()


async def test_health_is_503_until_serving_and_when_the_database_does_not_answer(
        storage: Storage, fake_bot: Bot, shipped_content: Content) -> None:
    worker = make_outbox(storage, fake_bot, lambda: shipped_content, None)
    health = Health({"database": storage.ping}, worker)
    assert await health.problem() == "not serving (starting or stopping)"
    health.running = True
    assert await health.problem() == "the outbox worker is not running"
    await worker.start()
    try:
        assert await health.problem() is None
        response = await health.answer(None)  # type: ignore[arg-type]
        assert (response.status, response.text) == (200, "ok")

        nobody = Storage.open(f"postgresql+asyncpg://lotse:secret@127.0.0.1:{free_port()}/lotse")
        try:
            down = Health({"database": nobody.ping}, worker)
            down.running = True
            assert (await down.problem() or "").startswith("database does not answer (")
            response = await down.answer(None)  # type: ignore[arg-type]
            assert (response.status, response.text) == (503, "unavailable")  # no details
        finally:
            await nobody.close()
    finally:
        await worker.stop()
    assert await health.problem() == "the outbox worker is not running"


async def test_the_backlog_counts_what_waits_per_kind_and_destination(storage: Storage) -> None:
    def row(n: int, kind: str, minutes: int, delivered: bool = False) -> OutboxMessage:
        created = NOW - dt.timedelta(minutes=minutes)
        return OutboxMessage(kind=kind, dedupe_key=f"k{n}", payload={}, created_at=created,
                             next_attempt_at=created, delivered_at=NOW if delivered else None)

    async with storage.session() as session:
        session.add_all([row(1, "case_note", 30), row(2, "case_note", 5),
                         row(3, "relay_to_user", 2), row(4, "relay_to_user", 60, delivered=True),
                         row(5, "staff_notice", 90, delivered=True)])
    waiting = sorted(await backlog(storage, NOW), key=lambda w: w.kind)
    assert waiting == [metrics.Waiting("case_note", "staff", 2, 1800.0),
                       metrics.Waiting("relay_to_user", "person", 1, 120.0)]

    metrics.show_outbox_backlog(waiting)
    body, content_type = metrics.exposition(None)
    assert content_type.startswith("text/plain")
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(body.decode())
               for s in family.samples
               if s.name in ("lotse_outbox_backlog", "lotse_outbox_oldest_seconds")}
    assert samples == {
        ("lotse_outbox_backlog", (("destination", "staff"), ("kind", "case_note"))): 2,
        ("lotse_outbox_backlog", (("destination", "person"), ("kind", "relay_to_user"))): 1,
        ("lotse_outbox_oldest_seconds", (("destination", "staff"), ("kind", "case_note"))): 1800,
        ("lotse_outbox_oldest_seconds",
         (("destination", "person"), ("kind", "relay_to_user"))): 120}
    metrics.show_outbox_backlog([])  # delivered: the kinds disappear
    assert b"lotse_outbox_backlog{" not in metrics.exposition(None)[0]
