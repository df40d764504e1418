"""Russian and Ukrainian typed on an English keyboard layout (`bot.core.layout`), and the crisis
signals reading what such a text meant."""
from __future__ import annotations

import pytest

from bot.core.layout import retyped
from bot.core.phrases import parse_phrase
from bot.core.signals import CrisisKind, SignalPhrases, Signals


def test_russian_on_the_english_layout_is_read_as_meant() -> None:
    russian, _ = retyped("e vfvs cbkmyj ,jkbn cthlwt b jyf yt vj;tn lsifnm")
    assert russian == "у мамы сильно болит сердце и она не может дышать"


def test_ukrainian_has_its_own_letters_and_keeps_real_punctuation() -> None:
    _, ukrainian = retyped("e vfvb ,jkbnm cthwt, djyf ,kslf s yt vj;t lb[fnb")
    assert ukrainian == "у мами болить серце, вона бліда і не може дихати"


@pytest.mark.parametrize("text", [
    "where is the nearest integration course", "Ich suche einen Deutschkurs",
    "krov ne ostanavlivaetsja", "pls hlp", "мне плохо", "Arbeitserlaubnis"])
def test_text_with_vowels_or_short_or_cyrillic_is_left_alone(text: str) -> None:
    assert retyped(text) == ()


def test_signals_read_a_crisis_typed_on_the_wrong_layout() -> None:
    signals = Signals([SignalPhrases("ru", (
        ("crisis:suicide:clear", parse_phrase("хочу умереть")),
        ("human", parse_phrase("оператор*"))))])
    assert signals.read("Z [jxe evthtnm").crisis is CrisisKind.SUICIDE
    assert signals.read("Z [jxe evthtnm").certain
    assert signals.read("Z [jxe jgthfnjhf").human is False  # only a crisis is read so
