"""The web workspace over HTTP, in-process on a real local server and a real SQLite file: who
may see and post what (sign-in, sessions, CSRF, the holder), what its actions write (the same
outbox rows as the Telegram topic's, once per form), the audit log, escaping and right-to-left
text, and the live stream."""
from __future__ import annotations

import asyncio
import datetime as dt
import re

import pytest
from sqlalchemy import select

from bot.channels.web.accounts import Role
from bot.channels.web.guard import COOKIE
from bot.channels.web.live import Live
from bot.core.content.model import Content
from bot.core.events import OpenCase, RelayToCase
from bot.services.conversation import Conversations
from bot.storage.models import Case, OutboxMessage, TranscriptMessage
from bot.storage.repository import Storage
from tests.handoff.test_staff_cases import JONAS, open_case
from tests.web.workspace import (
    account,
    as_lena,
    client,
    later,
    post,
    sign_in,
    workspace,
)


@pytest.fixture
def content(shipped_content: Content) -> Content:
    return shipped_content


@pytest.fixture
def conversations(storage: Storage, shipped_content: Content) -> Conversations:
    return Conversations(storage, lambda: shipped_content)


async def kinds(storage: Storage) -> list[str]:
    async with storage.session() as session:
        return list(await session.scalars(select(OutboxMessage.kind).order_by(OutboxMessage.id)))


async def holder(storage: Storage, case_id: int) -> tuple[str, int | None]:
    async with storage.session() as session:
        case = await session.get_one(Case, case_id)
        return case.status, case.claimed_by_id


async def test_signed_out_browsers_are_sent_to_sign_in_and_their_posts_refused(
        conversations: Conversations, content: Content) -> None:
    case_id = await open_case(conversations)
    async with client(workspace(conversations, content)) as browser:
        page = await browser.get("/", allow_redirects=False)
        assert (page.status, page.headers["Location"]) == (303, "/signin")
        posted = await browser.post(f"/cases/{case_id}/claim", data={"key": "0" * 32})
        assert posted.status == 403
        assert (await browser.get("/events")).status == 403
    assert await holder(conversations.storage, case_id) == ("new", None)


async def test_sign_in_sets_a_secure_http_only_session_cookie_and_a_wrong_password_does_not(
        conversations: Conversations, content: Content) -> None:
    desk = workspace(conversations, content, cookie_secure=True)
    async with client(desk) as browser:
        await account(desk, "lena", "Lena")
        wrong = await sign_in(browser, "lena", "not the password")
        assert wrong.status == 403
        assert "falsch" in await wrong.text()
        assert COOKIE not in wrong.cookies
        signed = await sign_in(browser, "lena")
        assert (signed.status, signed.headers["Location"]) == (303, "/")
        cookie = signed.cookies[COOKIE]
        assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Lax"


async def test_sign_in_without_its_forms_token_is_refused(
        conversations: Conversations, content: Content) -> None:
    desk = workspace(conversations, content)
    async with client(desk) as browser:
        await account(desk, "lena", "Lena")
        forged = await browser.post("/signin", data={"login": "lena", "password": "x" * 20,
                                                     "csrf": "guessed"})
        assert forged.status == 403


async def test_failed_sign_ins_are_limited_per_login(
        conversations: Conversations, content: Content) -> None:
    desk = workspace(conversations, content)
    async with client(desk) as browser:
        await account(desk, "lena", "Lena")
        for _ in range(5):
            assert (await sign_in(browser, "lena", "wrong password!")).status == 403
        refused = await sign_in(browser, "lena")  # the right password, too late
        assert refused.status == 429
        assert COOKIE not in refused.cookies


async def test_an_expired_session_or_a_disabled_account_signs_out(
        conversations: Conversations, content: Content) -> None:
    desk = workspace(conversations, content, session_hours=1.0)
    async with as_lena(desk) as browser:
        assert (await browser.get("/", allow_redirects=False)).status == 200
        desk.clock = lambda: later(2)
        assert (await browser.get("/", allow_redirects=False)).status == 303
        desk.clock = lambda: later(0)
        await sign_in(browser, "lena")
        assert (await browser.get("/", allow_redirects=False)).status == 200
        await desk.staff.disable("lena", later(0))
        assert (await browser.get("/", allow_redirects=False)).status == 303
        assert (await sign_in(browser, "lena")).status == 403


async def test_a_form_without_the_sessions_csrf_token_changes_nothing(
        conversations: Conversations, content: Content) -> None:
    case_id = await open_case(conversations)
    desk = workspace(conversations, content)
    async with as_lena(desk) as browser:
        forged = await browser.post(f"/cases/{case_id}/claim", data={"key": "a" * 32})
        assert forged.status == 403
        wrong = await post(browser, case_id, "claim", csrf="not-the-token")
        assert wrong.status == 403
    assert await holder(conversations.storage, case_id) == ("new", None)


