"""The conversation engine, step by step, on the fixture content in tests/data/content_check/base.

Pure and fast: no database, no channel. Every reply any test produces is checked to be valid
Telegram HTML with callback data of at most 64 bytes (`Chat.send`)."""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.channels.telegram.buttons import OptionButton
from bot.core import bidi, telegram_html
from bot.core.content.loader import load
from bot.core.content.model import Content
from bot.core.engine import step
from bot.core.events import (
    FOREIGN,
    Choice,
    Command,
    Effect,
    Event,
    Media,
    MediaKind,
    RefusedButton,
    Reply,
    SetLocale,
    Start,
    Text,
)
from bot.core.state import Option, State
from content_cases import UI_DIR, build_tree

STALE = "This button belongs to an older message. Here is where you are now."
MENU = "What would you like to know? Choose a topic, or write your question in your own words."
GREETING = "Hello! I am Lotse, the digital assistant of"
NO_ANSWER = "Sorry, I found no answer to that."
STILL_NO_ANSWER = "I still have no answer to that. A counsellor can help you personally."
CONSENT = "Before a counsellor can help you:"
NOT_TRANSLATED = "This text is not yet translated into"
MACHINE = "This text was translated by a machine and may contain mistakes."
OUTDATED = ("The German text was changed after this translation was made, so it may be out of "
            "date.")


def check_reply(reply: Reply) -> None:
    """What Telegram would accept: valid HTML in the limit, callback data ≤ 64 bytes."""
    telegram_html.parse(reply.text)  # raises MarkupError
    assert telegram_html.length(reply.text) <= telegram_html.MESSAGE_LIMIT
    for row in reply.buttons:
        for button in row:
            assert (button.data is None) != (button.url is None), button
            if button.data is not None:
                assert len(OptionButton.of(button.data).pack().encode()) <= 64, button.data
            assert button.label.strip()


class Chat:
    """One person talking to the engine; keeps the state between events like a channel would."""

    def __init__(self, content: Content, state: State | None = None) -> None:
        self.content = content
        self.state = state or State()
        self.replies: list[Reply] = []
        self.effects: list[Effect] = []

    def send(self, event: Event) -> Chat:
        before = json.dumps(self.state.to_json(), sort_keys=True)
        result = step(self.content, self.state, event)
        assert json.dumps(self.state.to_json(), sort_keys=True) == before, "state was mutated"
        for reply in result.replies:
            check_reply(reply)
        self.state, self.replies, self.effects = result.state, result.replies, result.effects
        return self

    def start(self, payload: str | None = None, locale: str | None = "en") -> Chat:
        return self.send(Start(payload, locale))

    def type(self, text: str) -> Chat:
        return self.send(Text(text))

    # ----- what was shown ---------------------------------------------------------------------

    @property
    def text(self) -> str:
        """The replies' text as a reader sees it (markup and direction marks removed)."""
        return "\n\n".join(bidi.strip_marks(telegram_html.parse(r.text)) for r in self.replies)

    @property
    def buttons(self) -> list[tuple[str, Choice | None]]:
        return [(bidi.strip_marks(b.label), b.data) for r in self.replies for row in r.buttons
                for b in row]

    @property
    def labels(self) -> list[str]:
        return [label for label, data in self.buttons if data is not None]

    def data(self, label: str) -> Choice:
        found = [data for text, data in self.buttons if data and label in text]
        assert len(found) == 1, (label, self.buttons)
        return found[0]

    def press(self, label: str) -> Chat:
        return self.send(self.data(label))

    @property
    def asked_consent(self) -> bool:
        return self.state.intake_step == "consent"


@pytest.fixture
def chat(content: Content) -> Chat:
    return Chat(content).start()


def at(content: Content, flow: str, node: str, **state: object) -> Chat:
    """A chat that is at `flow`/`node` with that node's buttons live (shown again after a stale
    button, the way a person returning to the chat sees it)."""
    chat = Chat(content, State(locale="en", flow=flow, node=node, **state))  # type: ignore[arg-type]
    chat.send(FOREIGN)
    assert chat.state.flow == flow and chat.state.node == node
    return chat


