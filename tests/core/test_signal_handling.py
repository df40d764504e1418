"""The engine's answers to signals and to the language a text is written in (`bot.core.signal_handling`),
with the shipped content: the one question when a crisis is possible but not clear, its "yes" and
"no", and the one-tap offer to switch to the language the person wrote in."""
from __future__ import annotations

import datetime as dt

import pytest

from bot.core.content.model import Content
from bot.core.events import (
    Answered,
    CaseClosed,
    CaseOpened,
    Choice,
    Command,
    CrisisSignal,
    MarkUrgent,
    RefusedButton,
    RelayToCase,
    SetLocale,
    Text,
)
from bot.core.matcher import Confidence
from bot.core.signal_handling import SWITCH_QUESTION
from bot.core.signals import CrisisKind
from bot.core.state import State
from tests.steps import DANGER_QUESTION, run

UNSURE = "emergency"  # an unsure danger_to_life phrase in faq/signals/en.yaml
UNSURE_ALONE = "112"  # another one, which the matcher finds nothing for (digits only)
UNSURE_WITH_QUESTION = "emergency do you save my messages"  # … and a question about privacy
NOTHING_FOUND = "Good. Write your question in other words, or choose a topic."
ARABIC_QUESTION = "بدي اتعلم المانى بالبيت لحالي"  # "I want to learn German at home alone"


@pytest.fixture(scope="session")
def shipped(shipped_content: Content) -> Content:
    return shipped_content  # loaded once for the whole run (tests/conftest.py)


def press(state: State, action: tuple[str, str]) -> Choice:
    """The button of the last screen that does `action`."""
    index = next(i for i, o in enumerate(state.options) if tuple(o.action) == action)
    return Choice(state.screen, index)


def press_no(state: State) -> Choice:
    """The "No, I am safe" button, whatever answer it carries."""
    index = next(i for i, o in enumerate(state.options) if o.action[0] == "danger"
                 and o.action[1].startswith("no:"))
    return Choice(state.screen, index)


def labels(reply) -> list[list[str]]:
    return [[button.label for button in row] for row in reply.buttons]


def title(content: Content, entry_id: str, lang: str) -> str:
    return content.entries[entry_id].text[lang].title


def shows_emergency(content: Content, reply) -> bool:
    entry = content.emergency_entry
    assert entry is not None
    return any(text.title in reply.text for text in entry.text.values()) and "112" in reply.text


# ----- the one question -----------------------------------------------------------------------

def test_a_possible_crisis_asks_one_question_with_two_buttons(shipped: Content) -> None:
    assert shipped.signals.read(UNSURE).possible_crisis
    state, replies, effects = run(shipped, State(locale="en"), Text(UNSURE))
    assert [r.text for r in replies] == [DANGER_QUESTION]
    assert labels(replies[0]) == [["🆘 Yes, I need help now"], ["✓ No, I am safe"]]
    assert len(state.options) == 2
    assert tuple(state.options[0].action) == ("danger", "yes:danger_to_life")
    assert state.options[1].action[1].startswith("no:")
    assert effects == [CrisisSignal("danger_to_life", False)]
    assert not state.urgent


def test_the_question_in_the_persons_language(shipped: Content) -> None:
    _, replies, _ = run(shipped, State(locale="de"), Text("Notfall"))
    assert [r.text.partition("\n")[0] for r in replies] == ["Sind Sie gerade in Gefahr?"]
    assert labels(replies[0]) == [["🆘 Ja, ich brauche jetzt Hilfe"],
                                  ["✓ Nein, ich bin in Sicherheit"]]


def test_yes_shows_the_emergency_entry_and_marks_the_state_urgent(shipped: Content) -> None:
    state, _, _ = run(shipped, State(locale="en"), Text(UNSURE))
    state, replies, effects = run(shipped, state, press(state, ("danger", "yes:danger_to_life")))
    assert shows_emergency(shipped, replies[0]) and state.urgent
    assert CrisisSignal("danger_to_life", True) in effects
    assert shipped.emergency_entry is not None
    assert Answered(shipped.emergency_entry.id) in effects


