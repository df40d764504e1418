"""The staff-group workflow as docs/counsellors.md quotes it: the real `lotse run` process against
the fake Bot API plays two cases through (arrival, /queue, claim, messages both ways, /note,
/canned, takeover, close with outcome and rating, a callback case, an emergency in an open case,
/delete) and writes down what each side did and saw. The doc embeds each part of that transcript
between `<!-- transcript: NAME -->` and `<!-- /transcript -->`; the test fails when a quoted part
no longer matches what the bot does. After a deliberate change of the workflow, rewrite the
quotes with `LOTSE_WRITE_COUNSELLORS_DOC=1 .venv/bin/pytest tests/e2e/test_counsellors_doc.py`
and read the diff: the prose around them may need the change too.

What varies from run to run is written as a placeholder: dates and times, minutes waited, and the
office-hours sentence of the confirmation (it depends on the hour of the run)."""
from __future__ import annotations

import html
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.core import bidi
from bot.core.content.model import Content
from tests.e2e.test_outbox import Person
from tests.e2e.test_staff import STAFF, all_calls_accepted, patient, staff_bot
from tests.fake_bot_api import FakeBotApi, SentMessage
from tests.fake_bot_api.actors import FakeGroup, FakeUser
from tests.fake_bot_api.models import ApiCall

DOC = Path(__file__).resolve().parents[2] / "docs" / "counsellors.md"
WRITE = "LOTSE_WRITE_COUNSELLORS_DOC"
BLOCK = re.compile(r"(<!-- transcript: (?P<name>[\w-]+) -->\n```text\n)(?P<body>.*?)(```\n"
                   r"<!-- /transcript -->)", re.DOTALL)
QUIET = frozenset({"getUpdates", "getMe", "getChatMember", "setMyCommands", "deleteWebhook",
                   "getFile"})
"""Calls that show nothing to anyone."""
ORDER = ("answerCallbackQuery", "createForumTopic", "editMessageText", "editMessageReplyMarkup",
         "editForumTopic", "sendMessage", "sendPhoto", "sendDocument", "sendVoice",
         "deleteForumTopic")
"""Within one step and one chat the calls are written in this order, edits by message (the
handler's own answers and the outbox's deliveries run side by side, so their timing is not the
workflow)."""
MEDIA = {"sendPhoto": "Foto", "sendDocument": "Dokument", "sendVoice": "Sprachnachricht"}


def shown(text: str | None) -> str:
    """Telegram HTML as a reader sees it, with what varies between runs as placeholders."""
    text = html.unescape(re.sub(r"</?(b|i|u|s|code|pre|a|blockquote)\b[^>]*>", "", text or ""))
    text = bidi.strip_marks(text)
    text = re.sub(r"\d\d\.\d\d\.\d{4}, \d\d:\d\d Uhr", "TT.MM.JJJJ, hh:mm Uhr", text)
    return re.sub(r"wartet seit \d[^\n]*", "wartet seit …", text)