# ----- start, menu and each node type ---------------------------------------------------------


def test_start_greets_in_the_client_language_and_shows_the_menu(chat: Chat) -> None:
    assert chat.text.startswith(GREETING + " the Test Town Advice Centre.")  # its name_of
    assert MENU in chat.text
    assert chat.labels == ["German courses", "Work", "👤 Talk to a counsellor", "🌐 Language"]
    assert chat.effects == [SetLocale("en")]
    assert chat.state.locale == "en" and chat.state.screen == 1


def test_menu_node_shows_its_buttons_and_the_way_out(chat: Chat) -> None:
    chat.press("German courses")
    assert chat.text == "What would you like to know about German courses?"
    assert chat.labels == ["What is an integration course?", "May I take part?", "Costs",
                           "Work and jobs", "◀ Back", "☰ Menu", "👤 Counsellor"]
    assert (chat.state.flow, chat.state.node) == ("courses", "start")
    assert chat.state.path == ["courses/start"]


def test_menu_button_opens_another_flow(chat: Chat) -> None:
    chat.press("German courses").press("Work and jobs")
    assert chat.text == "What would you like to know about work?"
    assert chat.state.trail == ["courses/start"]
    chat.press("Back")
    assert (chat.state.flow, chat.state.node) == ("courses", "start")


def test_ask_with_vocabulary_stores_the_value_and_branches_to_the_default(chat: Chat) -> None:
    chat.press("German courses").press("May I take part?")
    assert chat.text == "What is your residence status?"
    assert chat.labels[:3] == ["Residence permit", "Asylum procedure", "Tolerated stay"]
    chat.press("Residence permit")
    # branch default → answer (integration-course) with next → ask with options
    assert chat.state.fields == {"residence_status": "permit"}
    assert [r.text.split("\n")[0] for r in chat.replies] == [
        "<b>What is an integration course?</b>", "How well do you speak German?"]
    assert "🔗 More about the course" in [label for label, _ in chat.buttons]
    assert "👤 Talk to a counsellor" not in chat.labels  # the answer is not the end yet
    assert (chat.state.node, chat.state.shown) == ("ask-level", ["integration-course"])
    assert chat.state.path == ["courses/start", "courses/ask-status", "courses/by-status",
                               "courses/course", "courses/ask-level"]


@pytest.mark.parametrize("status", ["Asylum procedure", "Tolerated stay"])
def test_branch_case_leads_to_handoff_with_what_is_known(chat: Chat, status: str) -> None:
    chat.press("German courses").press("What is an integration course?").press("Back")
    chat.press("May I take part?").press(status)
    assert chat.text.startswith("We are happy to advise you on this in person.\n\n" + CONSENT)
    value = {"Asylum procedure": "asylum", "Tolerated stay": "duldung"}[status]
    assert chat.state.intake == {"topic": "language", "residence_status": value}
    assert chat.state.shown == ["integration-course"]
    assert chat.state.path[-3:] == ["courses/ask-status", "courses/by-status", "courses/talk"]
    assert chat.labels == ["✓ I agree", "✗ No, thanks"]


def test_ask_with_options_then_answer_with_buttons(content: Content) -> None:
    chat = at(content, "courses", "ask-level")
    assert chat.text.endswith("How well do you speak German?")
    assert chat.labels[:2] == ["Beginner", "Advanced"]
    chat.press("Advanced")
    assert chat.state.fields == {"german_level": "b1"}
    assert chat.text.startswith("How much does the course cost?")
    # course-costs does not offer a counsellor; the node's own button comes first
    assert chat.labels == ["Back to the start", "◀ Back", "☰ Menu"]
    chat.press("Back to the start")
    assert chat.state.node == "start" and chat.text.startswith("What would you like to know")


