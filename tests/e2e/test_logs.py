"""Logs carry ids and event names only: a person gives their name and phone number in free text
and through consent and intake, and neither appears anywhere in the real bot's log."""
from __future__ import annotations

from pathlib import Path

from tests.e2e.harness import BotProcess
from tests.fake_bot_api import FakeBotApi, SentMessage

FIRST, LAST = "Zainab", "Qaderi"
PHONE = "0157 39182736"
TRACES = (FIRST, LAST, "39182736", "3918 2736", "+4915739182736", "15739182736")


def first_choice(message: SentMessage) -> str:
    return message.buttons[0][0].text


async def test_no_name_and_no_phone_number_in_the_log(fake_api: FakeBotApi,
                                                      tmp_path: Path) -> None:
    api = fake_api
    user = api.user(8001, FIRST, last_name=LAST, language_code="en")
    # DEBUG: every level up to INFO is in the file, from Lotse and from the libraries it uses
    async with BotProcess(api, tmp_path, LOG_LEVEL="DEBUG") as bot:
        await user.send("/start")
        await api.wait_for(user, lambda m: bool(m.buttons))
        await user.send(f"Hello, I am {FIRST} {LAST}, please call me at {PHONE}")
        await api.wait_for(user, lambda m: "Sorry" in m.text or "Did you mean" in m.text)
        await user.send("/counsellor")
        await user.press("✓ I agree", await api.wait_for(user, lambda m: "agree" in m.text))
        for asked in ("question about", "residence status", "speak German"):
            question = await api.wait_for(user, lambda m, asked=asked: asked in m.text)
            await user.press(first_choice(question), question)
        await api.wait_for(user, lambda m: "own words" in m.text)
        await user.send(f"My name is {FIRST} {LAST}. Can someone call {PHONE}?")
        how = await api.wait_for(user, lambda m: "reach you" in m.text)
        await user.press("Phone call back", how)
        await api.wait_for(user, lambda m: "phone number" in m.text)
        await user.send(PHONE)
        question = await api.wait_for(user, lambda m: "time to call" in m.text)
        await user.press(first_choice(question), question)
        await api.wait_for(user, lambda m: "first name" in m.text)
        await user.send(FIRST)
        review = await api.wait_for(user, lambda m: "check what the counsellor" in m.text)
        assert FIRST in review.text and "+4915739182736" in review.text  # it was all taken in
        await user.press("✓ Send", review)
        await api.wait_for(user, lambda m: "case number" in m.text)
        assert await bot.stop() == 0
    log = bot.log.read_text(encoding="utf-8")
    assert "DEBUG bot.conversation: event=Text" in log  # the debug lines are really there
    assert "INFO aiogram.event: Update id=" in log
    assert [trace for trace in TRACES if trace in log] == []