@dataclass
class Transcript:
    """What happened, step by step: the test's actions as it writes them, then the calls the bot
    made since the step began (grouped by chat), rendered for people who never saw an API."""

    api: FakeBotApi
    group: FakeGroup
    people: dict[int, str]
    """Private chat id → the name the transcript gives the person."""
    office_hours: list[re.Pattern[str]] = field(default_factory=list)
    parts: dict[str, list[str]] = field(default_factory=dict)
    _part: list[str] = field(default_factory=list)
    _mark: int = 0
    _topics: dict[int, str] = field(default_factory=dict)

    def part(self, name: str) -> None:
        """From here on, write the part `name`."""
        self.flush()
        self._part = self.parts.setdefault(name, [])

    def end(self) -> None:
        """The part is over: what happens until the next one is not written down."""
        self.flush()
        self._part = []

    def did(self, line: str) -> None:
        self.flush()
        self._part.append(line)

    def flush(self) -> None:
        calls = [c for c in self.api.calls[self._mark:] if c.ok and c.method not in QUIET]
        self._mark = len(self.api.calls)
        for topic in self.api.topics(self.group):
            self._topics.setdefault(topic.thread_id, topic.name.split(" ")[0])
        callbacks = [c for c in calls if c.method == "answerCallbackQuery"]
        for call in callbacks:
            if call.params.get("text"):
                alert = " (als Fenster)" if call.params.get("show_alert") in (True, "true") else ""
                self._part.append(f"  Hinweis am Knopf{alert}: „{call.params['text']}“")
        chats = dict.fromkeys(str(c.params.get("chat_id")) for c in calls if c not in callbacks)
        # the staff group first, then people: the group is paced apart from the private chats,
        # so which of them the bot reached first in a step is timing, not the workflow
        for chat in sorted(chats, key=lambda chat: chat != str(self.group.chat_id)):
            mine = sorted((c for c in calls if str(c.params.get("chat_id")) == chat),
                          key=lambda c: (ORDER.index(c.method), int(c.params.get(
                              "message_id") or 0) if c.method.startswith("edit") else 0))
            for call in mine:
                self._part.extend(self._render(int(chat), call))

    def _where(self, chat: int, call: ApiCall) -> str:
        if chat != self.group.chat_id:
            return f"bei {self.people[chat]}"
        edited = self._message(chat, call.params) if call.method.startswith("edit") else None
        thread = edited.thread_id if edited else call.params.get("message_thread_id")
        return "in der Gruppe (Allgemein)" if thread is None else \
            f"im Thema {self._topics.get(int(thread), '?')}"

    def _render(self, chat: int, call: ApiCall) -> list[str]:
        where, params = self._where(chat, call), call.params
        if call.method == "createForumTopic":
            return [f"  Bot legt ein Thema an: „{params['name']}“"]
        if call.method == "editForumTopic":
            return [f"  Thema heißt jetzt: „{params['name']}“"]
        if call.method == "deleteForumTopic":
            return [f"  Bot löscht das Thema {self._topics.get(int(params['message_thread_id']))}"]
        if call.method == "editMessageReplyMarkup":
            return [f"  Bot nimmt die Knöpfe ab von „{self._first_line(chat, params)}“"]
        if call.method in MEDIA:
            caption = f": {shown(params.get('caption'))}" if params.get("caption") else ""
            return [f"  Bot {where}: [{MEDIA[call.method]}]{caption}"]
        text = self._text(shown(str(params.get("text"))))
        head = f"  Bot {where}:" if call.method == "sendMessage" else \
            f"  Bot ändert {self._edited(chat, params)} {where}:"
        return [head, *(f"    │ {line}".rstrip() for line in text.split("\n")),
                *self._buttons(params.get("reply_markup"))]

    def _text(self, text: str) -> str:
        for pattern in self.office_hours:
            text = pattern.sub("[Satz zu den Sprechzeiten]", text)
        return text

    def _message(self, chat: int, params: dict[str, object]) -> SentMessage | None:
        number = params.get("message_id")
        return next((m for m in self.api.messages(chat) if str(m.message_id) == str(number)),
                    None)

    def _first_line(self, chat: int, params: dict[str, object]) -> str:
        message = self._message(chat, params)
        return shown(message.text if message else "").split("\n")[0]

    def _edited(self, chat: int, params: dict[str, object]) -> str:
        message = self._message(chat, params)
        if chat == self.group.chat_id and message is not None and message.thread_id and \
                self.api.messages(chat, thread_id=message.thread_id)[0] is message:
            return "die Fallnotiz"  # the first message in the case's topic
        return "seine Nachricht"

    @staticmethod
    def _buttons(markup: object) -> list[str]:
        rows = (markup or {}).get("inline_keyboard", []) if isinstance(markup, dict) else []
        return ["    " + " ".join(f"[{bidi.strip_marks(str(b['text']))}]" for b in row)
                for row in rows]

    def text(self, name: str) -> str:
        self.flush()
        return "\n".join(self.parts[name]) + "\n"


def office_hours_sentences(content: Content, locale: str) -> list[re.Pattern[str]]:
    """The confirmation's sentence about when the office answers, in any of its forms."""
    t = content.ui.get(locale)
    templates = ("We answer {time}.", "The office is closed now. It opens again on {day} at "
                 "{time}.")
    return [re.compile(re.sub(r"\\\{\w+\\\}", ".+?", re.escape(t.gettext(s)))) for s in templates]


def quoted(doc: str) -> dict[str, str]:
    return {m["name"]: m["body"] for m in BLOCK.finditer(doc)}


def written(doc: str, parts: dict[str, str]) -> str:
    return BLOCK.sub(lambda m: m[1] + parts.get(m["name"], m["body"]) + m[4], doc)


async def until(api: FakeBotApi, *conditions: Callable[[], bool]) -> None:
    """Wait until all of a step's effects are there (the transcript takes the calls up to now)."""
    try:
        await api.wait_until(lambda: all(condition() for condition in conditions))
    except TimeoutError:
        missing = [number for number, condition in enumerate(conditions) if not condition()]
        raise TimeoutError(f"conditions {missing} (counted from 0) not met") from None


