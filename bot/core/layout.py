"""Text typed with the wrong keyboard layout: Russian or Ukrainian written while the phone's
keyboard was set to English, so "у мамы болит сердце" arrives as "e vfvs ,jkbn cthlwt". Such
text has almost no Latin vowels (the keys of а е и о у are f t b j e) and punctuation inside its
words (б ж х ю are , ; [ .); what it meant is the same keys read on the ЙЦУКЕН layouts."""
from __future__ import annotations

import re

__all__ = ["retyped"]

_QWERTY = "qwertyuiop[]asdfghjkl;'zxcvbnm,.`"
_RUSSIAN = "йцукенгшщзхъфывапролджэячсмитьбюё"
_UKRAINIAN = "йцукенгшщзхїфівапролджєячсмитьбюʼ"
_LAYOUTS = tuple({**dict(zip(_QWERTY, cyrillic)),
                  **{q.upper(): c.upper() for q, c in zip(_QWERTY, cyrillic) if q.isalpha()}}
                 for cyrillic in (_RUSSIAN, _UKRAINIAN))
_KEY = re.compile(r"[a-zA-Z`]|[\[\];',.](?=[a-zA-Z\[\];',.`])")
"""A key to read on the other layout: a letter, or a punctuation key before another key (",jkbn"
is "болит"); a comma or full stop before a space or at the end stays what it is."""
MIN_LETTERS = 8
"""Shorter texts are left alone: too little to tell a wrong layout from an abbreviation."""
MAX_VOWEL_SHARE = 0.2
"""English, German and Russian typed in Latin letters have 30–40 % vowels; Russian typed on the
wrong layout about 10 %."""


def retyped(text: str) -> tuple[str, ...]:
    """`text` as typed on the Russian and on the Ukrainian layout, if it looks like text typed
    on the wrong one (Latin letters only, almost no vowels); else nothing."""
    letters = [c for c in text.lower() if c.isalpha()]
    if len(letters) < MIN_LETTERS or not all(c.isascii() for c in letters):
        return ()
    if sum(c in "aeiou" for c in letters) > MAX_VOWEL_SHARE * len(letters):
        return ()
    return tuple(_on_layout(text, layout) for layout in _LAYOUTS)


def _on_layout(text: str, layout: dict[str, str]) -> str:
    return _KEY.sub(lambda key: layout[key.group()], text)
