"""A counsellor's press cut off by a crash: the real `lotse run` process is killed (SIGKILL) at
the moment it answers a claim, a canned reply or a close (the fake leaves that answer hanging,
`FakeBotApi.cut`), and started again on the same database. Telegram then delivers the press
again: it is answered as the first time was, the person gets each notice exactly once (the claim's,
the canned reply, the closing notice with the rating question), and after the close the person's
next question is answered by the bot instead of being relayed into the closed topic."""
from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core import texts
from bot.core.content.model import Content
from tests.e2e.harness import BotProcess
from tests.e2e.test_outbox import database, eventually
from tests.e2e.test_staff import case_topic, intake, patient, plain, staff_bot
from tests.fake_bot_api import FakeBotApi
from tests.fake_bot_api.actors import FakeGroup, FakeUser
from tests.fake_bot_api.models import FakeCallback

STAFF = -1001234567890
PATIENCE = 30.0


async def crash_on_answer(api: FakeBotApi, bot: BotProcess, cuts: int = 1) -> None:
    """Kill the bot once it has made `cuts` more calls the fake cut (the press's answer last),
    then start it again."""
    calls = len(api.cut_calls) + cuts
    await api.wait_until(lambda: len(api.cut_calls) >= calls)
    await bot.kill()
    await bot.start(timeout=PATIENCE)


async def delivered_everything(folder: Path) -> None:
    """Every outbox row delivered: whatever the bot was going to send has been sent."""
    def done() -> bool:
        with database(folder) as db:
            return db.execute("SELECT count(*) FROM outbox_messages "
                              "WHERE delivered_at IS NULL").fetchone() == (0,)
    await eventually(done, timeout=PATIENCE)


def received(api: FakeBotApi, person: FakeUser, text: str) -> int:
    return sum(plain(m.text or m.caption) == text for m in api.messages(person))


async def answered(press: FakeCallback) -> str | None:
    return (await press.wait_answered(timeout=PATIENCE)).get("text")


@pytest.fixture
async def slow_api() -> AsyncIterator[FakeBotApi]:
    """The fake, with presses that can be answered for longer than Telegram's 15 s: a restart on
    a loaded machine can take longer, and how fast it is is not what this test is about."""
    async with FakeBotApi(callback_timeout=4 * PATIENCE) as api:
        yield patient(api)


async def test_a_crash_between_a_counsellors_press_and_telling_the_person_repeats_nothing(
        slow_api: FakeBotApi, tmp_path: Path, content: Content) -> None:
    api = slow_api
    olena = api.user(1002, "Olena", language_code="uk")
    lena = api.user(7001, "Lena")
    group: FakeGroup = api.group(STAFF, "Beratung", members=[lena])
    uk = content.ui.get("uk")
    bot = staff_bot(api, tmp_path)
    await bot.start(timeout=PATIENCE)
    try:
        await intake(api, olena, content, "uk", "Де знайти курс німецької?")
        thread, note = await case_topic(api, group, 1)

        # Claim: killed as its press is answered; the press comes again after the restart.
        api.cut("answerCallbackQuery")
        press = await lena.press("Übernehmen", note, chat=group)
        await crash_on_answer(api, bot)
        assert await answered(press) == "Fall übernommen."  # not "you hold it already"
        claimed = uk.gettext("A counsellor has taken your case #{number} and will write to you "
                             "here.").format(number="1")
        await api.wait_for(olena, lambda m: plain(m.text) == claimed)

        # A canned reply: killed as its press is answered and its delivery to the person is
        # under way (both cut).
        await lena.send("/canned", chat=group, thread_id=thread)
        api.cut("sendMessage", olena)
        api.cut("answerCallbackQuery")
        choice = await api.wait_for(group, lambda m: (m.text or "").startswith("Textbaustein"),
                                    thread_id=thread)
        canned = await lena.press("Termin anbieten", choice, chat=group)
        await crash_on_answer(api, bot, cuts=2)
        assert await answered(canned) == "Gesendet."
        reply = content.canned_replies["appointment"]
        text = texts.fill(content, content.pick(reply.text, "uk").text, "uk")
        await api.wait_for(olena, lambda m: plain(m.text) == text)

        # Close: killed as the outcome's press is answered.
        await lena.press("Schließen", note, chat=group)
        prompt = await api.wait_for(group, lambda m: "Ergebnis" in (m.text or ""),
                                    thread_id=thread)
        api.cut("answerCallbackQuery")
        close = await lena.press("beantwortet", prompt, chat=group)
        await crash_on_answer(api, bot)
        assert await answered(close) == "Fall geschlossen."
        rating = await api.wait_for(olena, lambda m: uk.gettext("Did we help you?") in
                                    plain(m.text))
        closing = plain(rating.text)

        # The case is closed for the person too: their next question is answered, not relayed.
        before = len(api.messages(olena))
        await olena.send("Де знайти курс німецької?")
        await api.wait_until(lambda: len(api.messages(olena)) > before)
        await delivered_everything(tmp_path)
        with database(tmp_path) as db:
            assert db.execute("SELECT count(*) FROM outbox_messages "
                              "WHERE kind = 'relay_to_staff'").fetchone() == (0,)
        assert [received(api, olena, t) for t in (claimed, text, closing)] == [1, 1, 1]
        assert [m.text for m in api.messages(group, thread_id=thread)].count(
            "Übernommen von Lena.") == 1
    finally:
        if not bot.exited:
            await bot.kill()
