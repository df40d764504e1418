"""Delivery under faults, end to end: the real `lotse run` process against a fake Bot API that
fails 20 % of calls (429 with retry_after, 500, 502), adds latency and enforces Telegram's flood
limits. Every person still gets every reply, in order, and no limit is ever exceeded."""
from __future__ import annotations

import asyncio
import time
from pathlib import Path

from bot.core import bidi
from bot.core.content.model import Content
from tests.e2e.harness import BotProcess
from tests.fake_bot_api import FakeBotApi
from tests.fake_bot_api.policies import Faults, RateLimits

PEOPLE = 100
# Faults on what the Sender sends (startup calls such as deleteWebhook are not retried yet).
FAULTS = Faults(rate=0.2, kinds=(429, 500, 502), retry_after=1, latency=(0.0, 0.05), seed=7,
                methods=("sendMessage", "editMessageText", "editMessageReplyMarkup"))
LIMITS = RateLimits()  # Telegram's: 1/s per private chat (burst 3), 30/s for the bot


def first_line(text: str) -> str:
    return bidi.strip_marks(text).split("\n")[0]


async def test_every_reply_arrives_in_order_within_limits_despite_faults(
        tmp_path: Path, content: Content) -> None:
    flow = content.flows["language-courses"]
    start = flow.nodes[flow.start]
    title = content.pick(flow.title, "de").text
    step = start.buttons[0]
    entry = content.entries[step.faq]
    answer_title = entry.text[content.entry_lang(entry, "de")].title
    async with FakeBotApi(rate_limits=LIMITS, faults=FAULTS) as api:
        people = [api.user(10_000 + i, language_code="de") for i in range(PEOPLE)]
        async with BotProcess(api, tmp_path, SEND_PER_SECOND=str(LIMITS.global_rate),
                              SEND_PER_CHAT_PER_SECOND=str(LIMITS.private_rate)):
            began = time.monotonic()

            async def walk(person) -> None:  # noqa: ANN001 - a FakeUser
                await person.send("/start")
                await api.wait_for(person, timeout=60)
                menu = await api.wait_for(person, lambda m: bool(m.buttons), timeout=60)
                await person.press(lambda b: bidi.strip_marks(b.text) == title, menu)
                await api.wait_until(lambda: first_line(menu.text) == first_line(
                    content.pick(start.text, "de").text), timeout=60)
                await person.press(lambda b: bidi.strip_marks(b.text) == content.pick(
                    step.label, "de").text, menu)
                await api.wait_for(person, lambda m: answer_title in m.text, timeout=60)

            await asyncio.gather(*(walk(p) for p in people))
            took = time.monotonic() - began
        for person in people:
            sent = api.messages(person)
            assert len(sent) == 3, [m.text[:40] for m in sent]
            greeting, menu, answer = sent
            assert not greeting.buttons and answer_title not in greeting.text
            assert first_line(menu.text) == first_line(content.pick(start.text, "de").text)
            assert answer_title in answer.text
        assert api.rate_violations == []
        assert len(api.injected_faults) > PEOPLE  # the faults did happen
        print(f"{PEOPLE} people in {took:.1f}s, {len(api.calls)} calls, "
              f"{len(api.injected_faults)} faults")
