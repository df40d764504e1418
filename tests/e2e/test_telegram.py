"""The migrant's side on Telegram, end to end: the real `lotse run` process against the fake Bot
API, with people writing in Arabic (right-to-left), Ukrainian and German."""
from __future__ import annotations

import asyncio
import signal
from collections import Counter
from pathlib import Path

import aiohttp

from bot.core import bidi
from bot.core.content.model import Content
from tests.e2e.harness import BotProcess
from tests.fake_bot_api import FakeBotApi, SentMessage


def label(text: str):  # a matcher for FakeUser.press
    """Matches a button by its label, whatever direction marks the bot put in front."""
    return lambda button: bidi.strip_marks(button.text) == text


def labels(message: SentMessage) -> list[str]:
    return [bidi.strip_marks(b.text) for row in message.buttons for b in row]


def all_calls_accepted(api: FakeBotApi) -> None:
    """Every call the bot made passed the fake's checks (length, HTML, callback data)."""
    rejected = [(c.method, c.description) for c in api.calls if not c.ok and c.method != "getUpdates"]
    assert rejected == []


async def test_arabic_user_walks_a_flow_asks_switches_language_and_survives_a_restart(
        fake_api: FakeBotApi, tmp_path: Path, content: Content) -> None:
    api = fake_api
    amira = api.user(1001, "Amira", language_code="ar")
    flow = content.flows["language-courses"]
    start = flow.nodes[flow.start]
    async with BotProcess(api, tmp_path) as bot:
        await amira.send("/start")
        greeting = await api.wait_for(amira)
        menu = await api.wait_for(amira, lambda m: bool(m.buttons))
        assert greeting.text.startswith(bidi.RLM)  # Arabic reads right-to-left from the start
        assert all(b.text.startswith(bidi.RLM) for row in menu.buttons for b in row)
        title = content.pick(flow.title, "ar").text
        assert title in labels(menu)

        await amira.press(label(title))  # the menu message turns into the flow's menu
        await api.wait_until(lambda: bidi.strip_marks(menu.text).startswith(
            content.pick(start.text, "ar").text.split("\n")[0]))
        first_button = start.buttons[0]
        await amira.press(label(content.pick(first_button.label, "ar").text))
        entry = content.entries[first_button.faq]
        answer = await api.wait_for(amira)
        shown_title = entry.text[content.entry_lang(entry, "ar")].title
        assert shown_title in answer.text
        urls = [b.data for row in answer.buttons for b in row if b.data.startswith("https://")]
        assert urls == [link.url for link in entry.links]  # links open as URL buttons

        question = entry.text[content.entry_lang(entry, "ar")].questions[0]
        await amira.send(question)  # free text goes through the matcher
        matched = await api.wait_for(amira)
        assert shown_title in matched.text

        await amira.send("/language")
        picker = await api.wait_for(amira, lambda m: "Українська" in labels(m))
        await amira.press(label("Українська"), picker)
        uk_menu = await api.wait_until(lambda: content.pick(flow.title, "uk").text in labels(
            picker) and picker) or picker
        await amira.press(label(content.pick(flow.title, "uk").text), uk_menu)
        await api.wait_until(lambda: bidi.RLM not in picker.text and
                             content.pick(start.text, "uk").text.split("\n")[0] in picker.text)

        assert await bot.stop() == 0  # SIGTERM: a clean exit in the middle of the flow
        await bot.start()
        # Still in the flow after the restart: its second button leads on, in Ukrainian.
        second = start.buttons[1]
        await amira.press(label(content.pick(second.label, "uk").text), picker)
        target = flow.nodes[second.goto] if second.goto else None
        expected = content.pick(target.text, "uk").text.split("\n")[0] if target and hasattr(
            target, "text") and target.text else ""
        await api.wait_until(lambda: expected in picker.text and bidi.RLM not in picker.text)
    all_calls_accepted(api)


