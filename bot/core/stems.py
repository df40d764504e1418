"""Word stems for matching: Snowball stemmers (PyStemmer) for the languages that have one.

A word is stemmed by the stemmer of the language it is written in: the question's language when
its script fits, the default language for Latin words inside a text of another script (German
loanwords: "Duldung" in an Arabic sentence), and not at all otherwise (Pashto, Kurmanji, Tigrinya
and Ukrainian have no Snowball stemmer; their words still match by trigrams)."""
from __future__ import annotations

from collections.abc import Iterable

import Stemmer

__all__ = ["Stems"]

ALGORITHMS = {"de": "german", "en": "english", "ar": "arabic", "fa": "persian",
              "ru": "russian", "tr": "turkish"}
SCRIPTS = {"de": "latin", "en": "latin", "tr": "latin", "ku": "latin", "ar": "arabic",
           "fa": "arabic", "ps": "arabic", "ru": "cyrillic", "uk": "cyrillic", "ti": "ethiopic"}
MIN_LETTERS = 3


def script_of(word: str) -> str:
    """The script of a word by its first letter: latin, arabic, cyrillic, ethiopic or other."""
    first = word[0]
    if first.isascii() or "\u00c0" <= first <= "\u024f":
        return "latin"
    if "\u0600" <= first <= "\u06ff" or "\u0750" <= first <= "\u077f":
        return "arabic"
    if "\u0400" <= first <= "\u04ff":
        return "cyrillic"
    if "\u1200" <= first <= "\u139f" or "\u2d80" <= first <= "\u2ddf":
        return "ethiopic"
    return "other"


class Stems:
    def __init__(self, default_lang: str) -> None:
        self._default = default_lang
        self._stemmers = {lang: Stemmer.Stemmer(name) for lang, name in ALGORITHMS.items()}

    def __reduce__(self) -> tuple[type[Stems], tuple[str]]:
        """Pickled as its default language (the content cache); the stemmers are built anew."""
        return Stems, (self._default,)

    def of(self, words: Iterable[str], lang: str) -> set[str]:
        """The stems of the (normalised) words with at least `MIN_LETTERS` letters."""
        stems = set()
        for word in words:
            if len(word) < MIN_LETTERS or word.isdigit():
                continue
            script = script_of(word)
            stem_lang = lang if SCRIPTS.get(lang) == script else (
                self._default if script == "latin" else None)
            stemmer = self._stemmers.get(stem_lang or "")
            if stemmer is not None:
                stems.add(stemmer.stemWord(word))
        return stems