def said(api: FakeBotApi, chat: FakeUser | FakeGroup, text: str, *,
         thread_id: int | None = None) -> Callable[[], bool]:
    return lambda: any(text in shown(m.text) for m in api.messages(chat, thread_id=thread_id))


def named(api: FakeBotApi, group: FakeGroup, thread: int, part: str) -> Callable[[], bool]:
    return lambda: any(t.thread_id == thread and part in t.name for t in api.topics(group))


async def press(transcript: Transcript, who: FakeUser, label: str, message: SentMessage,
                group: FakeGroup | None = None) -> None:
    transcript.did(f"{who.first_name} drückt [{label}]")
    await who.press(lambda b: bidi.strip_marks(b.text).endswith(label), message, chat=group)


async def write(transcript: Transcript, who: FakeUser, text: str, group: FakeGroup | None = None,
                thread: int | None = None, topic: str = "") -> None:
    where = f" im Thema {topic}" if group is not None and thread is not None else \
        " in der Gruppe (Allgemein)" if group is not None else " (privat an den Bot)"
    transcript.did(f"{who.first_name}{where}: {text}")
    await who.send(text, chat=group, thread_id=thread)


async def test_the_workflow_counsellors_md_quotes(fake_api: FakeBotApi, tmp_path: Path,
                                                   content: Content) -> None:
    api = patient(fake_api)
    sara = api.user(1101, "Sara", language_code="en")
    paul = api.user(1102, "Paul", language_code="de")
    lena, jonas = api.user(7001, "Lena"), api.user(7002, "Jonas")
    group = api.group(STAFF, "Beratung", members=[lena, jonas])
    transcript = Transcript(api, group, {sara.id: "Sara", paul.id: "Paul"},
                            office_hours_sentences(content, "en") +
                            office_hours_sentences(content, "de"))
    en, de = content.ui.get("en"), content.ui.get("de")
    async with staff_bot(api, tmp_path):
        # Sara asks in English to be answered in the chat and gives her first name.
        asker = Person(api, content, sara, "en")
        await asker.consent()
        for name, value in (("topic", "language"), ("residence_status", "permit"),
                            ("german_level", "a1")):
            await asker.answer(name, value)
        await asker.answer("question", typed="Where can I find a German course near Musterstadt?")
        await asker.answer("contact_preference", "chat")
        await asker.answer("first_name", typed="Sara")
        review = await asker.shown("Please check what the counsellor will receive:")
        transcript.part("arrival")
        await press(transcript, sara, en.gettext("Send"), review)
        await until(api, said(api, sara, "#1"),
                    lambda: any(m.buttons for m in api.messages(group)))
        note = next(m for m in api.messages(group) if m.buttons)
        thread = note.thread_id
        assert thread is not None
        transcript.end()

        # Paul (German) wants a call back in the afternoon.
        caller = Person(api, content, paul, "de")
        await caller.consent()
        for name, value in (("topic", "work"), ("residence_status", "asylum"),
                            ("german_level", "b1")):
            await caller.answer(name, value)
        await caller.answer("question", typed="Darf ich mit meiner Aufenthaltsgestattung "
                                              "arbeiten?")
        await caller.answer("contact_preference", "phone")
        await caller.answer("phone", typed="0151 23456789")
        await caller.answer("preferred_time", "afternoon")
        await caller.answer("first_name")
        review = await caller.shown("Please check what the counsellor will receive:")
        transcript.part("callback")
        await press(transcript, paul, de.gettext("Send"), review)
        await until(api, said(api, paul, "#2"),
                    lambda: sum(bool(m.buttons) for m in api.messages(group)) == 2)
        paul_note = [m for m in api.messages(group) if m.buttons][-1]
        paul_thread = paul_note.thread_id
        assert paul_thread is not None
        transcript.end()

        transcript.part("queue")
        await write(transcript, lena, "/queue", group)
        await until(api, said(api, group, "Offene Fälle ohne Bearbeitung"))

        transcript.part("claim")
        await press(transcript, lena, "Übernehmen", note, group)
        await until(api, said(api, group, "Übernommen von Lena.", thread_id=thread),
                    said(api, sara, en.gettext("A counsellor has taken your case #{number} and "
                                               "will write to you here.").format(number=1)),
                    lambda: "Übernommen von: Lena" in shown(note.text),
                    named(api, group, thread, "bei Lena"))

        transcript.part("messages")
        await write(transcript, lena, "Hello Sara, I am Lena from the counselling office.",
                    group, thread, "#1")
        await until(api, said(api, sara, "I am Lena"))
        await write(transcript, sara, "Thank you! I work in the mornings.")
        await until(api, said(api, group, "💬 Thank you!", thread_id=thread))
        transcript.did("Lena schickt im Thema #1 einen Sticker")
        await lena.send_sticker(chat=group, thread_id=thread)
        await until(api, said(api, group, "kann nicht weitergeleitet werden", thread_id=thread))

        transcript.part("note")
        await write(transcript, lena, "/note Braucht einen Abendkurs, Kinderbetreuung fragen",
                    group, thread, "#1")
        await until(api, said(api, group, "Interne Notiz gespeichert", thread_id=thread))

        transcript.part("canned")
        await write(transcript, lena, "/canned", group, thread, "#1")
        await until(api, said(api, group, "Textbaustein für Fall #1", thread_id=thread))
        menu = api.messages(group, thread_id=thread)[-1]
        await press(transcript, lena, "Bitte Unterlagen mitbringen", menu, group)
        documents = content.canned_replies["documents"].text["en"]
        await until(api, said(api, sara, documents),
                    said(api, group, "Textbaustein gesendet", thread_id=thread),
                    lambda: not menu.buttons)

        transcript.part("takeover")
        await press(transcript, jonas, "Übernehmen", note, group)
        await until(api, said(api, group, "Fall #1 ist bei Lena. Übernehmen?", thread_id=thread))
        prompt = api.messages(group, thread_id=thread)[-1]
        await press(transcript, jonas, "Ja, übernehmen", prompt, group)
        await until(api, said(api, group, "(vorher bei Lena)", thread_id=thread),
                    lambda: not prompt.buttons, named(api, group, thread, "bei Jonas"),
                    lambda: "Übernommen von: Jonas" in shown(note.text))

        transcript.part("close")
        await press(transcript, jonas, "Schließen", note, group)
        await until(api, said(api, group, "mit welchem Ergebnis?", thread_id=thread))
        outcome = api.messages(group, thread_id=thread)[-1]
        await press(transcript, jonas, "beantwortet", outcome, group)
        closing = en.gettext("Did we help you?")
        await until(api, said(api, sara, closing),
                    said(api, group, "Geschlossen von Jonas", thread_id=thread),
                    lambda: "Ergebnis: beantwortet" in shown(note.text) and not note.buttons,
                    named(api, group, thread, "geschlossen"), lambda: not outcome.buttons)
        rating = next(m for m in api.messages(sara) if closing in shown(m.text))
        await press(transcript, sara, en.gettext("It helped"), rating)
        await until(api, said(api, sara, en.gettext("Thank you for telling us!")))
        await write(transcript, lena, "One more thing, Sara?", group, thread, "#1")
        await until(api, said(api, group, "Fall ist geschlossen.", thread_id=thread))

        transcript.part("urgent")
        await write(transcript, paul, "Mein Mann schlägt mich, ich habe Angst.")
        await until(api, said(api, group, "Notfall", thread_id=paul_thread),
                    said(api, group, "💬 Mein Mann", thread_id=paul_thread),
                    named(api, group, paul_thread, "DRINGEND"),
                    lambda: "DRINGEND" in shown(paul_note.text),
                    said(api, paul, "112"), said(api, paul, "(Fall #2)"))

        transcript.part("delete")
        await write(transcript, paul, "/delete")
        await until(api, said(api, paul, de.gettext("Delete everything?")))
        confirm = api.messages(paul)[-1]
        await press(transcript, paul, de.gettext("Delete everything"), confirm)
        await until(api, said(api, paul, de.gettext("Done: everything is deleted. If you write again, "
                                               "Lotse starts afresh.")),
                    said(api, group, "Daten auf Wunsch der Person gelöscht"),
                    lambda: all(t.thread_id != paul_thread for t in api.topics(group)))
    all_calls_accepted(api)

    parts = {name: transcript.text(name) for name in transcript.parts}
    doc = DOC.read_text(encoding="utf-8")
    if os.environ.get(WRITE):
        DOC.write_text(written(doc, parts), encoding="utf-8")
    in_doc = quoted(DOC.read_text(encoding="utf-8"))
    assert sorted(in_doc) == sorted(parts), "docs/counsellors.md quotes other parts"
    for name, text in parts.items():
        assert in_doc[name] == text, (
            f"docs/counsellors.md's transcript {name!r} no longer matches the bot; if the change "
            f"is meant, run {WRITE}=1 .venv/bin/pytest tests/e2e/{Path(__file__).name} and update the text "
            f"around it.\n--- the bot now:\n{text}")