def test_ask_with_input_checks_the_value(chat: Chat) -> None:
    chat.press("Work").press("Since when in Germany?")
    assert chat.text == "In which year did you arrive?"
    chat.type("last year")
    assert chat.text == "Please write a year, for example 2022."  # the content's own error
    assert chat.state.node == "ask-year" and chat.state.fields == {}
    chat.type("2")  # a digit is an answer here, not the second button
    assert chat.state.node == "ask-year"
    chat.type("٢٠٢٠")  # Arabic-Indic digits
    assert chat.state.fields == {"arrival_year": "2020"}
    assert chat.text == "What is your postcode?"
    chat.type("123")
    assert chat.text == "Please write the five digits of your postcode, for example 85521."
    chat.type("85 521")
    assert chat.state.fields == {"arrival_year": "2020", "postcode": "85521"}
    assert chat.text.startswith("How do I find a job?")
    assert "👤 Talk to a counsellor" in chat.labels


def test_back_from_an_ask_returns_to_the_node_before(chat: Chat) -> None:
    chat.press("Work").press("Since when in Germany?").type("2020")
    chat.press("Back")
    assert chat.state.node == "ask-year" and chat.text == "In which year did you arrive?"
    chat.press("Back")
    assert chat.state.node == "start"
    chat.press("Back")  # nothing left to go back to: the main menu
    assert MENU in chat.text and chat.state.flow is None


# ----- ways out of every node -----------------------------------------------------------------

WAITING_NODES = [("courses", "start"), ("courses", "ask-status"), ("courses", "ask-level"),
                 ("work", "start"), ("work", "ask-year"), ("work", "ask-postcode")]


@pytest.mark.parametrize(("flow", "node"), WAITING_NODES)
def test_back_menu_counsellor_and_language_from_any_node(content: Content, flow: str,
                                                         node: str) -> None:
    trail = ["work/start"] if flow == "courses" else ["courses/start"]
    chat = at(content, flow, node, trail=trail, fields={"postcode": "85521"})
    assert chat.text.startswith(STALE)
    assert chat.labels[-3:] == ["◀ Back", "☰ Menu", "👤 Counsellor"]
    saved = chat.state

    back = Chat(content, saved)
    back.replies = chat.replies
    back.press("◀ Back")
    assert f"{back.state.flow}/{back.state.node}" == trail[0]

    menu = Chat(content, saved)
    menu.replies = chat.replies
    menu.press("☰ Menu")
    assert menu.text == MENU and menu.state.flow is None and menu.state.trail == []

    counsellor = Chat(content, saved)
    counsellor.replies = chat.replies
    counsellor.press("👤 Counsellor")
    assert counsellor.text.startswith(CONSENT)
    assert counsellor.state.intake == {"topic": content.flows[flow].topic}

    assert Chat(content, saved).send(Command("menu")).text == MENU
    assert Chat(content, saved).send(Command("counsellor")).asked_consent
    language = Chat(content, saved).send(Command("language"))
    assert language.text.startswith("🌐 ") and "Please choose your language." in language.text
    assert language.labels == ["Deutsch", "English", "العربية", "فارسی"]
    language.press("Deutsch")
    assert language.effects == [SetLocale("de")] and language.state.locale == "de"
    assert language.labels[0] == "Deutschkurse"  # the main menu, now in German


def test_language_command_with_a_code_switches_directly(chat: Chat) -> None:
    chat.send(Command("language", "ar"))
    assert chat.effects == [SetLocale("ar")]
    assert chat.labels[0] == "دورات اللغة الألمانية"


# ----- stale and typed buttons ----------------------------------------------------------------


def test_an_old_button_gets_a_polite_reply_and_the_current_screen(chat: Chat) -> None:
    old = chat.data("German courses")
    chat.press("German courses")
    chat.send(old)
    assert chat.text == STALE + "\n\n" + "What would you like to know about German courses?"
    assert chat.state.node == "start" and chat.state.flow == "courses"
    chat.press("Costs")  # the buttons shown with the notice work
    assert chat.text.startswith("How much does the course cost?")


@pytest.mark.parametrize("choice", [FOREIGN, Choice(99, 0), Choice(1, 99), Choice(-1, 0),
                                    Choice(1, -1), Choice(0, 0), Choice(10**30, 0)])
