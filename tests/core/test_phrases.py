"""Phrases as admins write them (`bot.core.phrases`): the syntax, any word order within a window,
typo tolerance by length, and the errors an admin sees for phrases that cannot be read."""
from __future__ import annotations

import pytest

from bot.core.phrases import (
    FUZZY_MIN_LETTERS,
    FUZZY_TWO_LETTERS,
    MIN_STEM_LETTERS,
    WINDOW_SLACK,
    Mode,
    PhraseError,
    PhraseSet,
    parse_phrase,
    words_of,
)


def found(phrase: str, message: str) -> bool:
    return bool(PhraseSet([("x", parse_phrase(phrase))]).find(words_of(message)))


# ----- syntax ---------------------------------------------------------------------------------

def test_parse_reads_each_word_and_its_alternatives() -> None:
    phrase = parse_phrase("Kill|MURDER umbring* *cide *kurs*")
    assert phrase.text == "Kill|MURDER umbring* *cide *kurs*"
    assert [[(a.mode, a.stem) for a in word] for word in phrase.words] == [
        [(Mode.WORD, "kill"), (Mode.WORD, "murder")],
        [(Mode.PREFIX, "umbring")],
        [(Mode.SUFFIX, "cide")],
        [(Mode.INFIX, "kurs")],
    ]


@pytest.mark.parametrize(("phrase", "why"), [
    ("", "empty"),
    ("   ", "empty"),
    ("ki*", f"at least {MIN_STEM_LETTERS} letters"),
    ("*ab", f"at least {MIN_STEM_LETTERS} letters"),
    ("*ab*", f"at least {MIN_STEM_LETTERS} letters"),
    ("kill *", "no letters"),
    ("kill ...", "no letters"),
    ("kill a||b", "no letters"),
    ("self-harm", "several words"),
])
def test_unreadable_phrases_say_why(phrase: str, why: str) -> None:
    with pytest.raises(PhraseError, match=why):
        parse_phrase(phrase)


def test_short_words_without_a_star_are_fine() -> None:
    assert [(a.mode, a.stem) for a in parse_phrase("me").words[0]] == [(Mode.WORD, "me")]
    assert [(a.mode, a.stem) for a in parse_phrase("kil*").words[0]] == [(Mode.PREFIX, "kil")]


# ----- words, stems, alternatives --------------------------------------------------------------

@pytest.mark.parametrize(("phrase", "message", "expected"), [
    ("knife", "he has a KNIFE!", True),  # case and punctuation do not matter
    ("knife", "he has knives", False),  # a plain word is not a stem
    ("umbring*", "er will mich umbringen", True),
    ("umbring*", "er will mich bringen", False),
    ("*mord", "ich denke an selbstmord", True),
    ("*mord", "mordplan", False),
    ("*kurs*", "wo gibt es deutschkurse", True),
    ("*kurs*", "wo gibt es kuren", False),
    ("hits|beats me", "he beats me", True),
    ("hits|beats me", "he hits me", True),
    ("hits|beats me", "he loves me", False),
    ("sehr sehr", "sehr gut", False),  # a repeated word needs two occurrences
    ("sehr sehr", "sehr sehr gut", True),
])
def test_words_stems_and_alternatives(phrase: str, message: str, expected: bool) -> None:
    assert found(phrase, message) is expected


# ----- any order, within a window -------------------------------------------------------------

def test_words_in_any_order() -> None:
    assert found("kill me", "me he will kill")
    assert found("umbring* mich", "umbringen will er mich")


def test_the_window_is_the_phrase_length_plus_slack() -> None:
    assert WINDOW_SLACK == 3
    # two words: both inside 2 + 3 = 5 consecutive words
    assert found("kill me", "kill a b c me")
    assert not found("kill me", "kill a b c d me")
    assert found("kill me", "me a b c kill")
    assert not found("kill me", "me a b c d kill")
    # three words: inside 6
    assert found("he will kill", "he a b c will kill")
    assert not found("he will kill", "he a b c d will kill")


