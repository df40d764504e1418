"""Crises end to end: the real `lotse run` process against the fake Bot API, with a staff forum
group. Crisis messages in eight languages in the middle of a flow get the emergency numbers
first; during the counsellor intake they get the numbers and intake goes on (the case arrives
urgent); inside an open case they also go to the counsellors' topic, which is marked urgent;
questions that only share words with a crisis get their ordinary answer; an unsure crisis gets
one question, and "yes" gives the numbers.

One bot process serves every test of this module (people in different chats, most of them at
the same time); each test uses its own people."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio

from bot.core.content.loader import load_or_raise
from bot.core.content.model import Content
from bot.core.language_id import identify
from bot.core.matcher import Confidence
from tests.e2e.harness import REPO, BotProcess
from tests.e2e.test_staff import (
    STAFF,
    all_calls_accepted,
    button_texts,
    case_topic,
    db,
    intake,
    patient,
    plain,
    press_when,
    topic_name,
)
from tests.fake_bot_api import FakeBotApi, SentMessage
from tests.fake_bot_api.actors import FakeGroup, FakeUser

pytestmark = pytest.mark.asyncio(loop_scope="module")

DANGER_QUESTION = "Are you in danger right now?"
NOTICE = ("🚨 Notfall: Die Person hat eine Notfall-Nachricht geschrieben. Sie hat die "
          "Notrufnummern bekommen.")


@dataclass
class Lotse:
    api: FakeBotApi
    bot: BotProcess
    group: FakeGroup
    folder: Path
    content: Content


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def lotse(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Lotse]:
    """The bot with the staff group, and the content it serves (loaded here while the bot
    starts; a start takes half a minute when the machine is busy, hence the longer timeout)."""
    async with FakeBotApi() as api:
        patient(api)
        group = api.group(STAFF, "Beratung", members=[api.user(7001, "Lena")])
        folder = tmp_path_factory.mktemp("crisis")
        bot = BotProcess(api, folder, STAFF_CHAT_ID=str(STAFF),
                         STAFF_GROUP_MESSAGES_PER_MINUTE="600")
        try:
            _, content = await asyncio.gather(
                bot.start(timeout=120),
                asyncio.to_thread(load_or_raise, REPO, REPO / "translations"))
            yield Lotse(api, bot, group, folder, content)
        finally:
            if bot.process is not None and not bot.exited:
                await bot.kill()


# ----- helpers ---------------------------------------------------------------------------------

def first_line(text: str) -> str:
    return plain(text).split("\n")[0]


def emergency_title(content: Content, lang: str) -> str:
    entry = content.emergency_entry
    assert entry is not None
    return entry.text[content.entry_lang(entry, lang)].title


def is_emergency(content: Content, lang: str, message: SentMessage) -> bool:
    return emergency_title(content, lang) in plain(message.text) and "112" in (message.text or "")


def is_danger_question(content: Content, lang: str, message: SentMessage) -> bool:
    return content.ui.get(lang).gettext(DANGER_QUESTION) in plain(message.text)


async def replies(api: FakeBotApi, user: FakeUser, after: SentMessage,
                  until: Callable[[list[SentMessage]], bool]) -> list[SentMessage]:
    """The bot's messages to `user` after the user's message `after`, once `until` holds."""
    def new() -> list[SentMessage]:
        return [m for m in api.messages(user) if m.message_id > after.message_id]

    await api.wait_until(lambda: until(new()))
    return new()


async def say(api: FakeBotApi, user: FakeUser, text: str, count: int = 1) -> list[SentMessage]:
    """Send `text`; the first `count` replies to it (more may follow)."""
    sent = await user.send(text)
    return (await replies(api, user, sent, lambda found: len(found) >= count))[:count]


async def started(api: FakeBotApi, user: FakeUser) -> None:
    await user.send("/start")
    await api.wait_until(lambda: any(m.buttons for m in api.messages(user)))


def check_signal(content: Content, text: str, clear: bool) -> None:
    """The message is one the shipped phrases read as intended (a test of the test)."""
    signal = content.signals.read(text)
    assert (signal.clear_crisis if clear else signal.possible_crisis), (text, signal)


# ----- a) crisis in the middle of a flow --------------------------------------------------------

FLOW_CRISES = {  # one person per language, each at a question of the flow "German courses"
    "de": "Mein Mann schlägt mich, ich habe Angst",
    "en": "I don't want to live anymore",
    "ar": "زوجي يهددني بالقتل",
    "uk": "Я не хочу жити",
    "fa": "امشب جایی برای خوابیدن ندارم",
    "ti": "ሰብኣየይ ይወቕዓኒ",
    "ru": "Мне негде ночевать сегодня",
    "tr": "Kocam beni öldürmekle tehdit ediyor",
}


async def test_crisis_in_the_middle_of_a_flow_gets_the_emergency_numbers_first(
        lotse: Lotse) -> None:
    api, content = lotse.api, lotse.content
    flow = content.flows["language-courses"]
    start = flow.nodes[flow.start]
    # the postcode question takes free text, the residence paper question takes buttons
    targets = [b for b in start.buttons if b.goto in ("plz", "status")]
    assert len(targets) == 2

    async def person(index: int, lang: str, crisis: str) -> None:
        check_signal(content, crisis, clear=True)
        user = api.user(100 + index, language_code=lang)
        await started(api, user)
        await press_when(api, user, content.pick(flow.title, lang).text)
        button = targets[index % 2]
        await press_when(api, user, content.pick(button.label, lang).text,
                         asking=first_line(content.pick(start.text, lang).text))
        asked = first_line(content.pick(flow.nodes[button.goto].text, lang).text)
        await api.wait_until(lambda: any(asked in plain(m.text) for m in api.messages(user)))

        first, = await say(api, user, crisis)
        assert is_emergency(content, lang, first), (lang, first.text)

    await asyncio.gather(*(person(i, lang, text)
                           for i, (lang, text) in enumerate(FLOW_CRISES.items())))
    all_calls_accepted(api)


# ----- b) crisis during the counsellor intake ---------------------------------------------------

async def case_of(lotse: Lotse, user: FakeUser) -> tuple[int, bool]:
    """The number and urgency of the user's case, once it is in the database."""
    query = ("select c.id, c.urgent from cases c join users u on u.id = c.user_id "
             "where u.external_id = ?")
    await lotse.api.wait_until(lambda: bool(db(lotse.folder, query, str(user.id))))
    number, urgent = db(lotse.folder, query, str(user.id))[0]
    return number, bool(urgent)


