"""Which of Lotse's languages a typed text is written in: py3langid (its model ships inside the
package) restricted to the content's languages, with the script as the first signal: Ge'ez script
is Tigrinya (py3langid knows only Amharic in it), Cyrillic is Russian or Ukrainian, Arabic script
Arabic, Farsi/Dari or Pashto.

Short texts say little: a guess needs `MIN_LETTERS` letters and `MIN_CONFIDENCE`, and German words
inside another language's sentence (Duldung, Jobcenter) are what people write everywhere, so a
Latin text is only attributed when the identifier is sure."""
from __future__ import annotations

from collections.abc import Sequence

from py3langid.langid import MODEL_FILE, LanguageIdentifier

from bot.core.normalize import normalize
from bot.core.stems import SCRIPTS, script_of

__all__ = ["identify"]

MIN_LETTERS = 12
SCRIPT_MIN_LETTERS = 4
"""Enough when the script alone tells the language (Ge'ez: Tigrinya)."""
MIN_CONFIDENCE = 0.9
LATIN_MIN_CONFIDENCE = 0.98
"""Latin texts mix languages most (German loanwords, English): stricter."""


_IDENTIFIER = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
"""Loaded once, at import (about 0.7 s): a first message must not wait for it."""


def _classify(text: str, candidates: tuple[str, ...]) -> tuple[str, float]:
    """The most probable of `candidates`, its probability among them only (the identifier's
    probabilities are a softmax, so renormalising over a subset is the softmax of the subset)."""
    ranked = {lang: p for lang, p in _IDENTIFIER.rank(text) if lang in candidates}
    total = sum(ranked.values())
    if not ranked or total <= 0:
        return candidates[0], 0.0
    lang = max(ranked, key=ranked.__getitem__)
    return lang, ranked[lang] / total


def identify(text: str, languages: Sequence[str]) -> str | None:
    """The language of `text` among `languages`, or None when it cannot be told."""
    folded = normalize(text)
    letters = sum(c.isalpha() for c in folded)
    words = folded.split()
    if letters < SCRIPT_MIN_LETTERS:
        return None
    scripts = [script_of(w) for w in words]
    main = max(set(scripts), key=lambda s: sum(len(w) for w, x in zip(words, scripts) if x == s))
    candidates = tuple(lang for lang in languages if SCRIPTS.get(lang) == main)
    if len(candidates) <= 1:
        return candidates[0] if candidates else None
    if letters < MIN_LETTERS:
        return None
    # The identifier sees the words as typed (normalising folds Arabic letters into their Persian
    # forms), and only those in the main script: a German word inside an Arabic sentence says
    # nothing about which Arabic-script language it is.
    own = " ".join(w for w in text.split() if any(c.isalpha() for c in w) and
                   script_of(next(c for c in w if c.isalpha())) == main)
    lang, confidence = _classify(own, candidates)
    floor = LATIN_MIN_CONFIDENCE if main == "latin" else MIN_CONFIDENCE
    return lang if confidence >= floor else None