def test_a_choice_of_no_live_button_never_fails(chat: Chat, choice: Choice) -> None:
    chat.send(choice)
    assert chat.text == STALE + "\n\n" + MENU
    assert chat.effects == [RefusedButton()]  # logged by the conversation layer


def test_old_button_after_the_content_changed(content: Content) -> None:
    chat = Chat(content, State(locale="en", flow="courses", node="removed-node"))
    chat.send(Choice(0, 0))
    assert chat.text == STALE + "\n\n" + MENU
    chat = Chat(content, State(locale="en", screen=1,
                               options=[Option(("node", "courses/removed-node"), "Old")]))
    chat.send(Choice(1, 0))
    assert chat.text == "This part of the menu has changed. Here is the main menu.\n\n" + MENU


@pytest.mark.parametrize(("typed", "opens"), [
    ("1", "courses/start"), ("2", "work/start"), ("۲", "work/start"),
    ("German courses", "courses/start"), ("  german COURSES! ", "courses/start"),
    ("Work", "work/start")])
def test_typing_a_number_or_label_presses_the_button(chat: Chat, typed: str, opens: str) -> None:
    chat.type(typed)
    assert f"{chat.state.flow}/{chat.state.node}" == opens


@pytest.mark.parametrize(("typed", "answer"), [
    ("3", "How much does the course cost?"),
    ("costs", "How much does the course cost?"),
    ("Kosten", "How much does the course cost?"),  # the label in the default language
    ("Was ist ein Integrationskurs?", "What is an integration course?"),
    ("integration", "What is an integration course?"),  # a word of exactly one label
])
def test_typing_in_a_flow_menu(chat: Chat, typed: str, answer: str) -> None:
    chat.press("German courses")
    chat.type(typed)
    assert chat.text.startswith(answer)
    assert chat.state.trail == ["courses/start"], "typed like pressed: Back returns to the menu"


def test_typing_a_vocabulary_label_in_the_default_language(chat: Chat) -> None:
    chat.press("German courses").press("May I take part?")
    chat.type("Duldung")
    assert chat.state.fields == {"residence_status": "duldung"}
    assert chat.asked_consent


def test_a_number_beyond_the_buttons_is_not_a_button(chat: Chat) -> None:
    chat.type("9")
    assert chat.text.startswith(NO_ANSWER)


# ----- free text ------------------------------------------------------------------------------


def test_a_confident_match_answers(chat: Chat) -> None:
    chat.type("How long does the integration course take?")
    assert chat.text.startswith("What is an integration course?\n\nThe integration course has")
    assert chat.state.shown == ["integration-course"]


def test_an_unsure_match_offers_a_few_and_none_of_these(chat: Chat) -> None:
    chat.type("integration course info")
    assert chat.text == "Did you mean one of these?"
    assert chat.labels == ["What is an integration course?", "How much does the course cost?",
                           "None of these"]
    chat.press("How much does the course cost?")
    assert chat.text.startswith("How much does the course cost?")


def test_an_unsure_match_with_one_candidate(chat: Chat) -> None:
    chat.type("work")  # exactly the label "Work": presses it
    assert chat.state.flow == "work"
    chat.press("Menu").type("jobs")
    assert chat.text == "Did you mean this?"
    assert len(chat.labels) <= 4 and chat.labels[-1] == "None of these"


def test_no_match_offers_menu_then_counsellor_and_after_two_misses_counsellor_first(
        chat: Chat) -> None:
    chat.type("integration course info").press("None of these")
    assert chat.text.startswith(NO_ANSWER)
    assert chat.labels == ["☰ Menu", "👤 Talk to a counsellor"]
    assert chat.state.misses == 1
    chat.type("xyzzy banana")
    assert chat.text == STILL_NO_ANSWER
    assert chat.labels == ["👤 Talk to a counsellor", "☰ Menu"]
    chat.type("qwertz uiop")
    assert chat.text == STILL_NO_ANSWER and chat.state.misses == 3
    chat.type("was kostet der integrationskurs")  # a success resets the count
    assert chat.state.misses == 0
    chat.type("xyzzy banana")
    assert chat.text.startswith(NO_ANSWER) and chat.state.misses == 1
    chat.press("Talk to a counsellor")
    assert chat.text.startswith(CONSENT) and chat.asked_consent


