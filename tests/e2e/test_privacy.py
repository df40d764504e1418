"""The person's promises on Telegram, end to end: no consent, nothing stored; /delete leaves
nothing in the database and nothing in the staff group."""
from __future__ import annotations

from pathlib import Path

from bot.core.content.model import Content
from tests.e2e.test_staff import (
    STAFF,
    all_calls_accepted,
    case_topic,
    db,
    intake,
    patient,
    plain,
    press_when,
    staff_bot,
)
from tests.fake_bot_api import FakeBotApi

QUESTION = "Мій син шукає місце для навчання"


async def test_consent_refused_stores_nothing_and_gives_the_hotline(
        fake_api: FakeBotApi, tmp_path: Path, content: Content) -> None:
    api = patient(fake_api)
    olena = api.user(8001, "Olena", language_code="uk")
    api.group(STAFF, "Beratung", members=[api.user(7001, "Lena")])
    t = content.ui.get("uk")
    async with staff_bot(api, tmp_path):
        await olena.send("/start")
        await api.wait_for(olena, lambda m: bool(m.buttons))
        await olena.send("/counsellor")
        await press_when(api, olena, lambda s: s.endswith(t.gettext("No, thanks")))
        hotline = await api.wait_for(olena, lambda m: t.gettext(
            "That is fine. You can also call us:") in plain(m.text))
        assert content.organisation.phone in plain(hotline.text)
    assert db(tmp_path, "SELECT consent_at FROM users") == [(None,)]
    assert db(tmp_path, "SELECT count(*) FROM cases") == [(0,)]
    assert api.topics(STAFF) == []
    all_calls_accepted(api)


async def test_delete_erases_the_database_rows_and_the_staff_topic(
        fake_api: FakeBotApi, tmp_path: Path, content: Content) -> None:
    api = patient(fake_api)
    olena = api.user(8002, "Olena", language_code="uk")
    group = api.group(STAFF, "Beratung", members=[api.user(7001, "Lena")])
    t = content.ui.get("uk")
    async with staff_bot(api, tmp_path):
        await intake(api, olena, content, "uk", QUESTION)
        thread, note = await case_topic(api, group, 1)
        assert QUESTION in note.text
        await olena.send("/delete")
        await press_when(api, olena, lambda s: s.endswith(t.gettext("Delete everything")))
        await api.wait_for(olena, lambda m: t.gettext(
            "Done: everything is deleted. If you write again, Lotse starts afresh.") in plain(m.text))
        await api.wait_until(lambda: all(topic.thread_id != thread for topic in api.topics(group)))
        await api.wait_for(group, lambda m: "auf Wunsch der Person gelöscht" in m.text)
    kept = [m.text for m in api.messages(group) if not m.deleted]
    assert not any(QUESTION in (text or "") for text in kept)
    stored = repr(db(tmp_path, "SELECT * FROM cases")) + repr(db(tmp_path, "SELECT * FROM users"))
    assert QUESTION not in stored and "8002" not in stored
    assert db(tmp_path, "SELECT count(*) FROM transcript_messages") == [(0,)]
    all_calls_accepted(api)
