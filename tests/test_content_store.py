"""Reloading content under people in the middle of a conversation (the service with a real SQLite
file and a copy of the shipped content): broken content never goes live, buttons shown before a
reload keep working unless the screen changed, and a place that vanished lands in the menu."""
from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import REPO_ROOT
from bot.core import telegram_html
from bot.core.content.loader import load_or_raise
from bot.core.events import Choice, Command, Reply
from bot.ops.content_store import ContentStore, Outcome
from bot.services.conversation import Conversations, Person
from bot.storage import migrate
from bot.storage.repository import Storage

pytestmark = pytest.mark.e2e  # each test loads a copy of the content and reloads it: seconds

UI_DIR = REPO_ROOT / "translations"
CHANGED = "This part of the menu has changed. Here is the main menu."
STALE = "This button belongs to an older message. Here is where you are now."
MENU = "What would you like to know?"


def copy_content(into: Path) -> Path:
    for folder in ("faq", "flows"):
        shutil.copytree(REPO_ROOT / folder, into / folder)
    return into


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture
async def setup(tmp_path: Path) -> AsyncIterator[tuple[ContentStore, Conversations]]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'lotse.sqlite3'}"
    await migrate.upgrade(url)
    storage = Storage.open(url)
    root = copy_content(tmp_path / "content")
    store = ContentStore(load_or_raise(root, UI_DIR), UI_DIR)
    yield store, Conversations(storage, store)
    await storage.close()


def text(replies: list[Reply]) -> str:
    return "\n".join(telegram_html.parse(r.text) for r in replies)


def data(replies: list[Reply], label: str) -> Choice:
    """The choice of the button labelled `label`."""
    found = [b.data for r in replies for row in r.buttons for b in row
             if b.label == label and b.data]
    assert found, (label, [b.label for r in replies for row in r.buttons for b in row])
    return found[0]


async def test_broken_content_stays_out_and_a_fix_goes_live(
        setup: tuple[ContentStore, Conversations]) -> None:
    store, _ = setup
    first = store()
    assert (await store.reload()).outcome is Outcome.UNCHANGED
    entry = store.root / "faq/entries/work/job-search.yaml"
    edit(entry, "\ntopic:", "\ntopci:")
    rejected = await store.reload()
    assert rejected.outcome is Outcome.REJECTED and store() is first
    assert any(str(p).endswith(f"job-search.yaml:{p.line}: unknown key 'topci'; did you mean "
                               "'topic'?") for p in rejected.errors), rejected.errors
    edit(entry, "\ntopci:", "\ntopic:")
    edit(entry, "Arbeit", "Erwerbsarbeit")
    applied = await store.reload()
    assert applied.outcome is Outcome.APPLIED and store() is applied.live
    assert applied.previous_version == first.version != applied.live.version


async def test_a_reload_keeps_buttons_and_lands_a_vanished_place_in_the_menu(
        setup: tuple[ContentStore, Conversations]) -> None:
    store, conversations = setup
    asking, browsing = Person("telegram", "1"), Person("telegram", "2")
    for person in (asking, browsing):
        await conversations.handle(person, Command("language", "en"))
        work_menu = await conversations.handle(person, data(
            await conversations.handle(person, Command("menu")), "Work"))
    status_question = await conversations.handle(asking, data(work_menu, "May I work?"))
    asylum = data(status_question, "Asylum procedure (Aufenthaltsgestattung)")

    flow = store.root / "flows/work.yaml"  # the node `asking` is at is renamed away
    edit(flow, "  ask-status:\n", "  ask-residence:\n")
    edit(flow, "goto: ask-status", "goto: ask-residence")
    edit(store.root / "faq/entries/work/job-search.yaml", "Arbeit", "Erwerbsarbeit")
    assert (await store.reload()).outcome is Outcome.APPLIED

    landed = await conversations.handle(asking, asylum)
    assert CHANGED in text(landed) and MENU in text(landed)
    assert STALE not in text(landed)

    # The screen did not change: a button shown before the reload still does what it said,
    # on the new content.
    find_job = data(work_menu, "How do I find a job?")
    answer = await conversations.handle(browsing, find_job)
    assert STALE not in text(answer) and CHANGED not in text(answer)
    assert store().entries["job-search"].text["en"].title in text(answer)
    # Now that screen is gone: the same button is stale.
    again = await conversations.handle(browsing, find_job)
    assert STALE in text(again)


async def test_the_admin_report_is_escaped_and_split(
        setup: tuple[ContentStore, Conversations]) -> None:
    from bot.channels.telegram.admin import report
    from bot.core.content.problems import Problem
    from bot.ops.content_store import ReloadResult

    store, _ = setup
    problems = tuple(Problem(f"flows/f{n}.yaml", n, "unknown key '<b>' & more") for n in range(300))
    parts = telegram_html.split(report(ReloadResult(Outcome.REJECTED, store(), "old", problems)))
    assert len(parts) > 1
    shown = [telegram_html.parse(part) for part in parts]  # raises on broken markup
    assert all(telegram_html.length(part) <= telegram_html.MESSAGE_LIMIT for part in parts)
    assert sum(line.endswith("unknown key '<b>' & more") for s in shown
               for line in s.splitlines()) == 300