# ----- languages ------------------------------------------------------------------------------


def test_missing_translation_falls_back_along_the_chain_with_a_note(content: Content) -> None:
    chat = Chat(content).start(locale="fa")
    assert chat.labels[0] == "German courses"  # fa → en
    chat.type("how much does the integration course cost")
    assert chat.text.startswith("How much does the course cost?")
    note = content.ui.get("fa").gettext(NOT_TRANSLATED + " {language}.")
    assert chat.text.endswith(note.format(language="فارسی"))  # said in the person's language
    chat = Chat(content).start(locale="ar")
    chat.type("was kostet der integrationskurs")
    assert chat.text.startswith("Was kostet der Kurs?")  # ar → de (the default chain)
    note = content.ui.get("ar").gettext(NOT_TRANSLATED + " {language}.")
    assert chat.text.endswith(note.format(language="العربية"))


def test_machine_translation_gets_a_note(content: Content) -> None:
    chat = Chat(content).start(locale="fa")
    chat.type("کلاس ادغام چیست")
    assert chat.text.startswith("کلاس ادغام چیست؟")
    assert chat.text.endswith(content.ui.get("fa").gettext(MACHINE))  # in the person's language
    chat = Chat(content).start(locale="ar")
    chat.type("ما هي دورة الاندماج")
    arabic = content.ui.get("ar")
    assert arabic.gettext(MACHINE) not in chat.text
    assert arabic.gettext(NOT_TRANSLATED + " {language}.").split("{")[0] not in chat.text


def test_reviewed_text_in_the_own_language_has_no_note(chat: Chat) -> None:
    chat.type("what is an integration course")
    assert MACHINE not in chat.text and NOT_TRANSLATED not in chat.text


# ----- deep links -----------------------------------------------------------------------------


def test_deep_link_to_a_flow(content: Content) -> None:
    chat = Chat(content).start("work")
    assert chat.text.startswith(GREETING)
    assert chat.text.endswith("What would you like to know about work?")
    assert chat.state.flow == "work"


def test_deep_link_to_an_entry(content: Content) -> None:
    chat = Chat(content).start("work-permit")
    assert "Am I allowed to work?" in chat.text and chat.state.shown == ["work-permit"]


def test_deep_link_to_something_unknown_shows_the_menu(content: Content) -> None:
    assert Chat(content).start("no-such-thing").text.endswith(MENU)


def test_start_command_with_a_payload(chat: Chat) -> None:
    chat.send(Command("start", "courses"))
    assert chat.state.flow == "courses" and chat.text.startswith(GREETING)


def test_unsupported_client_language_picks_first_then_opens_the_deep_link(
        content: Content) -> None:
    chat = Chat(content).start("work", locale="zh-hans")
    assert chat.text.startswith("🌐 ") and "Please choose your language." in chat.text
    assert chat.state.locale is None and chat.state.pending_start == "work"
    assert chat.effects == []
    chat.type("ok")  # text before choosing, too short to tell its language: the picker again
    assert chat.text.startswith("🌐")
    chat.send(Media(MediaKind.VOICE))
    assert chat.text.startswith("🌐")
    chat.press("English")
    assert chat.effects == [SetLocale("en")]
    assert chat.text.startswith(GREETING)
    assert chat.text.endswith("What would you like to know about work?")
    assert chat.state.pending_start is None and chat.state.flow == "work"


def test_text_before_choosing_a_language_chooses_the_language_it_is_written_in(
        content: Content) -> None:
    chat = Chat(content).start("work", locale="zh-hans")
    chat.type("I am looking for a job in this town")
    assert chat.effects[0] == SetLocale("en") and chat.state.locale == "en"
    assert chat.text.startswith(GREETING)  # and the deep link opens
    assert chat.state.pending_start is None and chat.state.flow == "work"


