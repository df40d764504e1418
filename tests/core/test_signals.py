"""Reading signals (`bot.core.signals`) from small hand-made phrase lists: clear beats unsure, an
everyday word near an unsure crisis vetoes it, `not` phrases remove what they overlap, requests for a
human, and the order of the crisis kinds."""
from __future__ import annotations

import pytest

from bot.core.matcher import MatchDoc, Matcher
from bot.core.phrases import parse_phrase
from bot.core.signals import (
    MIXED_MIN_SCORE,
    CrisisKind,
    Signal,
    SignalPhrases,
    Signals,
    asks_an_ordinary_question,
)


def signals(*labelled: tuple[str, str], lang: str = "en") -> Signals:
    return Signals([SignalPhrases(lang, tuple((label, parse_phrase(text))
                                              for label, text in labelled))])


EN = signals(
    ("crisis:violence:clear", "kill|kills me"),
    ("crisis:violence:unsure", "violence"),
    ("crisis:suicide:clear", "kill myself"),
    ("crisis:suicide:unsure", "end it"),
    ("crisis:danger_to_life:unsure", "emergency"),
    ("crisis:no_place_to_sleep:unsure", "homeless"),
    ("crisis:child_in_danger:clear", "child beaten"),
    ("ordinary", "course*"),
    ("ordinary", "exam*"),
    ("not", "kill time"),
    ("not", "emergency course"),
    ("human", "talk person|human"),
    ("human_vague", "dont understand"),
)


def test_nothing_in_an_ordinary_question() -> None:
    signal = EN.read("where is the next integration course")
    assert signal == Signal() and not signal.clear_crisis and not signal.possible_crisis


def test_a_clear_phrase_is_a_certain_crisis() -> None:
    signal = EN.read("my husband says he kills me")
    assert signal == Signal(CrisisKind.VIOLENCE, certain=True)
    assert signal.clear_crisis and not signal.possible_crisis


def test_an_unsure_phrase_is_a_crisis_to_ask_about() -> None:
    signal = EN.read("I want to end it")
    assert signal == Signal(CrisisKind.SUICIDE, certain=False)
    assert signal.possible_crisis and not signal.clear_crisis


def test_clear_beats_unsure_whatever_the_kinds() -> None:
    # danger_to_life comes before violence, but only as unsure here: the clear violence wins
    assert EN.read("emergency he kills me") == Signal(CrisisKind.VIOLENCE, certain=True)
    assert EN.read("violence, I will kill myself") == Signal(CrisisKind.SUICIDE, certain=True)


def test_an_ordinary_word_vetoes_an_unsure_crisis() -> None:
    assert EN.read("I want to end it with this course") == Signal()
    assert EN.read("homeless, exams next week") == Signal()


def test_an_ordinary_word_far_from_an_unsure_crisis_vetoes_nothing() -> None:
    # the course word is eleven words before the crisis phrase: a story, then what happened
    text = ("my mother goes to the course every morning but today she cried and said there is "
            "violence at home")
    assert EN.read(text) == Signal(CrisisKind.VIOLENCE, certain=False)
    assert EN.read("there is violence at home, my mother goes to the course") == Signal()


def test_an_ordinary_word_does_not_veto_a_clear_crisis() -> None:
    assert EN.read("he kills me after the course") == Signal(CrisisKind.VIOLENCE, certain=True)


def test_a_not_phrase_removes_the_hits_it_overlaps() -> None:
    assert EN.read("emergency course in first aid") == Signal()  # not just vetoed: removed
    assert EN.read("kill time me") == Signal()  # "kill me" overlaps "kill time"


def test_a_not_phrase_leaves_other_hits_alone() -> None:
    # "kill time" is excluded, "end it" (elsewhere in the message) still counts
    assert EN.read("I kill time and then I want to end it") == Signal(CrisisKind.SUICIDE)


def test_a_not_phrase_also_removes_an_ordinary_word_inside_it() -> None:
    # the ordinary "course" is inside the excluded "emergency course": it vetoes nothing, and the
    # unsure "violence" elsewhere is a crisis to ask about
    assert EN.read("violence at home, emergency course") == Signal(CrisisKind.VIOLENCE)


def test_a_not_phrase_hides_a_later_occurrence_of_the_crisis_phrase() -> None:
    assert EN.read("kill time then kill me") == Signal(CrisisKind.VIOLENCE, certain=True)


