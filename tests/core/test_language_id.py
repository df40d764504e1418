"""The language a text is written in (`bot.core.language_id`): the script first, then py3langid among
the content's languages of that script; None when a text cannot be told."""
from __future__ import annotations

import pytest

from bot.core.language_id import identify

LANGUAGES = ("de", "en", "ar", "fa", "ps", "uk", "ru", "tr", "ku", "ti")


@pytest.mark.parametrize(("text", "lang"), [
    # Ge'ez script is Tigrinya (py3langid itself knows only Amharic in it)
    ("ሰላም ከመይ ኣለኹም", "ti"),
    ("ሓገዝ የድልየኒ", "ti"),
    # Cyrillic: Russian and Ukrainian told apart
    ("Здравствуйте, сколько стоит интеграционный курс?", "ru"),
    ("Добрий день, скільки коштує інтеграційний курс?", "uk"),
    # Arabic script: Arabic, Farsi/Dari, Pashto
    ("مرحبا، كم تكلفة دورة الاندماج؟", "ar"),
    ("سلام، من یک سؤال دارم. کلاس ادغام چقدر پول می‌خواهد؟", "fa"),
    ("سلام، د ادغام کورس څومره لګښت لري؟", "ps"),
    # Latin
    ("Merhaba, entegrasyon kursu ne kadar sürüyor ve nereden başvurabilirim?", "tr"),
    ("Hello, how much does the integration course cost and where can I register?", "en"),
    ("Wie viel kostet der Integrationskurs und wo kann ich mich anmelden?", "de"),
    ("Silav, kursa entegrasyonê çiqas e û ez li ku derê dikarim qeyd bibim?", "ku"),
])
def test_each_language_by_its_script_and_words(text: str, lang: str) -> None:
    assert identify(text, LANGUAGES) == lang


def test_a_german_word_inside_an_arabic_sentence_does_not_change_it() -> None:
    assert identify("مرحبا، أنا عندي موعد في Jobcenter غداً، ماذا أحضر؟", LANGUAGES) == "ar"


@pytest.mark.parametrize("text", [
    "", "ok", "12345 678", "😀😀😀😀", "?!",
    "ሰላም",  # three letters: too few even where the script alone would tell
    "привет",  # Cyrillic, but too short to tell Russian from Ukrainian
    "hallo",  # Latin: short, and the same in several languages
    "Jobcenter Termin",  # German loanwords are written in every language
    "سلام، دوره ادغام چقدر هزینه دارد؟",  # Farsi, but the identifier is not sure enough
])
def test_none_when_it_cannot_be_told(text: str) -> None:
    assert identify(text, LANGUAGES) is None


def test_only_the_candidate_languages_are_considered() -> None:
    russian = "Здравствуйте, сколько стоит интеграционный курс?"
    assert identify(russian, ("de", "en")) is None  # no Cyrillic language at all
    # the only candidate of its script: the script alone decides, even a short Russian word
    assert identify(russian, ("uk", "de", "en")) == "uk"
    assert identify("привет", ("uk", "de", "en")) == "uk"
    assert identify("ሰላም ከመይ ኣለኹም", ("de", "en")) is None
    arabic = "مرحبا، كم تكلفة دورة الاندماج؟"
    assert identify(arabic, ("de", "en", "fa")) == "fa"
    assert identify(arabic, ("de", "en")) is None
    german = "Wie viel kostet der Integrationskurs und wo kann ich mich anmelden?"
    assert identify(german, ("de",)) == "de"
    assert identify(german, ("en", "tr")) in (None, "en", "tr")
    assert identify(german, ("ar", "ru")) is None