def test_no_client_language_shows_the_picker(content: Content) -> None:
    chat = Chat(content).start(locale=None)
    assert chat.labels == ["Deutsch", "English", "العربية", "فارسی"]
    chat.press("English")
    assert chat.text.startswith(GREETING) and chat.text.endswith(MENU)


# ----- media ----------------------------------------------------------------------------------

MEDIA = {
    MediaKind.VOICE: ("I cannot listen to voice messages yet.", True),
    MediaKind.PHOTO: ("Please do not send photos of passports", True),
    MediaKind.VIDEO: ("I cannot watch videos.", True),
    MediaKind.DOCUMENT: ("A counsellor can tell you which papers they need.", True),
    MediaKind.STICKER: ("Thank you! Choose a topic or write your question.", False),
    MediaKind.LOCATION: ("I do not need your location, and I did not save it.", False),
    MediaKind.CONTACT: ("I did not save this contact.", False),
    MediaKind.OTHER: ("I cannot read this kind of message.", True),
}


@pytest.mark.parametrize("kind", list(MediaKind))
def test_each_kind_of_media_gets_its_answer(chat: Chat, kind: MediaKind) -> None:
    chat.press("Work")
    chat.send(Media(kind))
    sentence, offers_counsellor = MEDIA[kind]
    assert sentence in chat.text
    assert ("👤 Talk to a counsellor" in chat.labels) is offers_counsellor
    assert chat.labels[-1] == "☰ Menu"
    assert chat.state.flow == "work", "media does not move the person"
    assert chat.effects == []


# ----- right to left --------------------------------------------------------------------------


def test_rtl_lines_start_right_to_left_and_phone_numbers_are_isolated(content: Content) -> None:
    chat = Chat(content).start(locale="ar")
    chat.press("دورات اللغة الألمانية")
    assert chat.replies[0].text.startswith(bidi.RLM + "ماذا تريد")
    assert f"{bidi.LRI}+49 89 1234-5678{bidi.PDI}" in chat.replies[0].text
    for event in (Text("ما هي دورة الاندماج"), Command("counsellor"), Command("help")):
        chat.send(event)
        for reply in chat.replies:
            for line in reply.text.split("\n"):
                assert not line or line.startswith(bidi.RLM), line
            for row in reply.buttons:
                assert all(b.label.startswith(bidi.RLM) for b in row)
    chat.send(Command("counsellor")).send(Choice(chat.state.screen, 1))  # No, thanks
    assert f"{bidi.LRI}+49 89 1234-5678{bidi.PDI}" in chat.replies[0].text
    assert "+49 89 1234-5678" not in chat.replies[0].text.replace(
        f"{bidi.LRI}+49 89 1234-5678{bidi.PDI}", "")
    chat.send(Command("menu")).press("دورات اللغة الألمانية")
    assert any(l.startswith("▶ ") for l in chat.labels)  # pointing the way RTL readers go back


def test_ltr_text_has_no_direction_marks(chat: Chat) -> None:
    chat.send(Command("counsellor"))
    assert bidi.RLM not in chat.replies[0].text and bidi.LRI not in chat.replies[0].text


# ----- other commands -------------------------------------------------------------------------


@pytest.mark.parametrize(("command", "begins"), [
    ("help", "How to use Lotse:"), ("privacy", "Your privacy"), ("unknown", "How to use Lotse:"),
    ("menu", MENU), ("MENU", MENU)])
def test_commands(chat: Chat, command: str, begins: str) -> None:
    chat.send(Command(command))
    assert chat.text.startswith(begins)


def test_empty_text_is_ignored(chat: Chat) -> None:
    chat.type("   ")
    assert chat.replies == [] and chat.effects == []


# ----- state ----------------------------------------------------------------------------------


def test_state_json_round_trip(chat: Chat) -> None:
    chat.press("German courses").press("May I take part?").press("Residence permit")
    state = chat.state
    again = State.from_json(json.loads(json.dumps(state.to_json())))
    assert again == state
    assert again.options and all(isinstance(o, Option) for o in again.options)


