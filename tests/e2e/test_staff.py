"""The counsellors' side end to end: the real `lotse run` process against the fake Bot API, with
a staff forum group, people writing in Arabic and Ukrainian, and real delivery by the outbox
worker. Claim, relay both ways, internal notes, close with outcome and rating, takeover, a
non-member, canned replies in the person's language and /queue."""
from __future__ import annotations

import functools
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.core import bidi
from bot.core.content.model import Content
from tests.e2e.harness import BotProcess
from tests.fake_bot_api import FakeBotApi, Faults, RateLimits, SentMessage
from tests.fake_bot_api.actors import FakeGroup, FakeUser

STAFF = -1001234567890


PATIENCE = 30.0


def patient(api: FakeBotApi, patience: float = PATIENCE) -> FakeBotApi:
    """The fake with longer waits: the bot process shares the machine with other test runs."""
    api.wait_for = functools.partial(api.wait_for, timeout=patience)  # type: ignore[method-assign]
    api.wait_until = functools.partial(  # type: ignore[method-assign]
        api.wait_until, timeout=patience)
    return api


def staff_bot(api: FakeBotApi, folder: Path, **settings: str) -> BotProcess:
    """The bot with the staff group; pacing into the group is not what these tests are about."""
    settings.setdefault("STAFF_GROUP_MESSAGES_PER_MINUTE", "600")
    return BotProcess(api, folder, STAFF_CHAT_ID=str(STAFF), **settings)


def plain(text: str | None) -> str:
    return bidi.strip_marks(text or "")


def button_texts(message: SentMessage) -> list[str]:
    return [plain(b.text) for row in message.buttons for b in row]