async def test_claim_reply_note_canned_and_close_write_what_the_telegram_topic_writes(
        conversations: Conversations, content: Content) -> None:
    storage = conversations.storage
    case_id = await open_case(conversations)
    desk = workspace(conversations, content)
    async with as_lena(desk) as browser:
        before = len(await kinds(storage))
        claimed = await post(browser, case_id, "claim")
        assert claimed.headers["Location"] == f"/cases/{case_id}?said=claimed"
        status, held_by = await holder(storage, case_id)
        assert status == "claimed" and held_by is not None and held_by < 0
        assert "reply_to_user" in (await kinds(storage))[before:]  # the person is told
        key = "b" * 32
        for _ in range(2):  # the same form twice (a double click): one reply
            assert (await post(browser, case_id, "reply", key, text="Guten Tag")).status == 303
        assert (await kinds(storage)).count("relay_to_user") == 1
        await post(browser, case_id, "note", text="Rückruf morgen")
        await post(browser, case_id, "canned", name="documents")
        page = await (await browser.get(f"/cases/{case_id}")).text()
        assert "Rückruf morgen" in page and "Guten Tag" in page
        assert content.canned_replies["documents"].text["ar"] in page
        closed = await post(browser, case_id, "close", outcome="answered")
        assert closed.headers["Location"].endswith("said=closed")
        assert (await holder(storage, case_id))[0] == "closed"
        log = await desk.staff.audit_log(case_id)
        assert [(entry.login, entry.action) for entry in log] == [
            ("lena", "claim"), ("lena", "reply"), ("lena", "note"), ("lena", "canned"),
            ("lena", "close")]


async def test_one_counsellor_holds_a_case_another_takes_it_over_explicitly(
        conversations: Conversations, content: Content) -> None:
    storage = conversations.storage
    case_id = await open_case(conversations)
    await conversations.claim(case_id, JONAS)  # in the Telegram topic
    desk = workspace(conversations, content)
    async with as_lena(desk) as browser:
        page = await (await browser.get(f"/cases/{case_id}")).text()
        assert "bei Jonas" in page and "Übernehmen" in page
        held = await post(browser, case_id, "claim")
        assert held.headers["Location"].endswith("said=held")
        refused = await post(browser, case_id, "reply", text="Hallo")
        assert refused.headers["Location"].endswith("said=not_yours")
        assert "relay_to_user" not in await kinds(storage)
        await post(browser, case_id, "takeover")
        assert (await holder(storage, case_id))[1] != JONAS.id
        back = await post(browser, case_id, "hand_back")
        assert back.headers["Location"].endswith("said=handed_back")
        assert await holder(storage, case_id) == ("new", None)


async def test_what_people_write_is_escaped_and_arabic_is_right_to_left(
        conversations: Conversations, content: Content) -> None:
    case_id = await open_case(conversations)
    await conversations.cases.relay(RelayToCase(case_id, "<script>alert(1)</script> مرحبا"))
    desk = workspace(conversations, content)
    async with as_lena(desk) as browser:
        page = await (await browser.get(f"/cases/{case_id}")).text()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; مرحبا" in page
    assert re.search(r'<p lang="ar" dir="rtl">&lt;script&gt;', page)


async def test_the_queue_lists_urgent_then_unclaimed_then_held_each_oldest_first(
        conversations: Conversations, content: Content) -> None:
    first = await open_case(conversations)
    second = await open_case(conversations)
    third = await open_case(conversations)
    await conversations.claim(first, JONAS)
    await conversations.cases.mark_urgent(third)
    desk = workspace(conversations, content)
    async with as_lena(desk) as browser:
        page = await (await browser.get("/")).text()
        unclaimed = await (await browser.get("/queue/rows?filter=unclaimed")).text()
    assert re.findall(r'data-case="(\d+)"', page) == [str(third), str(second), str(first)]
    assert re.findall(r'data-case="(\d+)"', unclaimed) == [str(third), str(second)]


async def test_every_open_page_hears_of_a_case_change(
        conversations: Conversations, content: Content, storage: Storage) -> None:
    live = Live()
    conversations = Conversations(storage, lambda: content, on_case_change=live.changed)
    desk = workspace(conversations, content, live)
    async with as_lena(desk) as browser:
        stream = await browser.get("/events")
        assert stream.headers["Content-Type"] == "text/event-stream"
        assert await stream.content.readline() == b": connected\n"
        await stream.content.readline()
        await open_case(conversations)
        async with asyncio.timeout(10):
            assert await stream.content.readline() == b"event: change\n"
        stream.close()