async def test_crisis_during_intake_gets_the_numbers_and_intake_goes_on_urgent(
        lotse: Lotse) -> None:
    api, group, content = lotse.api, lotse.group, lotse.content

    async def person(user_id: int, lang: str, crisis_at: str, crisis: str,
                     question: str) -> None:
        check_signal(content, crisis, clear=True)
        t = content.ui.get(lang)
        user = api.user(user_id, language_code=lang)

        def value(vocabulary: str, key: str) -> str:
            return content.vocabulary_label(vocabulary, key, lang)

        async def crisis_then(asked: str) -> None:
            emergency, again = await say(api, user, crisis, count=2)
            assert is_emergency(content, lang, emergency), emergency.text
            assert plain(again.text).startswith(t.gettext(asked)), again.text  # intake goes on

        await started(api, user)
        await user.send("/counsellor")
        await press_when(api, user, lambda s: s.endswith(t.gettext("I agree")))
        await api.wait_until(lambda: plain(api.messages(user)[-1].text).startswith(
            t.gettext("What is your question about?")))
        if crisis_at == "topic":  # a question with buttons
            await crisis_then("What is your question about?")
        await press_when(api, user, value("topic", "language"))
        await press_when(api, user, value("residence_status", "permit"))
        await press_when(api, user, value("german_level", "a1"))
        asking = ("Please write your question in your own words. You can write in your "
                  "language.")
        await api.wait_until(lambda: plain(api.messages(user)[-1].text).startswith(
            t.gettext(asking)))
        if crisis_at == "question":  # free text that would otherwise become the question
            await crisis_then(asking)
        await user.send(question)
        await press_when(api, user, value("contact_preference", "chat"))
        await press_when(api, user, lambda s: s.endswith(t.gettext("Skip")),
                         asking=t.gettext("What is your first name? This is optional."))
        await press_when(api, user, lambda s: s.endswith(t.gettext("Send")))

        number, urgent = await case_of(lotse, user)
        assert urgent
        thread, note = await case_topic(api, group, number)
        assert topic_name(api, group, thread).startswith(f"#{number} · 🚨 DRINGEND · ")
        assert plain(note.text).startswith(f"🚨 DRINGEND · Fall #{number}")
        assert question in plain(note.text)

    await asyncio.gather(
        person(201, "de", "topic", "Ich habe heute Nacht keinen Schlafplatz",
               "Wo finde ich einen Deutschkurs?"),
        person(202, "ar", "question", "زوجي يضربني", "أين أجد دورة لغة قريبة؟"))
    all_calls_accepted(api)


