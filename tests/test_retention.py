"""Retention: personal data goes after its time, anonymous counters stay; --dry-run only counts."""
from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from bot.clock import utcnow
from bot.config import REPO_ROOT
from bot.core.events import OpenCase, Text
from bot.ops.retention import purge
from bot.services.conversation import Conversations, Person
from bot.storage.models import Case, ProcessedUpdate
from tests.database import rows

NOW = dt.datetime(2026, 11, 21, 12, tzinfo=dt.UTC)


async def open_case(conversations: Conversations, who: str, question: str) -> int:
    user = await conversations.storage.user("telegram", who)
    return await conversations.cases.open(user.id, OpenCase(
        {"topic": "work", "question": question, "phone": "+4915123456789", "first_name": who},
        "de"))


async def close(conversations: Conversations, case_id: int, when: dt.datetime) -> None:
    async with conversations.storage.session() as session:
        case = await session.get_one(Case, case_id)
        case.status, case.closed_at, case.outcome = "closed", when, "answered"


async def test_purge_erases_what_is_past_its_time(conversations: Conversations) -> None:
    old = await open_case(conversations, "old", "Alte Frage zur Arbeitserlaubnis")
    recent = await open_case(conversations, "recent", "Neue Frage zur Ausbildung")
    still_open = await open_case(conversations, "open", "Offene Frage zum Sprachkurs")
    await close(conversations, old, NOW - dt.timedelta(days=91))
    await close(conversations, recent, NOW - dt.timedelta(days=10))
    await conversations.handle(Person("telegram", "chatty"), Text("hallo"))
    async with conversations.storage.session() as session:
        session.add(ProcessedUpdate(update_id=1, processed_at=NOW - dt.timedelta(days=3)))
        session.add(ProcessedUpdate(update_id=2, processed_at=NOW))

    counted = await purge(conversations.storage, NOW, 90, dry_run=True)
    assert (counted.cases, counted.update_ids) == (1, 1)
    storage = conversations.storage
    assert await rows(storage, "SELECT count(*) FROM cases WHERE question IS NOT NULL") == [(3,)]

    done = await purge(storage, NOW, 90)
    assert done == counted
    personal = dict(await rows(storage, "SELECT id, coalesce(question, '') || coalesce(phone, '')"
                                        " || coalesce(first_name, '') FROM cases"))
    kept = await rows(storage, f"SELECT topic, outcome FROM cases WHERE id = {old}")
    assert personal[old] == "" and personal[recent] and personal[still_open]
    assert kept == [("work", "answered")]  # the anonymous counters stay
    assert await rows(storage, "SELECT update_id FROM processed_updates") == [(2,)]
    assert (await purge(conversations.storage, NOW, 90)).cases == 0  # nothing left to do


async def test_people_and_states_of_the_inactive_go(conversations: Conversations) -> None:
    await conversations.handle(Person("telegram", "gone"), Text("hallo"))
    later = utcnow() + dt.timedelta(days=120)
    found = await purge(conversations.storage, later, 90)
    assert (found.states, found.people) == (1, 1)
    assert await rows(conversations.storage, "SELECT count(*) FROM users") == [(0,)]


@pytest.mark.e2e  # a real `python -m bot purge` process
def test_cli_dry_run(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}", "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-m", "bot", "purge", "--dry-run"], cwd=REPO_ROOT,
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("would erase: cases: 0, states: 0")
