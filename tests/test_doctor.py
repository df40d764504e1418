"""`lotse doctor` against the fake Bot API, a real SQLite file and the shipped content."""
from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.clock import utcnow
from bot.config import REPO_ROOT, Settings
from bot.ops.doctor import REACH_SECONDS, Finding, diagnose, outbox
from bot.storage import migrate
from bot.storage.outbox_rows import OutboxRows
from bot.storage.repository import Storage
from tests.e2e.harness import BotProcess
from tests.fake_bot_api import FakeBotApi
from tests.fake_bot_api.policies import Faults

pytestmark = pytest.mark.e2e  # real `lotse doctor` processes against the fake Bot API

STAFF = -1001234567890


@pytest.fixture(autouse=True)
def confirmed_content(tmp_path: Path) -> None:
    """In content/ beside each test's database: the shipped content with every value of the
    organisation confirmed, as a county's would be when it goes live."""
    for folder in ("faq", "flows"):
        shutil.copytree(REPO_ROOT / folder, tmp_path / "content" / folder)
    organisation = tmp_path / "content" / "faq" / "organisation.yaml"
    text = organisation.read_text(encoding="utf-8")
    assert ": false\n" in text
    organisation.write_text(text.replace(": false\n", ": true\n"), encoding="utf-8")


@pytest.fixture
async def database(tmp_path: Path) -> Path:
    path = tmp_path / "lotse.sqlite3"
    await migrate.upgrade(f"sqlite+aiosqlite:///{path}")
    return path


def settings(api: FakeBotApi, database: Path, **overrides: str) -> Settings:
    values = {"BOT_TOKEN": api.token, "TELEGRAM_API_BASE": api.base_url,
              "DATABASE_URL": f"sqlite:///{database}", "STAFF_CHAT_ID": str(STAFF),
              "ADMIN_IDS": "900", "CONTENT_ROOT": str(database.parent / "content")} | overrides
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


def failed(findings: list[Finding]) -> list[str]:
    return [f.what for f in findings if f.ok is False]


async def test_all_good_exits_0(fake_api: FakeBotApi, database: Path) -> None:
    fake_api.group(STAFF, "Beratung", forum=True)
    env = BotProcess(fake_api, database.parent, STAFF_CHAT_ID=str(STAFF), ADMIN_IDS="900",
                     CONTENT_ROOT=str(database.parent / "content")).environment()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "doctor", cwd=database.parent, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await process.communicate()
    lines = out.decode().splitlines()
    assert process.returncode == 0, out.decode() + err.decode()
    assert len(lines) == 9 and all(line.startswith("✓ ") for line in lines), lines
    assert "✓ staff group 'Beratung' (-1001234567890) is a forum" in lines
    assert any(line.startswith("✓ outbox: nothing waiting") for line in lines)


async def test_a_wrong_token_is_named_and_the_rest_not_checked(
        fake_api: FakeBotApi, database: Path) -> None:
    fake_api.group(STAFF, forum=True)
    findings = await diagnose(settings(fake_api, database, BOT_TOKEN="123456:WRONG"))
    assert failed(findings) == ["Telegram rejects BOT_TOKEN (Unauthorized)"]
    assert "@BotFather" in next(f.fix for f in findings if f.ok is False)
    assert [f.what for f in findings if f.ok is None] == [
        "staff group: not checked (needs a working BOT_TOKEN)",
        "webhook: not checked (needs a working BOT_TOKEN)"]


async def test_without_a_staff_group_the_web_workspace_is_the_staff_channel(
        fake_api: FakeBotApi, database: Path) -> None:
    findings = await diagnose(settings(fake_api, database, STAFF_CHAT_ID="",
                                       WEB_LISTEN="127.0.0.1:8090"))
    assert "STAFF_CHAT_ID is not set" not in failed(findings)
    assert any(f.ok and "web workspace" in f.what for f in findings)
    alone = await diagnose(settings(fake_api, database, STAFF_CHAT_ID=""))
    assert "STAFF_CHAT_ID is not set" in failed(alone)


async def test_a_staff_group_without_topics(fake_api: FakeBotApi, database: Path) -> None:
    fake_api.group(STAFF, "Beratung", forum=False)
    findings = await diagnose(settings(fake_api, database))
    assert failed(findings) == ["staff group 'Beratung' (-1001234567890) is not a forum"]
    assert "Topics" in next(f.fix for f in findings if f.ok is False)


async def test_the_bot_is_not_an_admin_of_the_staff_group(
        fake_api: FakeBotApi, database: Path) -> None:
    group = fake_api.group(STAFF, "Beratung", forum=True)
    group.add_member(fake_api.user(900), "administrator")
    group.add_member(int(fake_api.token.split(":")[0]), "member")
    findings = await diagnose(settings(fake_api, database))
    assert failed(findings) == [
        "the bot is member, not an admin, in the staff group 'Beratung' (-1001234567890)"]