# ----- c) crisis inside an open case ------------------------------------------------------------

async def test_crisis_in_an_open_case_goes_to_the_counsellors_and_marks_the_topic_urgent(
        lotse: Lotse) -> None:
    api, group, content = lotse.api, lotse.group, lotse.content

    async def opened(user: FakeUser, lang: str, question: str) -> tuple[int, int, SentMessage]:
        await intake(api, user, content, lang, question)
        number, urgent = await case_of(lotse, user)
        assert not urgent
        thread, note = await case_topic(api, group, number)
        assert "DRINGEND" not in topic_name(api, group, thread) + plain(note.text)
        return number, thread, note

    async def marked_urgent(number: int, thread: int, note: SentMessage) -> None:
        await api.wait_for(group, lambda m: plain(m.text) == NOTICE, thread_id=thread)
        await api.wait_until(lambda: topic_name(api, group, thread).startswith(
            f"#{number} · 🚨 DRINGEND · ") and plain(note.text).startswith(
            f"🚨 DRINGEND · Fall #{number}"))
        assert button_texts(note) == ["Übernehmen", "Schließen"]  # still a case to claim
        assert db(lotse.folder, "select urgent from cases where id = ?", number) == [(1,)]

    async def clear_crisis() -> None:
        olena = api.user(301, "Olena", language_code="uk")
        crisis = "Чоловік погрожує мене вбити"
        check_signal(content, crisis, clear=True)
        number, thread, note = await opened(olena, "uk", "Де знайти курс німецької?")

        first, = await say(api, olena, crisis)
        assert is_emergency(content, "uk", first), first.text
        await api.wait_for(group, lambda m: plain(m.text) == f"💬 {crisis}", thread_id=thread)
        await marked_urgent(number, thread, note)

    async def unsure_crisis() -> None:
        # unsure: relayed to the counsellor at once, and "yes" marks the case urgent
        kemal = api.user(302, "Kemal", language_code="tr")
        crisis = "Acil"
        check_signal(content, crisis, clear=False)
        number, thread, note = await opened(kemal, "tr", "Almanca kursu nerede bulabilirim?")

        sent = await kemal.send(crisis)  # the first relay in a case is acknowledged first
        found = await replies(api, kemal, sent, lambda found: any(
            is_danger_question(content, "tr", m) for m in found))
        question = next(m for m in found if is_danger_question(content, "tr", m))
        assert not any(is_emergency(content, "tr", m) for m in found)
        await api.wait_for(group, lambda m: plain(m.text) == f"💬 {crisis}", thread_id=thread)
        t = content.ui.get("tr")
        await kemal.press(lambda b: plain(b.text).endswith(t.gettext("Yes, I need help now")),
                          question)
        await replies(api, kemal, question, lambda found: any(
            is_emergency(content, "tr", m) for m in found))
        await marked_urgent(number, thread, note)

    await asyncio.gather(clear_crisis(), unsure_crisis())
    all_calls_accepted(api)


# ----- d) near misses ---------------------------------------------------------------------------

NEAR_MISSES = [
    ("de", "Notfall Kurs"),
    ("de", "gibt es einen Notfall-Deutschkurs"),
    ("de", "Mein Mann will einen Deutschkurs machen"),
    ("de", "Gibt es einen Erste-Hilfe-Kurs?"),
    ("en", "emergency course"),
    ("en", "I am in danger of failing my exam"),
    ("en", "my husband wants to do a course"),
    ("en", "my boss threatens to fire me"),
    ("uk", "Мій чоловік хоче піти на курс німецької"),
    ("ru", "Мой муж хочет пойти на курс немецкого"),
    ("tr", "Acil durum kursu var mı"),
    ("ar", "زوجي يريد أن يسجل في دورة لغة"),
]