async def test_three_languages_at_once_each_get_their_own(fake_api: FakeBotApi,
                                                          tmp_path: Path) -> None:
    api = fake_api
    people = {code: api.user(2000 + i, language_code=code) for i, code in
              enumerate(("ar", "uk", "de"))}
    async with BotProcess(api, tmp_path):
        for person in people.values():
            await person.send("/start")
        menus = {code: await api.wait_for(p, lambda m: bool(m.buttons))
                 for code, p in people.items()}
    assert "Deutschkurse" in labels(menus["de"])
    assert menus["ar"].text.startswith(bidi.RLM) and bidi.RLM not in menus["uk"].text
    assert menus["uk"].text != menus["de"].text
    all_calls_accepted(api)


async def test_commands_are_registered_in_every_language(fake_api: FakeBotApi, tmp_path: Path,
                                                         content: Content) -> None:
    async with BotProcess(fake_api, tmp_path):
        await fake_api.wait_until(lambda: len(fake_api.calls_to("setMyCommands")) >=
                                  len(content.languages.languages) + 1)
    for code in ["", *content.languages.languages]:
        names = [c["command"] for c in fake_api.commands(
            scope={"type": "all_private_chats"}, language_code=code)]
        assert names == ["start", "menu", "language", "counsellor", "privacy", "delete", "help"], code
    german = fake_api.commands(scope={"type": "all_private_chats"}, language_code="de")
    assert german[1]["description"] == "Hauptmenü"


async def test_deep_link_opens_the_flow(fake_api: FakeBotApi, tmp_path: Path,
                                        content: Content) -> None:
    user = fake_api.user(3001, language_code="de")
    async with BotProcess(fake_api, tmp_path):
        await user.send("/start work")
        menu = await fake_api.wait_for(user, lambda m: bool(m.buttons))
    start = content.flows["work"].nodes[content.flows["work"].start]
    assert menu.text.startswith(start.text["de"].split("\n")[0])


async def test_media_and_what_is_not_for_the_bot(fake_api: FakeBotApi, tmp_path: Path) -> None:
    api = fake_api
    user = api.user(4001, language_code="en")
    group = api.group(-100777, "Some group", forum=False, members=[user])
    async with BotProcess(api, tmp_path):
        await user.send("/start")
        await api.wait_for(user, lambda m: bool(m.buttons))
        expected = {
            user.send_voice: "voice messages", user.send_photo: "pictures",
            user.send_document: "documents", user.send_sticker: "Thank you!",
        }
        for send, words in expected.items():
            await send()
            await api.wait_for(user, lambda m, words=words: words in m.text)
        await user.send_location(48.1, 11.6)
        await api.wait_for(user, lambda m: "location" in m.text)
        await user.send_contact("+4915123456789", first_name="Someone", own=False)
        await api.wait_for(user, lambda m: "did not save this contact" in m.text)
        sent = await user.send("hello")
        await user.edit(sent, "edited hello")  # edited messages are ignored
        await user.send("hello group", chat=group)  # a group the bot does not serve
        await user.send("/help")
        await api.wait_for(user, lambda m: "How to use Lotse" in m.text)
        texts = [m.text for m in api.messages(user)]
        assert not any("edited hello" in t for t in texts)
        assert sum("Sorry, I found no answer" in t for t in texts) == 1  # "hello", not the edit
    assert api.messages(group) == []
    all_calls_accepted(api)


async def test_stale_button_after_a_restart_gets_a_polite_answer(
        fake_api: FakeBotApi, tmp_path: Path) -> None:
    api = fake_api
    user = api.user(5001, language_code="en")
    async with BotProcess(api, tmp_path) as bot:
        await user.send("/start")
        old_menu = await api.wait_for(user, lambda m: bool(m.buttons))
        await user.send("/menu")
        await api.wait_for(user, lambda m: bool(m.buttons))
        await bot.stop()
        await bot.start()
        await user.press(label("🌐 Language"), old_menu)
        await api.wait_for(user, lambda m: "older message" in m.text)
    assert "refused button (stale, replayed or forged) user=1" in bot.log.read_text()
    all_calls_accepted(api)


