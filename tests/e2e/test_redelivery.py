"""An update Telegram delivers again after it was handled (its offset was confirmed, as after a
webhook retry or a crash before the offset reached Telegram) is recognised by its update_id and
not handled a second time: the person gets one answer. The real `lotse run` process against the
fake Bot API."""
from __future__ import annotations

from pathlib import Path

from bot.core import bidi
from bot.core.content.model import Content
from tests.e2e.harness import BotProcess
from tests.fake_bot_api import FakeBotApi


async def test_an_update_delivered_again_is_answered_once(fake_api: FakeBotApi, tmp_path: Path,
                                                          content: Content) -> None:
    person = fake_api.user(4711, "Mira", language_code="de")
    t = content.ui.get("de")
    greeting = t.gettext("Hello! I am Lotse, the digital assistant {name_of}.").split("{")[0]
    privacy = t.gettext("Your privacy")

    def greetings() -> int:
        return sum(bidi.strip_marks(m.text or "").startswith(greeting)
                   for m in fake_api.messages(person))

    async with BotProcess(fake_api, tmp_path):
        await person.send("/start")
        first = fake_api.last_update_id
        await fake_api.wait_until(lambda: greetings() == 1)
        await person.send("/help")  # fetched with an offset past /start: that one is confirmed
        await fake_api.wait_for(person, lambda m: "/privacy" in (m.text or ""))
        fake_api.redeliver(first)
        # the same person's next update is handled after the redelivered one (one lane)
        await person.send("/privacy")
        await fake_api.wait_for(person, lambda m: privacy in bidi.strip_marks(m.text or ""))
    assert greetings() == 1
