"""One person flooding the real bot: the burst is answered, then one calm "slow down", then
nothing until the allowance refills; pressed buttons still stop spinning."""
from __future__ import annotations

from pathlib import Path

from bot.core import bidi
from tests.e2e.harness import BotProcess
from tests.fake_bot_api import FakeBotApi

SLOW_DOWN_DE = "Sie schreiben sehr schnell."
NO_ANSWER_DE = ("Dazu habe ich leider keine Antwort", "Darauf habe ich leider noch keine Antwort")


async def test_a_flood_gets_one_slow_down_and_is_not_processed(fake_api: FakeBotApi,
                                                                tmp_path: Path) -> None:
    api = fake_api
    user = api.user(7001, language_code="de")
    # eight at once, and practically no refill during the test
    bot = BotProcess(api, tmp_path, THROTTLE_BURST="8", THROTTLE_PER_SECOND="0.0001")
    async with bot:
        await user.send("/start")  # the first of the eight
        menu = await api.wait_for(user, lambda m: bool(m.buttons))
        menu_text = menu.text
        for i in range(20):
            await user.send(f"blabla {i}")
        presses = [await user.press(lambda b: b.text.endswith("Sprache"), menu) for _ in range(3)]
        for press in presses:  # dropped, but answered: the button does not spin
            await press.wait_answered()
        assert await bot.stop() == 0  # lets the updates in hand finish
    texts = [bidi.strip_marks(m.text or "") for m in api.messages(user)]
    assert sum(SLOW_DOWN_DE in t for t in texts) == 1
    assert sum(t.startswith(NO_ANSWER_DE) for t in texts) == 7  # 8 - /start
    assert len(texts) == 2 + 7 + 1  # greeting and menu, seven answers, one "slow down"
    assert menu.text == menu_text  # the presses did nothing
    rejected = [c.method for c in api.calls if not c.ok and c.method != "getUpdates"]
    assert rejected == []