async def test_an_erased_person_leaves_only_the_anonymous_case_in_the_workspace(
        conversations: Conversations, content: Content) -> None:
    case_id = await open_case(conversations)
    await conversations.cases.relay(RelayToCase(case_id, "رقم هاتفي 0171 2345678"))
    desk = workspace(conversations, content)
    async with as_lena(desk) as browser:
        before = await (await browser.get(f"/cases/{case_id}")).text()
        assert "0171 2345678" in before and "أين أجد دورة لغة؟" in before
        user = await conversations.storage.user("telegram", "1001")
        await conversations.cases.erase(user.id)
        after = await (await browser.get(f"/cases/{case_id}")).text()
        closed = await (await browser.get("/queue/rows?filter=closed")).text()
    assert "0171 2345678" not in after and "أين أجد دورة لغة؟" not in after
    assert "Daten auf Wunsch der Person gelöscht" in after
    assert f'data-case="{case_id}"' in closed


async def test_the_statistics_page_is_for_admins_and_names_nobody(
        conversations: Conversations, content: Content) -> None:
    case_id = await open_case(conversations)
    await conversations.cases.relay(RelayToCase(case_id, "رقم هاتفي 0171 2345678"))
    desk = workspace(conversations, content)
    async with client(desk) as counsellor, client(desk) as admin:
        await account(desk, "lena", "Lena")
        await account(desk, "amt", "Amt", Role.ADMIN)
        await sign_in(counsellor, "lena")
        await sign_in(admin, "amt")
        assert (await counsellor.get("/statistics")).status == 403
        assert 'href="/statistics"' not in await (await counsellor.get("/")).text()
        assert 'href="/statistics"' in await (await admin.get("/")).text()
        page = await admin.get("/statistics")
        report = await page.text()
        assert (await admin.get("/statistics?from=2026-13-01")).status == 400
    assert page.status == 200 and "Jahresrückblick" in report
    assert "0171" not in report and "Lena" not in report
    assert "script-src" not in page.headers["Content-Security-Policy"]


async def test_a_callback_is_marked_as_made_once_and_leaves_the_callback_filter(
        conversations: Conversations, content: Content) -> None:
    storage = conversations.storage
    user = await storage.user("telegram", "1002")
    await storage.set_consent(user.id, dt.datetime.now(dt.UTC))
    called = await conversations.cases.open(user.id, OpenCase(
        {"topic": "work", "question": "Arbeit?", "contact_preference": "phone",
         "phone": "+4917112345678", "preferred_time": "afternoon"}, "de"))
    chat = await open_case(conversations)
    desk = workspace(conversations, content)
    async with as_lena(desk) as browser:
        waiting = await (await browser.get("/queue/rows?filter=callback")).text()
        assert re.findall(r'data-case="(\d+)"', waiting) == [str(called)]
        page = await (await browser.get(f"/cases/{called}")).text()
        assert "+4917112345678" in page and "Nachmittags" in page
        assert "Als angerufen markieren" in page
        key = "c" * 32
        for _ in range(2):
            marked = await post(browser, called, "called", key)
            assert marked.headers["Location"].endswith("said=called")
        assert (await post(browser, chat, "called")).headers["Location"].endswith("said=closed")
        page = await (await browser.get(f"/cases/{called}")).text()
        waiting = await (await browser.get("/queue/rows?filter=callback")).text()
    assert "Angerufen am" in page and "Als angerufen markieren" not in page
    assert 'data-case=' not in waiting
    async with storage.session() as session:
        notices = list(await session.scalars(select(OutboxMessage.payload).where(
            OutboxMessage.kind == "staff_notice", OutboxMessage.case_id == called)))
    assert [n["text"] for n in notices] == ["📞 Angerufen von Lena."]
    assert [e.action for e in await desk.staff.audit_log(called)] == ["called"]


async def test_a_machine_translation_is_shown_beneath_the_original(
        conversations: Conversations, content: Content) -> None:
    case_id = await open_case(conversations)
    async with conversations.storage.session() as session:
        message = await session.scalar(select(TranscriptMessage).where(
            TranscriptMessage.case_id == case_id))
        assert message is not None
        message.translation = "Wo finde ich einen <b>Sprachkurs</b>? <script>x</script>"
    desk = workspace(conversations, content)
    async with as_lena(desk) as browser:
        page = await (await browser.get(f"/cases/{case_id}")).text()
    assert ('<p class="translation" dir="auto" lang="de">Wo finde ich einen <b>Sprachkurs</b>? '
            "x</p>") in page