NO_ANSWER = ("Sorry, I found no answer to that. Try other words, choose a topic, or talk to a "
             "counsellor.")


def ordinary(content: Content, lang: str, text: str, message: SentMessage) -> bool:
    """`message` is what the FAQ matcher gives `text`: its answer, its choices, or "no answer"
    (the first for this person)."""
    t = content.ui.get(lang)
    result = content.matcher.match(text, identify(text, content.languages.languages) or lang)
    titles = [content.entries[c.entry_id].text[content.entry_lang(
        content.entries[c.entry_id], lang)].title for c in result.candidates[:3]]
    shown = plain(message.text)
    if result.confidence is Confidence.CONFIDENT:
        return titles[0] in shown
    if result.confidence is Confidence.UNSURE:
        return button_texts(message)[:len(titles)] == titles
    return shown == t.gettext(NO_ANSWER)


async def test_near_misses_get_their_ordinary_answers(
        lotse: Lotse) -> None:
    api, content = lotse.api, lotse.content

    async def person(index: int, lang: str, text: str) -> None:
        assert content.signals.read(text).crisis is None, text
        user = api.user(400 + index, language_code=lang)
        await started(api, user)
        sent = await user.send(text)
        first = (await replies(api, user, sent, bool))[0]
        assert ordinary(content, lang, text, first), (text, first.text, button_texts(first))
        # everything this update was answered: the replies before the answer to a later message
        help_header = content.ui.get(lang).gettext("How to use Lotse:")
        marker = await user.send("/help")
        helped = await replies(api, user, marker, lambda found: any(
            help_header in plain(m.text) for m in found))
        end = next(m.message_id for m in helped if help_header in plain(m.text))
        found = [m for m in api.messages(user) if sent.message_id < m.message_id < end]
        assert not any(is_emergency(content, lang, m) or is_danger_question(content, lang, m)
                       or emergency_title(content, lang) in button_texts(m)  # not as a choice
                       for m in found), (text, [m.text for m in found])

    await asyncio.gather(*(person(i, lang, text) for i, (lang, text) in enumerate(NEAR_MISSES)))
    all_calls_accepted(api)


# ----- e) unsure crisis: one question --------------------------------------------------------

UNSURE = {"en": "emergency", "de": "Notfall", "uk": "Терміново допоможіть", "ar": "طوارئ",
          "ru": "Срочно помогите"}


async def test_unsure_crisis_asks_once_and_yes_gives_the_numbers(
        lotse: Lotse) -> None:
    api, content = lotse.api, lotse.content

    async def person(index: int, lang: str, text: str, answer: str) -> None:
        check_signal(content, text, clear=False)
        t = content.ui.get(lang)
        user = api.user(500 + index, language_code=lang)
        await started(api, user)
        question, = await say(api, user, text)
        assert is_danger_question(content, lang, question), (text, question.text)
        assert button_texts(question) == ["🆘 " + t.gettext("Yes, I need help now"),
                                          "✓ " + t.gettext("No, I am safe")]
        await user.press(lambda b: plain(b.text).endswith(t.gettext(answer)), question)
        after = await replies(api, user, question, bool)
        if answer == "Yes, I need help now":
            assert is_emergency(content, lang, after[0]), (text, after[0].text)
        else:  # safe: the answer the text would have got (without the emergency entry)
            result = content.matcher.match(text, lang)
            if result.confidence is Confidence.CONFIDENT:
                entry = content.entries[result.candidates[0].entry_id]
                expected = entry.text[content.entry_lang(entry, lang)].title
            elif result.confidence is Confidence.UNSURE:
                expected = t.ngettext("Did you mean this?", "Did you mean one of these?",
                                      len(result.candidates))
            else:
                expected = t.gettext("Good. Write your question in other words, or choose a "
                                     "topic.")
            assert expected in plain(after[0].text), (text, after[0].text)
            assert not is_emergency(content, lang, after[0]), (text, after[0].text)

    await asyncio.gather(*(person(i, lang, text, "Yes, I need help now")
                           for i, (lang, text) in enumerate(UNSURE.items())),
                         person(len(UNSURE), "de", "Notfall", "No, I am safe"))
    all_calls_accepted(api)