def test_a_request_for_a_human() -> None:
    assert EN.read("can I talk to a person") == Signal(human=True)
    assert EN.read("talk to a human, he kills me") == Signal(CrisisKind.VIOLENCE, True, True)
    assert EN.read("talk to a human, I want to end it") == Signal(CrisisKind.SUICIDE, False, True)
    # an ordinary word vetoes the unsure crisis, not the request for a human
    assert EN.read("talk to a human about the course, end it") == Signal(human=True)


def test_a_request_for_a_human_is_vague_only_without_a_clear_phrase() -> None:
    assert EN.read("i dont understand") == Signal(human=True, vague=True)
    assert EN.read("i dont understand, talk to a person") == Signal(human=True)
    assert EN.read("i dont understand, he kills me") == Signal(
        CrisisKind.VIOLENCE, True, human=True, vague=True)


def test_the_crisis_kinds_in_the_order_a_reply_names_them() -> None:
    assert [kind.value for kind in CrisisKind] == [
        "danger_to_life", "suicide", "violence", "no_place_to_sleep", "child_in_danger"]


@pytest.mark.parametrize("certainty", ["clear", "unsure"])
def test_of_several_kinds_the_first_in_that_order_is_named(certainty: str) -> None:
    words = ("alpha", "bravo", "charlie", "delta", "echo")  # no two within a typo of each other
    every_kind = signals(*((f"crisis:{kind.value}:{certainty}", word)
                           for word, kind in zip(words, CrisisKind, strict=True)))
    certain = certainty == "clear"
    assert every_kind.read("echo delta charlie bravo alpha") == Signal(
        CrisisKind.DANGER_TO_LIFE, certain)
    assert every_kind.read("echo delta charlie") == Signal(CrisisKind.VIOLENCE, certain)
    assert every_kind.read("echo delta") == Signal(CrisisKind.NO_PLACE_TO_SLEEP, certain)
    assert every_kind.read("echo") == Signal(CrisisKind.CHILD_IN_DANGER, certain)


def test_every_language_is_read_at_once() -> None:
    both = Signals([
        SignalPhrases("de", (("crisis:violence:clear", parse_phrase("schlägt mich")),
                             ("ordinary", parse_phrase("*kurs*")))),
        SignalPhrases("en", (("crisis:suicide:unsure", parse_phrase("end it")),)),
    ])
    assert both.read("mein Mann schlägt mich") == Signal(CrisisKind.VIOLENCE, True)
    assert both.read("i want to end it") == Signal(CrisisKind.SUICIDE, False)
    # a German everyday word vetoes an English unsure phrase too
    assert both.read("end it, deutschkurs") == Signal()


def test_hits_explain_what_was_found() -> None:
    hits = EN.hits("emergency course")
    assert {(h.label, h.phrase) for h in hits} == {
        ("crisis:danger_to_life:unsure", "emergency"), ("ordinary", "course*"),
        ("not", "emergency course")}


def test_no_phrases_read_nothing() -> None:
    assert Signals([]).read("he kills me") == Signal()


def test_the_words_of_the_crisis_phrases_can_be_left_out() -> None:
    assert EN.without_words_of("He said: he KILLS me, then left", "crisis:") == \
        "he said he then left"
    assert EN.without_words_of("talk to a human about he kills me", "human") == \
        "to a about he kills me"


MATCHER = Matcher([MatchDoc("exam", "en", "the exam kills me"),
                   MatchDoc("job-search", "en", "how do I find a job")])


def test_a_crisis_asks_a_question_only_if_its_other_words_ask_it_too() -> None:
    """"he kills me" asks nothing, though it shares its crisis phrase with a variant; the job
    question beside it is asked by the words besides the crisis phrase as well."""
    alone, mixed = "he kills me", "he kills me, how do I find a job"
    assert MATCHER.rank(alone, "en", 1)[0].score >= MIXED_MIN_SCORE  # the premise
    assert not asks_an_ordinary_question(MATCHER, EN, alone, "en", None)
    assert asks_an_ordinary_question(MATCHER, EN, mixed, "en", None)
    assert not asks_an_ordinary_question(MATCHER, EN, mixed, "en", "job-search")


def test_only_an_everyday_word_as_written_vetoes_not_a_typo_of_one() -> None:
    de = signals(("crisis:violence:unsure", "*gewalt*"), ("ordinary", "gehalts*"), lang="de")
    assert de.read("Gehaltsabrechnung und Gewalt").crisis is None  # the word itself vetoes
    # 'gewaltschutz' is one typo from 'gehalts…': it must not veto the crisis it names
    assert de.read("ich habe Gewaltschutz, er steht mit einem Messer vor der Tür") == Signal(
        CrisisKind.VIOLENCE, certain=False)
