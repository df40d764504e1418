"""Text normalisation for matching user questions against FAQ texts.

`normalize` folds away what people leave out or vary when typing on a phone — case, accents,
Arabic harakat, Arabic/Persian/Pashto letter variants, Eastern digits, punctuation, invisible
characters — so that both sides of a comparison are spelled the same way. The result is for
comparison only, never for display.
"""

from __future__ import annotations

import unicodedata

__all__ = ["normalize"]

# Letters folded to one spelling. Keys are the forms left after NFKC + casefold.
_LETTER_VARIANTS: dict[str, str] = {
    # Yeh: Arabic ي, alef maksura ى, Persian ی, Pashto ې ۍ, Arabic hamza-on-yeh ئ.
    "\u064a": "\u06cc", "\u0649": "\u06cc", "\u0626": "\u06cc",
    "\u06d0": "\u06cc", "\u06cd": "\u06cc",
    # Kaf: Arabic ك, swash kaf ڪ → Persian ک.
    "\u0643": "\u06a9", "\u06aa": "\u06a9",
    # Heh: teh marbuta ة, heh with yeh above ۀ, heh goal ہ, teh marbuta goal ۃ, doachashmee ھ → ه.
    "\u0629": "\u0647", "\u06c0": "\u0647", "\u06c1": "\u0647",
    "\u06c3": "\u0647", "\u06be": "\u0647",
    # Alef: أ إ آ ٱ → ا; waw with hamza ؤ → و.
    "\u0623": "\u0627", "\u0625": "\u0627", "\u0622": "\u0627", "\u0671": "\u0627",
    "\u0624": "\u0648",
    # Russian writes ё as е more often than not.
    "\u0451": "\u0435",
    # Turkish dotless ı: phones without a Turkish layout type i.
    "\u0131": "i",
}

# Removed outright: tatweel (kashida) and apostrophes, so that Ukrainian сім'я, English don't and
# Pashto/Kurdish transliterations with ʼ stay one word whichever apostrophe was typed.
_DELETED = "\u0640'\u2019\u02bc\u02b9\u0060\u00b4"


def _fold(char: str) -> str | None:
    """Return what one character (after NFKC + casefold) becomes: a string, or None to drop it."""
    if char in _LETTER_VARIANTS:
        return _LETTER_VARIANTS[char]
    if char in _DELETED:
        return None
    if char.isspace():
        return " "
    category = unicodedata.category(char)
    if category == "Nd":
        return str(unicodedata.decimal(char))
    if category in ("Mn", "Me") or category[0] == "C":
        # Combining marks (accents, harakat, Ethiopic gemination marks) and control, format
        # (zero-width, bidi overrides), surrogate, private-use and unassigned characters.
        return None
    if category[0] in "PSZ":
        return " "
    if category[0] == "L" and not unicodedata.name(char, "").startswith("CYRILLIC"):
        # A precomposed letter is replaced by its base letter (é → e, ş → s, أ → ا), but only when
        # everything else in its decomposition is a combining mark. Cyrillic letters such as й and
        # ї are distinct letters and stay whole.
        decomposed = unicodedata.normalize("NFD", char)
        if len(decomposed) > 1 and all(unicodedata.category(m) == "Mn" for m in decomposed[1:]):
            return _LETTER_VARIANTS.get(decomposed[0], decomposed[0])
    return char


class _FoldTable(dict[int, str | None]):
    """A `str.translate` table filled on first sight of each code point.

    Building the full table eagerly would mean a million entries, nearly all for unassigned code
    points; filling it lazily keeps translation at C speed for every character already seen.
    Unassigned and private-use characters are not cached so hostile input cannot grow the table
    beyond the assigned repertoire.
    """

    def __missing__(self, code_point: int) -> str | None:
        char = chr(code_point)
        folded = _fold(char)
        if unicodedata.category(char) not in ("Cn", "Co"):
            self[code_point] = folded
        return folded


_FOLD_TABLE = _FoldTable()


def normalize(text: str) -> str:
    """Return `text` folded for matching: lower case, no accents or marks, unified letter
    variants, ASCII digits, punctuation as spaces and single spaces between words.

    Total on every `str`, including lone surrogates and control characters.
    """
    # Lone surrogates cannot be normalised by unicodedata; they carry no meaning, drop them first.
    if not text.isascii():
        text = text.encode("utf-8", "ignore").decode("utf-8")
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(text.translate(_FOLD_TABLE).split())