async def test_missing_group_admins_and_webhook_mismatch(
        fake_api: FakeBotApi, database: Path) -> None:
    findings = await diagnose(settings(fake_api, database, ADMIN_IDS="",
                                       WEBHOOK_URL="https://lotse.example.org/telegram",
                                       WEBHOOK_SECRET="s3cret"))
    assert failed(findings) == [
        "staff group -1001234567890: Telegram says 'Bad Request: chat not found'",
        "Telegram's webhook is not set, WEBHOOK_URL is https://lotse.example.org/telegram",
        "ADMIN_IDS is empty"]


async def test_pending_migrations(fake_api: FakeBotApi, tmp_path: Path) -> None:
    fake_api.group(STAFF, forum=True)
    empty = tmp_path / "fresh.sqlite3"
    empty.touch()  # a database file nobody migrated yet
    findings = await diagnose(settings(fake_api, empty))
    head = migrate.head_revision()
    assert failed(findings) == [
        f"database reachable, but at migration none; the code expects {head}"]
    assert findings[0].fix == "run `lotse db upgrade`"
    assert findings[-1].ok is None  # the outbox needs the tables

    await migrate.upgrade(f"sqlite+aiosqlite:///{empty}")
    assert failed(await diagnose(settings(fake_api, empty))) == []


async def test_the_shipped_example_organisation_is_not_confirmed(
        fake_api: FakeBotApi, database: Path) -> None:
    fake_api.group(STAFF, "Beratung", forum=True)
    findings = await diagnose(settings(fake_api, database, CONTENT_ROOT=str(REPO_ROOT)))
    assert failed(findings) == ["content: the organisation's phone, office_hours, response_time "
                                "not confirmed (people would be shown them as fact)"]
    assert "faq/organisation.yaml" in next(f.fix for f in findings if f.ok is False)


async def test_a_failing_bot_api_is_asked_once_and_named(database: Path) -> None:
    async with FakeBotApi(faults=Faults(rate=1.0, kinds=(502,), methods=("getMe",))) as api:
        findings = await diagnose(settings(api, database))
    assert failed(findings) == [f"the Bot API at {api.base_url} does not answer "
                                "(TelegramServerError: Telegram server says - Bad Gateway)"]
    assert api.injected_faults == [("getMe", 502)]  # not retried (ten tries took 40 s)
    assert [f.what for f in findings if f.ok is None] == [
        "staff group: not checked (needs a working BOT_TOKEN)",
        "webhook: not checked (needs a working BOT_TOKEN)"]


@pytest.fixture
async def silent_port() -> AsyncIterator[int]:
    """A loopback port that accepts connections and never says a word."""
    held: list[asyncio.StreamWriter] = []

    async def hold(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    for writer in held:
        writer.close()
    server.close()


async def test_a_database_and_a_bot_api_that_hang_are_named(
        database: Path, silent_port: int) -> None:
    async with FakeBotApi(faults=Faults(latency=(3600, 3600), methods=("getMe",))) as api:
        # A guard against hanging, far above the REACH_SECONDS the checks have: the driver's and
        # aiogram's own timeouts are 60 s (ten times for getMe, before).
        async with asyncio.timeout(40):
            findings = await diagnose(settings(
                api, database, DATABASE_URL=f"postgresql://lotse:x@127.0.0.1:{silent_port}/lotse"))
    within = f"within {REACH_SECONDS:g} s"
    assert failed(findings) == [f"the database at 127.0.0.1 did not answer {within}",
                                f"the Bot API at {api.base_url} did not answer {within}"]
    assert [f.what for f in findings if f.ok is None] == [
        "staff group: not checked (needs a working BOT_TOKEN)",
        "webhook: not checked (needs a working BOT_TOKEN)",
        "outbox: not checked (needs a database that answers)"]


async def test_the_outbox_counts_every_kind_waiting_and_fails_on_the_oldest(
        fake_api: FakeBotApi, database: Path) -> None:
    """Rows of two kinds wait: doctor counts them together and dates them by the oldest."""
    storage = Storage.open(f"sqlite+aiosqlite:///{database}")
    try:
        rows = OutboxRows(storage)
        await rows.add("staff_prompt", {"text": "a"}, utcnow() - dt.timedelta(minutes=30))
        await rows.add("reply_to_user", {"text": "b"}, utcnow() - dt.timedelta(minutes=1))
    finally:
        await storage.close()
    finding = await outbox(settings(fake_api, database))
    assert finding.ok is False
    assert finding.what.startswith("outbox: 2 message(s) waiting, the oldest for 30")