def db(folder: Path, query: str, *args: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(folder / "lotse.sqlite3") as connection:
        return connection.execute(query, args).fetchall()


async def press_when(api: FakeBotApi, user: FakeUser, label: str | Callable[[str], bool],
                     chat: FakeGroup | None = None, asking: str = "") -> SentMessage:
    """Press the button `label` on the newest bot message with buttons, once it shows it (and
    the text `asking`)."""
    matches = label if callable(label) else (lambda text: text == label)
    found: list[SentMessage] = []

    def ready() -> bool:
        keyboards = [m for m in api.messages(chat or user) if m.buttons]
        if keyboards and asking in plain(keyboards[-1].text) and \
                any(matches(t) for t in button_texts(keyboards[-1])):
            found[:] = [keyboards[-1]]
            return True
        return False

    await api.wait_until(ready)
    await user.press(lambda b: matches(plain(b.text)), found[0], chat=chat)
    return found[0]


async def intake(api: FakeBotApi, person: FakeUser, content: Content, locale: str,
                 question: str) -> None:
    """From /start to a sent case, through consent and every intake step, in `locale`."""
    t = content.ui.get(locale)
    await person.send("/start")
    await api.wait_for(person, lambda m: bool(m.buttons))
    await person.send("/counsellor")
    await press_when(api, person, lambda s: s.endswith(t.gettext("I agree")))

    def value(vocabulary: str, key: str) -> str:
        return content.vocabulary_label(vocabulary, key, locale)

    await press_when(api, person, value("topic", "language"))
    await press_when(api, person, value("residence_status", "permit"))
    await press_when(api, person, value("german_level", "a1"))
    await api.wait_until(lambda: any(plain(m.text).startswith(t.gettext(
        "Please write your question in your own words. You can write in your language."))
        for m in api.messages(person)[-1:]))
    await person.send(question)
    await press_when(api, person, value("contact_preference", "chat"))
    await press_when(api, person, lambda s: s.endswith(t.gettext("Skip")),
                     asking=t.gettext("What is your first name? This is optional."))
    await press_when(api, person, lambda s: s.endswith(t.gettext("Send")))


async def case_topic(api: FakeBotApi, group: FakeGroup, number: int) -> tuple[int, SentMessage]:
    """The case's forum topic and its note, once the outbox worker has posted them."""
    await api.wait_until(lambda: any(t.name.startswith(f"#{number} ") for t in api.topics(group)))
    thread = next(t.thread_id for t in api.topics(group) if t.name.startswith(f"#{number} "))
    note = await api.wait_for(group, lambda m: bool(m.buttons), thread_id=thread)
    return thread, note


def topic_name(api: FakeBotApi, group: FakeGroup, thread: int) -> str:
    return next(t.name for t in api.topics(group) if t.thread_id == thread)


def all_calls_accepted(api: FakeBotApi) -> None:
    rejected = [(c.method, c.description) for c in api.calls
                if not c.ok and c.method != "getUpdates"]
    assert rejected == []


async def test_claim_relay_both_ways_note_close_and_rating(
        fake_api: FakeBotApi, tmp_path: Path, content: Content) -> None:
    api = patient(fake_api)
    amira = api.user(1001, "Amira", language_code="ar")
    lena = api.user(7001, "Lena", last_name="Berger", username="lena_b")
    group = api.group(STAFF, "Beratung", members=[lena])
    ar = content.ui.get("ar")
    async with staff_bot(api, tmp_path):
        await intake(api, amira, content, "ar", "أين أجد دورة لغة قريبة؟")
        thread, note = await case_topic(api, group, 1)
        assert "Fall #1" in note.text and "Arabisch" in note.text
        assert button_texts(note) == ["Übernehmen", "Schließen"]

        # Claim: the note and topic name show it, the topic is told, and so is the person.
        answer = await (await lena.press("Übernehmen", note, chat=group)).wait_answered()
        assert answer.get("text") == "Fall übernommen."
        await api.wait_for(group, lambda m: m.text == "Übernommen von Lena.", thread_id=thread)
        told = ar.gettext("A counsellor has taken your case #{number} and will write to you "
                          "here.").format(number="1")
        await api.wait_for(amira, lambda m: plain(m.text) == told)
        await api.wait_until(lambda: "Übernommen von: Lena" in (note.text or "") and
                             "bei Lena" in topic_name(api, group, thread))
        assert db(tmp_path, "select status, claimed_by_id, claimed_by_name from cases") == [
            ("claimed", 7001, "Lena")]

        # Counsellor → person: text and a photo, without the counsellor's account.
        await lena.send("Guten Tag! Wie kann ich helfen? <Kurs>", chat=group, thread_id=thread)
        text = await api.wait_for(amira, lambda m: "Guten Tag" in (m.text or ""))
        assert text.text == "Guten Tag! Wie kann ich helfen? <Kurs>"
        await lena.send_photo(caption="Das Formular", chat=group, thread_id=thread)
        photo = await api.wait_for(amira, lambda m: m.kind == "photo")
        assert photo.caption == "Das Formular"
        assert not any("Lena" in (m.text or "") or "lena_b" in (m.text or "")
                       for m in api.messages(amira))

        # Person → counsellor: text and a photo into the topic; the bot itself stays quiet.
        before = len(api.messages(amira))
        await amira.send("شكراً، أرسلت الصورة")
        await api.wait_for(group, lambda m: "شكراً" in (m.text or ""), thread_id=thread)
        await amira.send_photo()
        await api.wait_for(group, lambda m: m.kind == "photo", thread_id=thread)
        assert len(api.messages(amira)) == before

        # An internal note stays internal.
        await lena.send("/note Ruft morgen wegen Kita an", chat=group, thread_id=thread)
        await api.wait_for(group, lambda m: m.text == "📝 Interne Notiz gespeichert.",
                           thread_id=thread)
        assert db(tmp_path, "select direction, text from transcript_messages "
                            "where direction = 'note'") == [("note", "Ruft morgen wegen Kita an")]

        # Close with an outcome: the person is told kindly and can rate with one tap.
        await lena.press("Schließen", note, chat=group)
        prompt = await api.wait_for(group, lambda m: "Ergebnis" in (m.text or ""),
                                    thread_id=thread)
        assert button_texts(prompt) == ["beantwortet", "weitervermittelt", "Rückruf erledigt",
                                        "keine Rückmeldung", "Abbrechen"]
        await lena.press("beantwortet", prompt, chat=group)
        closed = await api.wait_for(amira, lambda m: ar.gettext("Did we help you?") in
                                    plain(m.text))
        assert len(closed.buttons) == 4  # three ratings and the menu
        await api.wait_until(lambda: not note.buttons and "geschlossen" in
                             topic_name(api, group, thread))
        assert "Ergebnis: beantwortet" in (note.text or "")
        await amira.press(lambda b: plain(b.text).endswith(ar.gettext("It helped")), closed)
        await api.wait_for(amira, lambda m: ar.gettext("Thank you for telling us!") in
                           plain(m.text))
        await api.wait_until(lambda: db(tmp_path, "select rating from cases") == [(3,)])
        assert db(tmp_path, "select status, outcome from cases") == [("closed", "answered")]
        assert not any("Ruft morgen" in (m.text or "") for m in api.messages(amira))

        # Writing in the topic of a closed case: told once, nothing goes to the person.
        count = len(api.messages(amira))
        await lena.send("Noch etwas?", chat=group, thread_id=thread)
        await api.wait_for(group, lambda m: m.text == "Fall ist geschlossen.", thread_id=thread)
        await lena.send("Hallo?", chat=group, thread_id=thread)
        await lena.send("/queue", chat=group, thread_id=thread)  # a marker: handled after both
        await api.wait_for(group, lambda m: "Keine offenen Fälle" in (m.text or ""),
                           thread_id=thread)
        assert sum(m.text == "Fall ist geschlossen." for m in api.messages(group)) == 1
        assert len(api.messages(amira)) == count
    all_calls_accepted(api)


async def test_a_second_counsellor_takes_over_and_a_non_member_changes_nothing(
        fake_api: FakeBotApi, tmp_path: Path, content: Content) -> None:
    api = patient(fake_api)
    olena = api.user(1002, "Olena", language_code="uk")
    lena, jonas = api.user(7001, "Lena"), api.user(7002, "Jonas")
    mallory = api.user(9001, "Mallory")  # not in the staff group
    group = api.group(STAFF, "Beratung", members=[lena], admins=[jonas])
    async with staff_bot(api, tmp_path):
        await intake(api, olena, content, "uk", "Де знайти курс німецької?")
        thread, note = await case_topic(api, group, 1)

        refused = await (await mallory.press("Übernehmen", note, chat=group)).wait_answered()
        assert refused.get("text") == "Nur für Beraterinnen und Berater."
        assert db(tmp_path, "select status, claimed_by_id from cases") == [("new", None)]

        await (await lena.press("Übernehmen", note, chat=group)).wait_answered()
        await api.wait_until(lambda: "bei Lena" in topic_name(api, group, thread))
        offered = await (await jonas.press("Übernehmen", note, chat=group)).wait_answered()
        assert offered.get("text") == "Fall ist bei Lena. Übernehmen?"
        prompt = await api.wait_for(group, lambda m: "Übernehmen?" in (m.text or ""),
                                    thread_id=thread)
        assert db(tmp_path, "select claimed_by_name from cases") == [("Lena",)]
        refused = await (await mallory.press("Ja, übernehmen", prompt, chat=group)
                         ).wait_answered()
        assert refused.get("text") == "Nur für Beraterinnen und Berater."
        assert db(tmp_path, "select claimed_by_name from cases") == [("Lena",)]

        await (await jonas.press("Ja, übernehmen", prompt, chat=group)).wait_answered()
        await api.wait_for(group, lambda m: m.text == "Übernommen von Jonas (vorher bei Lena).",
                           thread_id=thread)
        await api.wait_until(lambda: "bei Jonas" in topic_name(api, group, thread) and
                             not prompt.buttons)
        assert db(tmp_path, "select claimed_by_id, claimed_by_name from cases") == [
            (7002, "Jonas")]
        # A case id from another topic does not work here.
        wrong = await (await jonas.press("Übernehmen", note, chat=group)).wait_answered()
        assert wrong.get("text") == "Sie haben diesen Fall schon übernommen."
        # Data no button of this version carries is answered, the case left as it is.
        for data in ("case:claim:99999999999999999999", "case:claim:4294967296",
                     "case:claim:²", "case:claim:9", "case:claim:", "case:frobnicate:1",
                     "case:outcome:1:lost", "lang:de", "claim:1"):
            stale = await (await jonas.press_data(data, note)).wait_answered()
            assert stale.get("text") == "Dieser Knopf ist veraltet.", data
        assert db(tmp_path, "select status, claimed_by_name from cases") == [
            ("claimed", "Jonas")]
    log = (tmp_path / "lotse.log").read_text()
    assert "refused user=9001" in log and "Mallory" not in log
    all_calls_accepted(api)


async def test_canned_reply_arrives_in_the_persons_language_and_the_queue(
        fake_api: FakeBotApi, tmp_path: Path, content: Content) -> None:
    api = patient(fake_api)
    olena = api.user(1002, "Olena", language_code="uk")
    amira = api.user(1001, "Amira", language_code="ar")
    lena = api.user(7001, "Lena")
    group = api.group(STAFF, "Beratung", members=[lena])
    async with staff_bot(api, tmp_path):
        await intake(api, olena, content, "uk", "Де знайти курс німецької?")
        thread, note = await case_topic(api, group, 1)
        await intake(api, amira, content, "ar", "أين أجد دورة لغة؟")
        amira_thread, _ = await case_topic(api, group, 2)

        await lena.send("/queue", chat=group)  # in General
        queue = await api.wait_for(group, lambda m: "Offene Fälle" in (m.text or ""))
        lines = plain(queue.text).splitlines()[1:]
        assert [line.split(" · ")[:3] for line in lines] == [
            ["#1", "Sprachkurs", "Ukrainisch"], ["#2", "Sprachkurs", "Arabisch"]]
        assert all(re.search(r"wartet seit \d+ min$", line) for line in lines)
        assert queue.thread_id is None

        await lena.press("Übernehmen", note, chat=group)
        await api.wait_for(group, lambda m: m.text == "Übernommen von Lena.", thread_id=thread)
        await lena.send("/queue", chat=group, thread_id=thread)
        queue = await api.wait_for(group, lambda m: "Offene Fälle" in (m.text or ""),
                                   thread_id=thread)
        assert [line.split(" · ")[0] for line in plain(queue.text).splitlines()[1:]] == ["#2"]

        await lena.send("/canned", chat=group, thread_id=thread)
        menu = await api.wait_for(group, lambda m: bool(m.buttons), thread_id=thread)
        assert button_texts(menu) == [r.title for r in content.canned_replies.values()]
        await lena.press("Termin anbieten", menu, chat=group)
        expected = content.canned_replies["appointment"].text["uk"].replace(
            "{phone}", content.organisation.phone or "")
        received = await api.wait_for(olena, lambda m: "{phone}" not in (m.text or "") and
                                      plain(m.text) == expected)
        assert "Termin" not in received.text
        await api.wait_for(group, lambda m: m.text == "📋 Textbaustein gesendet: Termin anbieten",
                           thread_id=thread)
        assert not any(expected in plain(m.text) for m in api.messages(amira))
        assert db(tmp_path, "select direction, text from transcript_messages "
                            "where case_id = 1 and direction = 'counsellor'") == [
            ("counsellor", expected)]

        # Arabic reads right to left: the reply starts so, and the phone number is isolated,
        # as in every reply of the engine (`bidi.for_rtl`)
        await lena.send("/canned", chat=group, thread_id=amira_thread)
        menu = await api.wait_for(group, lambda m: bool(m.buttons), thread_id=amira_thread)
        await lena.press("Termin anbieten", menu, chat=group)
        arabic = content.canned_replies["appointment"].text["ar"].replace(
            "{phone}", content.organisation.phone or "")
        received = await api.wait_for(amira, lambda m: plain(m.text) == arabic)
        assert received.text == bidi.for_rtl(arabic)
        assert f"{bidi.LRI}{content.organisation.phone}{bidi.PDI}" in received.text
    all_calls_accepted(api)


async def test_staff_prompts_are_retried_and_paced_with_the_group(tmp_path: Path) -> None:
    """The router's answers in the group (`staff.say`, /reload's report) are outbox rows, paced
    with the group and retried: a 502 on the first one, then a burst of commands, and the group
    never gets more than its limits allow."""
    limits = RateLimits(group_rate=1.0, group_burst=3, enforce=False)
    faults = Faults(rate=1.0, kinds=(502,), limit=1, methods=("sendMessage",))
    async with FakeBotApi(rate_limits=limits, faults=faults) as api:
        api = patient(api)
        lena = api.user(7001, "Lena")
        group = api.group(STAFF, "Beratung", members=[lena])
        async with staff_bot(api, tmp_path, STAFF_GROUP_MESSAGES_PER_MINUTE="60",
                             ADMIN_IDS=str(lena.id), CONTENT_WATCH_SECONDS="0"):
            await lena.send("/queue", chat=group)
            await api.wait_for(group, lambda m: m.text == "Keine offenen Fälle ohne Bearbeitung.")
            assert api.injected_faults == [("sendMessage", 502)]
            for _ in range(4):
                await lena.send("/queue", chat=group)
            await lena.send("/reload", chat=group)
            await api.wait_for(group, lambda m: "Content unchanged" in (m.text or ""))
            await api.wait_until(lambda: len([m for m in api.messages(group) if m.from_bot and
                                              "Keine offenen" in (m.text or "")]) == 5)
        assert [v for v in api.rate_violations if v.scope == "group"] == []
