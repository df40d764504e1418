"""The German sentence-length check (`bot.core.content.readability`): what a sentence and a word
are."""
from __future__ import annotations

from bot.core.content.readability import MAX_WORDS, long_sentences, sentences, words


def test_sentences_end_at_stops_colons_and_line_breaks() -> None:
    text = "Eins zwei. Drei?\n<b>Duldung:</b> Vier fünf!\n\nSechs"
    assert [s for _, s in sentences(text)] == ["Eins zwei.", "Drei?", "Duldung:",
                                               "Vier fünf!", "Sechs"]


def test_a_number_or_an_abbreviation_ends_no_sentence() -> None:
    text = "Ab 12. Juni gilt § 60a Abs. 6, z. B. für Sie. Dann nicht."
    assert [s for _, s in sentences(text)] == ["Ab 12. Juni gilt § 60a Abs. 6, z. B. für Sie.",
                                               "Dann nicht."]


def test_tags_urls_and_placeholders_are_no_words() -> None:
    sentence = ('Rufen Sie {phone} an oder lesen Sie <a href="https://example.org/a b">hier</a> '
                '– § 24, 2,29 € und Bosnien-Herzegowina.')
    (_, shown), = sentences(sentence)
    assert words(shown) == ["Rufen", "Sie", "an", "oder", "lesen", "Sie", "hier", "24,", "2,29",
                            "und", "Bosnien-Herzegowina."]


def test_only_sentences_over_the_limit_are_reported_with_their_offset() -> None:
    short = " ".join(["Wort"] * MAX_WORDS) + "."
    long = " ".join(["Lang"] * (MAX_WORDS + 1)) + "."
    text = f"{short}\n{long}"
    assert list(long_sentences(text)) == [(len(short) + 1, long, MAX_WORDS + 1)]
