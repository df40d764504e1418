"""Signals learned from examples (`bot.core.learned_signals`), on small hand-made example sets:
a message like the crisis examples is a crisis to ask about (never a certain one), of the kind it
resembles most; one like the calm examples is nothing; phrases come first and an everyday word
vetoes the learned reading as it vetoes an unsure phrase; requests for a human are learned too."""
from __future__ import annotations

from bot.core.learned_signals import CALM, HUMAN, LearnedSignals
from bot.core.naive_bayes import message_features
from bot.core.phrases import parse_phrase, words_of
from bot.core.signals import CrisisKind, Signal, SignalPhrases, Signals

EXAMPLES = [
    ("no_place_to_sleep", "they put us out of the heim we sleep at the station tonight"),
    ("no_place_to_sleep", "nowhere to stay tonight we are outside with the kids"),
    ("no_place_to_sleep", "the heim threw me out i am on the street"),
    ("suicide", "i wrote goodbye letters to my family i cannot go on"),
    ("suicide", "i cannot go on anymore everything is dark"),
    ("violence", "he locked the door and took my phone he shouts he will hurt me"),
    ("danger_to_life", "please come quickly my son is bleeding"),
    (HUMAN, "can i speak to a real person"),
    (HUMAN, "i need a real person to explain it"),
    (HUMAN, "please call me back"),
    (CALM, "where is the next integration course"),
    (CALM, "how much does the german course cost"),
    (CALM, "can i study in the heim it is too loud"),
    (CALM, "how do i get a work permit"),
    (CALM, "which documents for the job centre"),
    (CALM, "when does the course start tonight or tomorrow"),
]
KINDS = [kind.value for kind in CrisisKind]
LEARNED = LearnedSignals(((label, words_of(text)) for label, text in EXAMPLES), KINDS)
PHRASES = SignalPhrases("en", (("crisis:suicide:clear", parse_phrase("kill myself")),
                               ("ordinary", parse_phrase("exam*"))))
SIGNALS = Signals([PHRASES], LEARNED)


def test_features_are_words_beginnings_and_pairs() -> None:
    assert message_features(["sleeping", "outside"]) == {
        "sleeping", "slee-", "sleep-", "outside", "outs-", "outsi-", "sleeping+outside"}
    assert message_features(["", "kids"]) == {"kids"}  # a blanked word (inside a `not` phrase) is gone
    assert message_features(["kid", "7"]) == message_features(["kid", "12"]) == {"kid", "#", "kid+#"}


def test_which_number_a_message_gives_says_nothing() -> None:
    # the examples give ages and times: "my son is 7 and bleeding"; "question number 7" is no crisis
    learned = LearnedSignals([*((label, words_of(text)) for label, text in EXAMPLES),
                              ("danger_to_life", words_of("my son 7 is bleeding")),
                              ("child_in_danger", words_of("the girl is 7 and alone")),
                              (CALM, words_of("the course costs 229 euro")),
                              (CALM, words_of("i am 30 and want a course"))], KINDS)
    assert learned.crisis(words_of("question number 7")) is None


def test_a_message_like_the_crisis_examples_is_a_crisis_to_ask_about() -> None:
    signal = SIGNALS.read("we are at the station tonight, the heim put us outside")
    assert signal == Signal(CrisisKind.NO_PLACE_TO_SLEEP, certain=False)
    assert signal.possible_crisis and not signal.clear_crisis


def test_the_kind_is_the_one_the_message_resembles_most() -> None:
    assert SIGNALS.read("i cant go on, i wrote letters of goodbye").crisis is CrisisKind.SUICIDE
    assert SIGNALS.read("he took my phone and locked the door").crisis is CrisisKind.VIOLENCE


def test_a_message_like_the_calm_examples_is_nothing() -> None:
    assert SIGNALS.read("how much does the integration course cost") == Signal()
    assert SIGNALS.read("it is too loud to study in the heim") == Signal()


def test_a_phrase_comes_first_and_is_certain() -> None:
    assert SIGNALS.read("i want to kill myself, i cannot go on") == Signal(
        CrisisKind.SUICIDE, certain=True)


def test_an_everyday_word_vetoes_the_learned_reading() -> None:
    text = "i cannot go on with the exam, everything is dark"
    assert SIGNALS.read(text.replace("exam", "work")).crisis is CrisisKind.SUICIDE
    assert SIGNALS.read(text) == Signal()


def test_requests_for_a_human_are_learned() -> None:
    assert SIGNALS.read("please i want a real person") == Signal(human=True)
    assert SIGNALS.read("how do i get a work permit") == Signal()


def test_a_request_for_a_human_is_no_crisis() -> None:
    # "please" is in a crisis example and in no calm one: the human examples count against a crisis
    assert SIGNALS.read("please call me") == Signal(human=True)


def test_without_examples_nothing_is_learned() -> None:
    empty = LearnedSignals([], KINDS)
    assert empty.crisis(words_of("we sleep at the station tonight")) is None
    assert not empty.human(words_of("can i speak to a real person"))
