"""State in Redis (REDIS_URL), end to end: the real `lotse run` against the fake Bot API and a real
redis-server. The database file is deleted between two runs, so only Redis can remember where a
person was; without REDIS_URL the same press is a stale button, which shows the deletion bites."""
from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest
import redis

from bot.core import bidi
from bot.core.content.model import Content
from tests.e2e.harness import BotProcess
from tests.fake_bot_api import FakeBotApi

STALE = "This button belongs to an older message. Here is where you are now."


def label(text: str):  # a matcher for FakeUser.press
    return lambda button: bidi.strip_marks(button.text) == text


def delete_database(folder: Path) -> None:
    files = [folder / f"lotse.sqlite3{suffix}" for suffix in ("", "-wal", "-shm", "-journal")]
    assert files[0].exists()
    for file in files:
        file.unlink(missing_ok=True)


@pytest.mark.parametrize("with_redis", [True, False], ids=["redis", "database-only"])
async def test_a_person_continues_the_flow_after_a_restart_with_a_new_database(
        fake_api: FakeBotApi, tmp_path: Path, content: Content, redis_url: str,
        with_redis: bool) -> None:
    api = fake_api
    redis_client = redis.Redis.from_url(redis_url, decode_responses=True)
    for key in redis_client.scan_iter("lotse:state:*"):
        redis_client.delete(key)
    amira = api.user(1101, "Amira", language_code="ar")
    flow = content.flows["language-courses"]
    start = flow.nodes[flow.start]
    first_line = content.pick(start.text, "ar").text.split("\n")[0]
    # the locale is part of the state: without it the bot answers in the default language
    stale = {content.ui.get(code).gettext(STALE) for code in content.languages.languages}
    settings = {"REDIS_URL": redis_url} if with_redis else {}
    bot = BotProcess(api, tmp_path, **settings)
    async with bot:
        await amira.send("/start")
        menu = await api.wait_for(amira, lambda m: bool(m.buttons))
        await amira.press(label(content.pick(flow.title, "ar").text), menu)
        await api.wait_until(lambda: bidi.strip_marks(menu.text).startswith(first_line))

        keys = list(redis_client.scan_iter("lotse:state:*"))
        if with_redis:
            assert len(keys) == 1 and redis_client.ttl(keys[0]) > 0
            saved = json.loads(redis_client.get(keys[0]))
            assert (saved["data"]["locale"], saved["data"]["flow"]) == ("ar", "language-courses")
        else:
            assert keys == []
        assert await bot.stop() == 0

        delete_database(tmp_path)
        await bot.start()
        button = next(b for b in start.buttons if b.goto == "status")
        await amira.press(label(content.pick(button.label, "ar").text), menu)
        if with_redis:  # the next node, in the menu message: the flow went on
            status = content.pick(flow.nodes["status"].text, "ar").text.split("\n")[0]
            await api.wait_until(lambda: status in bidi.strip_marks(menu.text))
        else:  # nothing remembered the screen those buttons belonged to
            await api.wait_for(amira, lambda m: bidi.strip_marks(m.text) in stale)
    texts = [bidi.strip_marks(m.text) for m in api.messages(amira)]
    assert any(t in stale for t in texts) is not with_redis
    log = bot.log.read_text()
    assert ("conversation state in redis://127.0.0.1:" in log) is with_redis
    assert ("conversation state in the database" in log) is not with_redis
    redis_client.close()


async def test_a_redis_that_does_not_answer_stops_the_start_with_one_line(
        fake_api: FakeBotApi, tmp_path: Path, unused_tcp_port: int) -> None:
    url = f"redis://lotse:geheim@127.0.0.1:{unused_tcp_port}/0"
    environment = BotProcess(fake_api, tmp_path, REDIS_URL=url).environment()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=tmp_path, env=environment,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT)
    output = (await asyncio.wait_for(process.communicate(), 60))[0].decode()
    assert process.returncode == 2, output
    assert output.startswith(
        f"lotse: setting REDIS_URL: no answer from redis://lotse:***@127.0.0.1:{unused_tcp_port}/0")
    assert "geheim" not in output and "Traceback" not in output
    assert fake_api.calls_to("getUpdates") == []  # it stopped before serving