def test_state_json_ignores_unknown_keys_and_defaults_missing_ones() -> None:
    state = State.from_json({"locale": "fa", "flow": "work", "node": "start", "colour": "blue",
                             "options": [["menu", "", "Menu"], ["broken"], "nonsense"]})
    assert state == State(locale="fa", flow="work", node="start",
                          options=[Option(("menu", ""), "Menu")])
    assert State.from_json(None) == State() == State.from_json({})


def test_a_continued_conversation_acts_on_the_saved_screen(content: Content) -> None:
    chat = Chat(content).start().type("1")
    saved = json.loads(json.dumps(chat.state.to_json()))
    later = Chat(content, State.from_json(saved)).type("3")
    assert later.text.startswith("How much does the course cost?")


# ----- everything any button leads to ---------------------------------------------------------


def walk(content: Content, locale: str, limit: int = 400) -> Iterator[Chat]:
    """Press every button of every screen reachable from /start (breadth first, bounded)."""
    first = Chat(content).start(locale=locale)
    queue, seen = [first], set()
    while queue and limit > 0:
        chat = queue.pop(0)
        yield chat
        for label, data in chat.buttons:
            if data is None:
                continue
            nxt = Chat(content, chat.state).send(data)
            key = (nxt.state.flow, nxt.state.node, tuple(nxt.state.trail), nxt.state.locale,
                   tuple(sorted(nxt.state.fields.items())), label)
            if key not in seen:
                seen.add(key)
                queue.append(nxt)
                limit -= 1


@pytest.mark.parametrize("locale", ["de", "en", "ar", "fa"])
def test_every_screen_is_valid_telegram_html(content: Content, locale: str) -> None:
    count = sum(1 for _ in walk(content, locale))  # Chat.send checks each reply
    assert count > 30


def test_a_translation_older_than_the_german_says_so_and_offers_the_current_german(
        tmp_path: Path) -> None:
    root = build_tree(None, tmp_path)
    entry = root / "faq" / "entries" / "courses" / "integration-course.yaml"
    entry.write_text(entry.read_text(encoding="utf-8").replace(
        "hat einen Sprachkurs", "hat seit 2026 einen Sprachkurs", 1), encoding="utf-8")
    content, _ = load(root, UI_DIR)
    assert content is not None
    arabic = content.ui.get("ar")
    chat = Chat(content).start(locale="ar")
    chat.type("ما هي دورة الاندماج")
    assert chat.text.startswith("ما هي دورة الاندماج؟")
    assert chat.text.endswith(arabic.gettext(OUTDATED))  # said in the person's language
    chat.press(arabic.gettext("Current German text"))
    assert chat.text.startswith("Was ist ein Integrationskurs?")
    assert "hat seit 2026 einen Sprachkurs" in chat.text
    assert arabic.gettext(OUTDATED) not in chat.text and "Current German text" not in str(
        chat.buttons) and arabic.gettext("Current German text") not in str(chat.buttons)


def test_a_current_translation_has_no_outdated_note(content: Content) -> None:
    chat = Chat(content).start(locale="ar")
    chat.type("ما هي دورة الاندماج")
    arabic = content.ui.get("ar")
    assert arabic.gettext(OUTDATED) not in chat.text
    assert arabic.gettext("Current German text") not in chat.labels


def test_a_flow_translated_from_older_german_says_so(tmp_path: Path) -> None:
    root = build_tree(None, tmp_path)
    flow = root / "flows" / "courses.yaml"
    flow.write_text(flow.read_text(encoding="utf-8").replace(
        "Was möchten Sie über Deutschkurse wissen?", "Was möchten Sie zu Deutschkursen wissen?"),
        encoding="utf-8")
    content, _ = load(root, UI_DIR)
    assert content is not None
    assert Chat(content).start("courses").text.endswith(OUTDATED)
    german = Chat(content).start("courses", locale="de").text
    assert german.endswith("Was möchten Sie zu Deutschkursen wissen?")  # German is the source
    assert OUTDATED not in Chat(content).start("work").text  # the other flow is current