def test_yes_can_be_typed_as_the_buttons_number(shipped: Content) -> None:
    state, _, _ = run(shipped, State(locale="en"), Text(UNSURE))
    state, replies, _ = run(shipped, state, Text("1"))
    assert shows_emergency(shipped, replies[0]) and state.urgent


def test_no_leads_to_the_answer_the_text_would_have_got(shipped: Content) -> None:
    result = shipped.matcher.match(UNSURE_WITH_QUESTION, "en")
    assert result.confidence is Confidence.CONFIDENT  # the premise of this test
    entry_id = result.candidates[0].entry_id
    state, replies, _ = run(shipped, State(locale="en"), Text(UNSURE_WITH_QUESTION))
    assert [r.text for r in replies] == [DANGER_QUESTION]
    state, replies, effects = run(shipped, state, press(state, ("danger", f"no:{entry_id}")))
    assert title(shipped, entry_id, "en") in replies[0].text
    assert Answered(entry_id) in effects and not state.urgent


def test_no_leads_to_the_choices_the_text_would_have_got(shipped: Content) -> None:
    text = "emergency, data"  # an unsure danger_to_life phrase and an unsure match
    assert shipped.matcher.match(text, "en").confidence is Confidence.UNSURE  # the premise
    state, replies, _ = run(shipped, State(locale="en"), Text(text))
    assert [r.text for r in replies] == [DANGER_QUESTION]
    no = next(tuple(o.action) for o in state.options if o.action[1].startswith("no:"))
    choices = ["privacy", "other-counselling", "job-search"]
    assert no == ("danger", f"no:?{','.join(choices)}")
    state, replies, _ = run(shipped, state, press(state, no))
    assert replies[0].text == "Did you mean one of these?" and not state.urgent
    assert labels(replies[0]) == [[title(shipped, entry, "en")] for entry in choices] + [
        ["None of these"]]


def test_no_without_an_answer_asks_for_other_words(shipped: Content) -> None:
    state, _, _ = run(shipped, State(locale="en"), Text(UNSURE_ALONE))
    state, replies, effects = run(shipped, state, press_no(state))
    assert [r.text for r in replies] == [NOTHING_FOUND]
    assert labels(replies[0]) == [["☰ Menu", "👤 Talk to a counsellor"]]
    assert effects == [] and not state.urgent


# ----- in intake and in an open case ----------------------------------------------------------

def test_during_intake_no_returns_to_the_intake_question(shipped: Content) -> None:
    state, _, _ = run(shipped, State(locale="en"), Command("counsellor"))
    state, _, _ = run(shipped, state, press(state, ("consent", "yes")))
    assert state.intake_step == "topic"
    state, replies, _ = run(shipped, state, Text(UNSURE))
    assert [r.text for r in replies] == [DANGER_QUESTION]
    state, replies, _ = run(shipped, state, press_no(state))
    assert state.intake_step == "topic" and not state.urgent
    assert [r.text for r in replies] == ["What is your question about?"]
    assert ("skip", "topic") in [tuple(o.action) for o in state.options]


def test_at_the_consent_question_no_asks_for_consent_again(shipped: Content) -> None:
    """Was: "Good. Write your question …" while intake still waited for consent, so the next
    question typed got "Please choose one of the buttons above", with no such buttons."""
    state, consent, _ = run(shipped, State(locale="en"), Command("counsellor"))
    state, _, _ = run(shipped, state, Text(UNSURE))
    state, replies, _ = run(shipped, state, press_no(state))
    assert state.intake_step == "consent"
    assert [r.text for r in replies] == [consent[0].text]
    state, replies, _ = run(shipped, state, press(state, ("consent", "yes")))
    assert state.intake_step == "topic" and replies[-1].text == "What is your question about?"