async def test_a_button_sent_before_the_prefix_still_works_and_forged_data_is_answered(
        fake_api: FakeBotApi, tmp_path: Path) -> None:
    """People's buttons carried "<screen>:<index>" before they got the "o:" prefix; those still
    in the chats do what they said. Data no button of ours carries gets the stale answer."""
    api = fake_api
    user = api.user(5002, language_code="en")
    async with BotProcess(api, tmp_path):
        await user.send("/start")
        menu = await api.wait_for(user, lambda m: bool(m.buttons))
        language = next(b for row in menu.buttons for b in row
                        if bidi.strip_marks(b.text) == "🌐 Language")
        prefix, old_layout = language.data.split(":", 1)
        assert prefix == "o"
        pressed = await user.press_data(old_layout, menu)
        await pressed.wait_answered()
        await api.wait_until(lambda: any("Please choose your language" in (m.text or "")
                                         for m in api.messages(user)))  # the menu, edited
        forged = await user.press_data("o:x:1", menu)
        await forged.wait_answered()
        await api.wait_for(user, lambda m: "older message" in m.text)
    all_calls_accepted(api)


async def test_webhook_mode_checks_the_secret_and_answers_healthz(
        fake_api: FakeBotApi, tmp_path: Path, unused_tcp_port: int) -> None:
    api = fake_api
    user = api.user(6001, language_code="en")
    address = f"127.0.0.1:{unused_tcp_port}"
    bot = BotProcess(api, tmp_path, WEBHOOK_URL=f"http://{address}/telegram",
                     WEBHOOK_SECRET="s3cret", WEBHOOK_LISTEN=address)
    async with bot:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://{address}/healthz") as response:
                assert response.status == 200
            async with http.post(f"http://{address}/telegram", json={"update_id": 1},
                                 headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}) as response:
                assert response.status == 401
        await user.send("/start")
        menu = await api.wait_for(user, lambda m: bool(m.buttons))
        assert "German courses" in labels(menu)
        assert await bot.stop() == 0
    all_calls_accepted(api)


async def healthz(address: str) -> int | None:
    """The status of `GET /healthz`, None when nothing listens."""
    try:
        async with aiohttp.ClientSession() as http, \
                http.get(f"http://{address}/healthz") as response:
            return response.status
    except aiohttp.ClientConnectionError:
        return None


async def test_sigterm_in_webhook_mode_drains_the_updates_in_hand_and_sends_each_answer_once(
        fake_api: FakeBotApi, tmp_path: Path, unused_tcp_port: int) -> None:
    """SIGTERM while answers are on their way: Telegram carried the sends out, their answers are
    still coming. The updates in hand finish with the bot's session open (before, the session was
    closed under them, the sends failed and were retried: every answer came twice); meanwhile
    /healthz and new updates get 503, and the process exits 0."""
    api = fake_api
    people = [api.user(6101 + i, language_code="en") for i in range(2)]
    latecomer = api.user(6111, language_code="en")
    address = f"127.0.0.1:{unused_tcp_port}"
    bot = BotProcess(api, tmp_path, WEBHOOK_URL=f"http://{address}/telegram",
                     WEBHOOK_SECRET="s3cret", WEBHOOK_LISTEN=address)
    async with bot:
        api.hold_answers("sendMessage")
        for person in people:
            await person.send("/start")
        for person in people:
            await api.wait_for(person)  # carried out; the bot waits for the answer
        assert bot.process is not None
        bot.process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(10):
            while (draining := await healthz(address)) == 200:
                await asyncio.sleep(0.05)  # until the bot took in the signal
        await latecomer.send("/start")
        latecomer_update = api.last_update_id
        # either the latecomer is refused, or the closed session made the bot send again
        await api.wait_until(lambda: any(
            update == latecomer_update and "503" in error
            for update, error in api.webhook_failures) or
            len(api.calls_to("sendMessage")) > len(people))
        api.release_answers()
        assert await asyncio.wait_for(bot.process.wait(), 30) == 0
    for person in people:
        texts = Counter(message.text for message in api.messages(person))
        assert texts and set(texts.values()) == {1}, texts
    assert draining == 503
    assert api.messages(latecomer) == []
    assert latecomer_update not in {update for update, _ in api.webhook_deliveries}
