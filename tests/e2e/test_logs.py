"""Logs carry ids and event names only: a person gives their name and phone number in free text
and through consent and intake, the case goes to the staff group and back and forth with a
counsellor, and no name and no number appears anywhere in the real bot's log, as text lines or
as JSON lines (LOG_FORMAT=json: every line one object with the message's ids as keys)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.harness import BotProcess
from tests.fake_bot_api import FakeBotApi, SentMessage

FIRST, LAST = "Zainab", "Qaderi"
PHONE = "0157 39182736"
COUNSELLOR = "Berger"
TRACES = (FIRST, LAST, "39182736", "3918 2736", "+4915739182736", "15739182736", COUNSELLOR)
STAFF = -1009876543210


def first_choice(message: SentMessage) -> str:
    return message.buttons[0][0].text


@pytest.mark.parametrize("log_format", ["text", "json"])
async def test_no_name_and_no_phone_number_in_the_log(fake_api: FakeBotApi, tmp_path: Path,
                                                      log_format: str) -> None:
    api = fake_api
    user = api.user(8001, FIRST, last_name=LAST, language_code="en")
    lena = api.user(8002, "Lena", last_name=COUNSELLOR)
    group = api.group(STAFF, "Beratung", members=[lena])
    # DEBUG: every level up to INFO is in the file, from Lotse and from the libraries it uses
    async with BotProcess(api, tmp_path, LOG_LEVEL="DEBUG", LOG_FORMAT=log_format,
                          STAFF_CHAT_ID=str(STAFF)) as bot:
        await user.send("/start")
        await api.wait_for(user, lambda m: bool(m.buttons))
        await user.send(f"Hello, I am {FIRST} {LAST}, please call me at {PHONE}")
        # "please call me" asks for a human: the counsellor offer, before any consent
        await api.wait_for(user, lambda m: "agree" in m.text)
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
        note = await api.wait_for(group, lambda m: "Fall #1" in (m.text or ""), timeout=30)
        assert FIRST in (note.text or "")  # the counsellor gets everything
        await lena.press("Übernehmen", note, chat=group)
        await api.wait_for(user, lambda m: "has taken your case" in m.text, timeout=30)
        await user.send(f"Thanks! {FIRST} {LAST}, {PHONE}")
        await api.wait_for(group, lambda m: LAST in (m.text or "") and m.thread_id is not None,
                           timeout=30)
        await lena.send(f"Hello {FIRST}, I am Lena {COUNSELLOR}; I call {PHONE} tomorrow.",
                        chat=group, thread_id=note.thread_id)
        await api.wait_for(user, lambda m: "I call" in m.text, timeout=30)
        assert await bot.stop() == 0
    log = bot.log.read_text(encoding="utf-8")
    if log_format == "text":
        assert "DEBUG bot.services.conversation: event=Text" in log  # the debug lines are really there
        assert "INFO aiogram.event: Update id=" in log
    else:
        lines = [json.loads(line) for line in log.splitlines()]  # every line is one object
        assert all({"time", "level", "logger", "message"} <= line.keys() for line in lines)
        assert any(line["level"] == "DEBUG" and line["logger"] == "bot.services.conversation" and
                   line.get("event") == "Text" and isinstance(line.get("user"), int)
                   for line in lines)
        assert any(line["logger"] == "aiogram.event" and line["message"].startswith("Update id=")
                   for line in lines)
        assert any(line["message"].startswith("case opened") and line.get("case") == 1
                   for line in lines)
        log = json.dumps(lines, ensure_ascii=False)  # what a log shipper would store
    assert [trace for trace in TRACES if trace in log] == []