def test_a_clear_crisis_at_the_consent_question_shows_the_numbers_then_it_again(
        shipped: Content) -> None:
    state, consent, _ = run(shipped, State(locale="en"), Command("counsellor"))
    state, replies, _ = run(shipped, state, Text("my husband hits me"))
    assert shows_emergency(shipped, replies[0]) and state.urgent
    assert replies[-1].text == consent[0].text
    assert ("consent", "yes") in [tuple(o.action) for o in state.options]


def test_in_an_open_case_the_counsellor_reads_it_and_yes_marks_the_case(shipped: Content) -> None:
    state, _, _ = run(shipped, State(locale="en"), CaseOpened(7, dt.datetime.now(dt.UTC)))
    state, replies, effects = run(shipped, state, Text(UNSURE))
    assert RelayToCase(7, UNSURE) in effects and replies[-1].text == DANGER_QUESTION
    state, replies, effects = run(shipped, state, press(state, ("danger", "yes:danger_to_life")))
    assert MarkUrgent(7, "danger_to_life") in effects and shows_emergency(shipped, replies[0])


MIXED = "Last winter I slept on the street for two weeks. Now I have a room, how do I find a job?"
"""A clear crisis phrase ("slept on the street") in a message that asks an ordinary question."""


def test_a_clear_crisis_in_a_message_that_asks_a_question_is_asked_about(shipped: Content) -> None:
    assert shipped.signals.read(MIXED).clear_crisis  # the premise
    state, replies, effects = run(shipped, State(locale="en"), Text(MIXED))
    assert [r.text for r in replies] == [DANGER_QUESTION] and not state.urgent
    assert CrisisSignal("no_place_to_sleep", False) in effects
    state, replies, effects = run(shipped, state, press_no(state))
    assert Answered("job-search") in effects  # the answer it would have had
    assert title(shipped, "job-search", "en") in replies[0].text


def test_in_an_open_case_a_clear_crisis_stays_clear_whatever_else_the_text_asks(
        shipped: Content) -> None:
    state, _, _ = run(shipped, State(locale="en"), CaseOpened(7, dt.datetime.now(dt.UTC)))
    state, replies, effects = run(shipped, state, Text(MIXED))
    assert MarkUrgent(7, "no_place_to_sleep") in effects and shows_emergency(shipped, replies[0])


def test_yes_is_a_crisis_of_the_kind_the_text_suggested(shipped: Content) -> None:
    text = "he is threatening me"
    assert shipped.signals.read(text).crisis is CrisisKind.VIOLENCE
    state, _, _ = run(shipped, State(locale="en"), Text(text))
    state, _, effects = run(shipped, state, press(state, ("danger", "yes:violence")))
    assert CrisisSignal("violence", True) in effects and state.crisis == "violence"


# ----- before a language is chosen ------------------------------------------------------------

def test_before_a_language_is_chosen_the_question_is_in_the_language_written(
        shipped: Content) -> None:
    """Was: in German (the default language) to a person writing Arabic."""
    text = "حالة طوارئ، ماذا تحفظون عن رسائلي"  # "emergency, what do you keep of my messages"
    state, replies, effects = run(shipped, State(), Text(text))
    assert shipped.ui.get("ar").gettext(DANGER_QUESTION.partition("\n")[0]) in replies[0].text
    assert SetLocale("ar") in effects and state.locale == "ar"
    state, replies, _ = run(shipped, state, press(state, ("danger", "yes:danger_to_life")))
    assert shows_emergency(shipped, replies[0]) and title(
        shipped, shipped.emergency_entry.id, "ar") in replies[0].text


def test_before_a_language_is_chosen_a_clear_crisis_then_the_picker(shipped: Content) -> None:
    text = "я не хочу жити, допоможіть мені"
    state, replies, effects = run(shipped, State(), Text(text))
    assert shipped.emergency_entry is not None
    assert title(shipped, shipped.emergency_entry.id, "uk") in replies[0].text
    assert SetLocale("uk") in effects and state.urgent
    assert replies[-1].text.startswith("🌐")  # the guess can be corrected with one tap


