"""Live reload, end to end: the real `lotse run` against the fake Bot API, serving a copy of the
shipped content that the test edits underneath it (file watcher, /reload, `lotse content reload`)."""
from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from tests.e2e.harness import BotProcess
from tests.fake_bot_api import FakeBotApi, FakeUser, SentMessage
from tests.test_content_store import copy_content, edit

ADMIN = 900
ENTRY = "faq/entries/work/job-search.yaml"
SENTENCE = "Melden Sie sich dort arbeitsuchend."
QUESTION = "Wie finde ich eine Arbeit?"


RELOAD_SECONDS = 40.0
"""How long a reload's report may take: the edited content is loaded afresh (no cache), several
seconds of CPU that a loaded two-core machine stretches past wait_for's default 10 s."""


def contains(text: str):  # a predicate for FakeBotApi.wait_for
    return lambda message: text in (message.text or "")


async def ask(api: FakeBotApi, person: FakeUser) -> SentMessage:
    """The answer to the job-search question, as Lotse gives it now."""
    await person.send(QUESTION)
    return await api.wait_for(person, contains(QUESTION))


async def started(api: FakeBotApi, *people: FakeUser) -> None:
    """Each person has written to the bot (so it may write to them) and seen the menu."""
    for person in people:
        await person.send("/start")
        await api.wait_for(person, lambda m: bool(m.buttons))


async def test_edits_go_live_broken_ones_are_reported_and_kept_out(
        fake_api: FakeBotApi, tmp_path: Path) -> None:
    api = fake_api
    root = copy_content(tmp_path / "content")
    (tmp_path / "run").mkdir()
    person, admin = api.user(1001, "Jonas"), api.user(ADMIN, "Admin")
    async with BotProcess(api, tmp_path / "run", CONTENT_ROOT=str(root), ADMIN_IDS=str(ADMIN),
                          CONTENT_WATCH_SECONDS="0.3") as bot:
        await started(api, person, admin)
        assert SENTENCE in (await ask(api, person)).text

        edit(root / ENTRY, SENTENCE, "Dort hilft man Ihnen gern.")  # a valid edit
        await api.wait_for(admin, contains("Content reloaded"), timeout=RELOAD_SECONDS)
        assert "Dort hilft man Ihnen gern." in (await ask(api, person)).text

        edit(root / ENTRY, "\ntopic: work", "\ntopci: work")  # a broken edit ...
        edit(root / ENTRY, "Dort hilft man Ihnen gern.", "Neuer Text.")
        report = await api.wait_for(admin, contains("did not go live"), timeout=RELOAD_SECONDS)
        problem = "job-search.yaml:2: unknown key 'topci'; did you mean 'topic'?"
        assert problem in report.text
        assert problem in bot.log.read_text()  # logged before the admins were told
        assert "Dort hilft man Ihnen gern." in (await ask(api, person)).text  # the last good one

        edit(root / ENTRY, "\ntopci: work", "\ntopic: work")  # ... fixed
        await api.wait_for(admin, contains("Content reloaded"), timeout=RELOAD_SECONDS)
        assert "Neuer Text." in (await ask(api, person)).text
        assert await bot.stop() == 0
    log = bot.log.read_text()
    assert any(line.split(" WARNING ")[-1].endswith(problem)
               for line in log.splitlines() if " WARNING " in line)


async def test_reload_on_request_from_admins_and_the_command_line(
        fake_api: FakeBotApi, tmp_path: Path) -> None:
    api = fake_api
    root = copy_content(tmp_path / "content")
    run = tmp_path / "run"
    run.mkdir()
    person, admin = api.user(1001, "Jonas"), api.user(ADMIN, "Admin")
    staff = api.group(-1001500, "Beratung", forum=True, members=[admin])
    async with BotProcess(api, run, CONTENT_ROOT=str(root), ADMIN_IDS=str(ADMIN),
                          STAFF_CHAT_ID=str(staff.chat_id), CONTENT_WATCH_SECONDS="0") as bot:
        await started(api, person, admin)
        edit(root / ENTRY, SENTENCE, "Erste Änderung.")

        await person.send("/reload")  # not an admin: an ordinary unknown command
        await api.wait_for(person, contains("/delete"))  # the help, listing the commands
        assert SENTENCE in (await ask(api, person)).text
        assert "trigger=/reload" not in bot.log.read_text()

        await admin.send("/reload")
        await api.wait_for(admin, contains("Content reloaded"), timeout=RELOAD_SECONDS)
        assert "Erste Änderung." in (await ask(api, person)).text

        edit(root / ENTRY, "Erste Änderung.", "Zweite Änderung.")
        await admin.send("/reload@lotse_test_bot", chat=staff)
        await api.wait_for(staff, contains("Content reloaded"), timeout=RELOAD_SECONDS)
        assert "Zweite Änderung." in (await ask(api, person)).text
        await admin.send("/reload", chat=staff)
        await api.wait_for(staff, contains("Content unchanged"), timeout=RELOAD_SECONDS)

        edit(root / ENTRY, "Zweite Änderung.", "Dritte Änderung.")
        code, output = await lotse_content_reload(bot)
        assert code == 0, output
        await api.wait_for(admin, contains("Content reloaded"), timeout=RELOAD_SECONDS)  # SIGHUP: the admins hear of it
        assert "Dritte Änderung." in (await ask(api, person)).text

        edit(root / ENTRY, "\ntopic: work", "\ntopci: work")
        code, output = await lotse_content_reload(bot)
        assert code == 1 and "job-search.yaml:2: unknown key 'topci'" in output
        assert "Dritte Änderung." in (await ask(api, person)).text
        assert await bot.stop() == 0
    edit(root / ENTRY, "\ntopci: work", "\ntopic: work")
    assert not (run / "lotse.pid").exists()
    code, output = await lotse_content_reload(bot)  # nobody runs: nothing to signal
    assert code == 1 and "no running Lotse" in output


async def lotse_content_reload(bot: BotProcess) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "content", "reload", cwd=bot.folder,
        env=bot.environment(), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    output, _ = await process.communicate()
    return process.returncode or 0, output.decode()
