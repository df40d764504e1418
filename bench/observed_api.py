"""The fake Bot API as the load generator sees it: every call the bot makes is timed as it
completes, and the people waiting for a reply are woken directly (one future per chat), not by
re-checking every chat on every change as `FakeBotApi.wait_for` does, which is quadratic with
hundreds of people waiting at once."""
from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from tests.fake_bot_api import FakeBotApi
from tests.fake_bot_api.models import ApiCall

REPLIES = frozenset({"sendMessage", "editMessageText"})
"""The calls that show a person something new: a message, or a menu replaced in place."""
UNKEPT = REPLIES | {"getUpdates", "answerCallbackQuery", "sendChatAction",
                    "editMessageReplyMarkup"}
"""Calls counted but not kept: tens of thousands of them would only fill the generator's memory."""


def chat_of(call: ApiCall) -> int | None:
    value = call.params.get("chat_id")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


class CallLog(list[ApiCall]):
    """Stands in for the fake's call record: keeps the rare calls (getMe, setWebhook …) that
    `FakeBotApi.calls_to` and the bot harness look for, counts every call by method and outcome,
    and hands each one to `observe`."""

    def __init__(self, observe: Callable[[ApiCall, float], None]) -> None:
        super().__init__()
        self.observe = observe
        self.counts: Counter[tuple[str, bool]] = Counter()

    def append(self, call: ApiCall) -> None:
        self.counts[call.method, call.ok] += 1
        if call.method not in UNKEPT:
            super().append(call)
        self.observe(call, time.perf_counter())


Wanted = Callable[[ApiCall], bool]


class ObservedBotApi(FakeBotApi):
    """A `FakeBotApi` whose calls can be awaited per chat: `next_call(chat_id)` resolves with the
    time (time.perf_counter) the next matching call to that chat completed."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.log = CallLog(self._observe)
        self._world.calls = self.log  # the fake appends each completed call here
        self._waiting: dict[int, list[tuple[Wanted, asyncio.Future[float]]]] = {}

    def next_call(self, chat_id: int, wanted: Wanted | None = None) -> asyncio.Future[float]:
        """Resolves when a call `wanted` (default: a reply, see REPLIES) to `chat_id` succeeds.
        Create it before queueing the update it answers."""
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(chat_id, []).append(
            (wanted or (lambda call: call.method in REPLIES), future))
        return future

    def _observe(self, call: ApiCall, at: float) -> None:
        chat_id = chat_of(call)
        if not call.ok or chat_id not in self._waiting:
            return
        still = []
        for wanted, future in self._waiting.pop(chat_id):
            if future.done():
                continue
            if wanted(call):
                future.set_result(at)
            else:
                still.append((wanted, future))
        if still:
            self._waiting[chat_id] = still

    @property
    def failed_calls(self) -> int:
        """Calls the fake rejected (bad HTML, too long, unknown message …), getUpdates aside."""
        return sum(n for (method, ok), n in self.log.counts.items()
                   if not ok and method != "getUpdates")