# ----- the offer to switch languages ----------------------------------------------------------

def test_arabic_written_with_german_chosen_gets_the_offer(shipped: Content) -> None:
    result = shipped.matcher.match(ARABIC_QUESTION, "ar")
    assert result.confidence is Confidence.CONFIDENT  # the premise of this test
    entry_id = result.candidates[0].entry_id
    state, replies, _ = run(shipped, State(locale="de"), Text(ARABIC_QUESTION))
    assert len(replies) == 2
    offer = replies[1]
    question = shipped.ui.get("ar").gettext(SWITCH_QUESTION).format(language="العربية")
    assert question != SWITCH_QUESTION and question in offer.text
    assert labels(offer) == [["🌐 العربية"]]
    assert tuple(state.options[-1].action) == ("switch", f"ar:{entry_id}")
    state, replies, effects = run(shipped, state, press(state, ("switch", f"ar:{entry_id}")))
    assert state.locale == "ar" and SetLocale("ar") in effects
    assert title(shipped, entry_id, "ar") in replies[0].text and Answered(entry_id) in effects


def test_the_offer_without_an_answer_switches_to_the_main_menu(shipped: Content) -> None:
    text = "كم تكلفة دورة الاندماج وأين أسجل؟"
    state, replies, _ = run(shipped, State(locale="de"), Text(text))
    assert tuple(state.options[-1].action) == ("switch", "ar:")
    state, replies, _ = run(shipped, state, press(state, ("switch", "ar:")))
    assert state.locale == "ar"
    assert shipped.ui.get("ar").gettext("What would you like to know? Choose a topic, or write "
                                        "your question in your own words.") in replies[0].text


@pytest.mark.parametrize("text", [
    "Wie viel kostet der Integrationskurs und wo kann ich mich anmelden?",
    "How much does the integration course cost and where can I register?",
])
def test_no_offer_for_german_or_english(shipped: Content, text: str) -> None:
    state, replies, _ = run(shipped, State(locale="ar"), Text(text))
    assert replies
    assert all(o.action[0] != "switch" for o in state.options)
    assert not any("🌐" in b.label for r in replies for row in r.buttons for b in row)


def test_no_offer_in_the_persons_own_language(shipped: Content) -> None:
    state, replies, _ = run(shipped, State(locale="ar"), Text(ARABIC_QUESTION))
    assert len(replies) == 1 and all(o.action[0] != "switch" for o in state.options)


def test_a_switch_to_an_unknown_language_is_refused(shipped: Content) -> None:
    state, _, _ = run(shipped, State(locale="de"), Text(ARABIC_QUESTION))
    state.options[-1].action = ("switch", "xx:")
    state, replies, effects = run(shipped, state,
                                  Choice(state.screen, len(state.options) - 1))
    assert state.locale == "de"
    assert RefusedButton() in effects
    assert replies[0].text == shipped.ui.get("de").gettext(
        "This button belongs to an older message. Here is where you are now.")


def test_a_crisis_in_a_closed_case_does_not_make_the_next_case_urgent(shipped: Content) -> None:
    state, _, _ = run(shipped, State(locale="en"), CaseOpened(7, dt.datetime.now(dt.UTC)))
    state, _, _ = run(shipped, state, Text("my husband beats me"))
    assert state.urgent and state.crisis == "violence"
    state, _, _ = run(shipped, state, CaseClosed(7))
    assert not state.urgent and state.crisis is None


NOT_AN_EMERGENCY = {  # "not an emergency, just a question" in each language's own words
    "de": "Kein Notfall, nur eine Frage zu den Kurszeiten",
    "en": "no emergency, I only want to know when you are open",
    "tr": "acil değil, sadece sormak istiyorum",
    "ku": "ne acîl e, tenê pirsek heye",
    "ti": "ህጹጽ ኣይኮነን ሕቶ ጥራይ",
    "ps": "بېړنۍ خبره نه ده، یوازې پوښتنه لرم",
    "ar": "مش حالة طوارئ، بس سؤال",
    "fa": "اورژانسی نیست، فقط یک سوال دارم",
}