def test_hits_name_the_positions_that_matched() -> None:
    phrases = PhraseSet([("crisis", parse_phrase("kill me")), ("other", parse_phrase("bus"))])
    hits = phrases.find(words_of("please he will kill me"))
    assert [(h.label, h.phrase, h.positions) for h in hits] == [
        ("crisis", "kill me", frozenset({3, 4}))]


def test_hits_come_in_the_order_the_phrases_were_given() -> None:
    phrases = PhraseSet([("b", parse_phrase("two")), ("a", parse_phrase("one"))])
    assert [h.label for h in phrases.find(words_of("one two"))] == ["b", "a"]
    assert len(phrases) == 2


# ----- typos ----------------------------------------------------------------------------------

def test_typo_limits_by_length() -> None:
    assert (FUZZY_MIN_LETTERS, FUZZY_TWO_LETTERS) == (5, 9)
    # 4 letters: exact only
    assert found("kill", "kill") and not found("kill", "kils")
    # 5 to 8 letters: one typo (substitution, insertion, deletion or a swap of two neighbours)
    assert found("knife", "knive")
    assert found("knife", "knfie")  # swapped letters are one typo (OSA)
    assert found("knife", "knifes")
    assert found("knife", "knie")  # one letter missing: a 4-letter word still matches
    assert not found("knife", "kmive")  # two typos
    assert found("hospital", "hospetal") and not found("hospital", "hosbetal")
    # 9 letters or more: two typos
    assert found("ambulance", "ambolanse")
    assert not found("ambulance", "ambolansa")


def test_a_typo_in_the_first_letter_is_not_forgiven() -> None:
    assert not found("knife", "bnife")
    assert not found("ambulance", "embulance")


def test_stems_with_a_trailing_star_forgive_typos_too() -> None:
    assert found("umbring*", "umbrinngen")  # one typo in the stem's part of the word
    assert found("umbring*", "umbrigen")  # one letter missing from the stem
    assert not found("umbring*", "umbrxxgen")
    assert not found("kil*", "kul")  # too short for typos


def test_a_leading_star_turns_typo_tolerance_off() -> None:
    assert found("*knife", "pocketknife")
    assert not found("*knife", "pocketknive")
    assert not found("*knife", "knive")
    assert found("*knife*", "pocketknifes") and not found("*knife*", "pocketknives")
    assert found("knife", "knive")  # the same stem without the star does forgive it


# ----- the per-word cache ---------------------------------------------------------------------

def test_the_word_cache_gives_the_same_results() -> None:
    phrases = [("crisis", parse_phrase("kill|murder me|us")), ("stem", parse_phrase("umbring*")),
               ("typo", parse_phrase("ambulance")), ("affix", parse_phrase("*kurs*"))]
    messages = ["he will kil me", "ambolanse now", "er will mich umbrinngen", "deutschkurse",
                "kill us", "nothing here", "he will kil me", "ambolanse now"]
    warm = PhraseSet(phrases)
    first = [warm.find(words_of(m)) for m in messages]
    second = [warm.find(words_of(m)) for m in messages]  # every word is cached now
    fresh = [PhraseSet(phrases).find(words_of(m)) for m in messages]
    assert first == second == fresh
    assert [[h.label for h in hits] for hits in first] == [
        [], ["typo"], ["stem"], ["affix"], ["crisis"], [], [], ["typo"]]


def test_words_of_normalises_and_splits() -> None:
    assert words_of("  Er SCHLÄGT   mich! ") == ["er", "schlagt", "mich"]


def test_without_leaves_out_every_word_of_every_phrase_found_however_often() -> None:
    phrases = PhraseSet([("courtesy", parse_phrase("hello|hi")),
                         ("courtesy", parse_phrase("thank you"))])
    words = ["hi", "hi", "where", "is", "it", "thank", "you", "hello"]
    assert phrases.without(words) == ["where", "is", "it"]
    assert PhraseSet([]).without(words) == words