@pytest.mark.parametrize("lang", sorted(NOT_AN_EMERGENCY))
def test_not_an_emergency_asks_no_danger_question(shipped: Content, lang: str) -> None:
    text = NOT_AN_EMERGENCY[lang]
    assert any(h.label.startswith("crisis:") for h in shipped.signals.hits(text))  # the premise
    assert shipped.signals.read(text).crisis is None


def test_a_crisis_beside_not_an_emergency_is_still_one(shipped: Content) -> None:
    assert shipped.signals.read("not an emergency maybe, but my husband beats me").clear_crisis


@pytest.mark.parametrize("text", [
    "dayika min 60 salî ye, nameyên ji Rentenversicherung tên",  # ku dayik (mother) ~ tr dayak
    "kelase zaban dar Erding hast?",  # fa Latin zaban (language) ~ zadan (hit)
    "Живу в Эрдинге, машины нет, где курс?",  # ru машины (no car) ~ в машине (in the car)
    "المدير ما انطاني راتب الشهر",  # ar انطاني (gave me) ~ انطعن (stabbed)
    "ma jobcenter ta wayal che kar ghwaram",  # ps Latin wayal (said) ~ wahal (hit)
    "Приходят письма, я ничего не понимаю",  # ru не … приходят ~ (в себя) не приходит
])
def test_an_everyday_word_a_letter_from_a_crisis_word_is_no_crisis(
        shipped: Content, text: str) -> None:
    assert shipped.signals.read(text).crisis is None


# ----- a request for a human beside a question --------------------------------------------------

def test_a_question_beside_a_request_for_a_human_is_answered_before_the_offer(
        shipped: Content) -> None:
    text = "I don't understand, what is an integration course?"
    assert shipped.signals.read(text).human  # the premise
    state, replies, effects = run(shipped, State(locale="en"), Text(text))
    assert Answered("integration-course") in effects
    assert title(shipped, "integration-course", "en") in replies[0].text
    assert replies[-1].text.startswith("Before a counsellor can help you:")
    assert state.intake_step == "consent"


WELDER = ("I am 24, at home I worked as a welder without any papers. Here everybody talks about "
          "Ausbildung, but I don't understand where to begin")


def test_a_vague_request_beside_a_long_question_gets_its_likely_answers_and_the_offer(
        shipped: Content) -> None:
    signal = shipped.signals.read(WELDER)
    assert signal.human and signal.vague  # the premise: only "don't understand" asks for a human
    assert shipped.matcher.match(WELDER, "en").confidence is Confidence.UNSURE
    state, replies, effects = run(shipped, State(locale="en"), Text(WELDER))
    assert not any(isinstance(e, Answered) for e in effects)
    offered = [b.label for row in replies[0].buttons for b in row]
    assert replies[0].text == "Did you mean one of these?"
    assert title(shipped, "vocational-training", "en") in offered
    assert replies[-1].text.startswith("Before a counsellor can help you:")
    assert state.intake_step == "consent"


@pytest.mark.parametrize("text", [
    "i dont understand this bot",  # a vague request with no question beside it
    WELDER.replace("I don't understand where to begin", "I want to talk to a person"),
])
def test_a_request_for_a_human_beside_no_long_question_or_a_clear_one_gets_only_the_offer(
        shipped: Content, text: str) -> None:
    assert shipped.signals.read(text).human
    _, replies, _ = run(shipped, State(locale="en"), Text(text))
    assert [r.text.split("\n")[0] for r in replies] == ["Before a counsellor can help you:"]


def test_a_request_for_a_human_alone_gets_only_the_offer(shipped: Content) -> None:
    _, replies, effects = run(shipped, State(locale="en"), Text("I want to talk to a person"))
    assert not any(isinstance(e, Answered) for e in effects)
    assert [r.text.split("\n")[0] for r in replies] == ["Before a counsellor can help you:"]
