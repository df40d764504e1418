"""What must survive translation word for word, swapped for placeholders before a provider sees the
text and put back exactly afterwards.

Kept: Telegram's tags and character entities (so that HTML stays HTML), URLs, e-mail addresses,
§ references ("§ 60c AufenthG", "§ 7 Abs. 1 SGB II"), dates, amounts ("€ 4,58", "12,50 Euro"),
phone numbers, case numbers ("#123"), and the glossary's German office terms (faq/glossary.yaml):
"Jobcenter" stays "Jobcenter", followed by its explanation in brackets in the target language
where the glossary has one, as the content writes it.

The text a provider gets is XML: each kept piece is `<x i="N"/>`, the rest escaped (`&amp;`
`&lt;` `&gt;`). DeepL (tag_handling=xml) and LibreTranslate (format=html) keep tags by design, and
an LLM is told to. A translation whose placeholders are not each there exactly once is refused
(`Lost`), and so is one whose Telegram HTML broke (tags moved across each other)."""
from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass

from bot.core import telegram_html

Glossary = Mapping[str, Mapping[str, str]]
"""German term → its explanation per language (faq/glossary.yaml)."""
NO_GLOSSARY: Glossary = {}

_TAG = (r"</?(?:" + "|".join(sorted(telegram_html.TAGS, key=len, reverse=True)) +
        r")(?:\s[^<>]*)?>|&(?:#\d{1,7}|#x[0-9A-Fa-f]{1,6}|lt|gt|amp|quot);")
_KEPT = [
    r"(?:https?://|www\.)[^\s<>\"']*[^\s<>\"'.,;:!?)]",  # a URL, without the sentence's full stop
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+",  # an e-mail address
    # a § reference with its paragraph, sentence, number and law: "§ 60c AufenthG", "§§ 3 ff."
    r"§§?\s*\d+(?:\s?[a-z]\b)?(?:\s*(?:Abs\.|Absatz|S\.|Satz|Nr\.)\s*\d+\w?)*"
    r"(?:\s+(?:SGB\s+[IVX]+\b|[A-ZÄÖÜ][A-Za-zÄÖÜäöüß]*(?:G|V|O)\b))?",
    r"\b\d{1,2}\.\d{1,2}\.(?:\d{4}|\d{2})\b|\b\d{4}-\d{2}-\d{2}\b",  # 1.3.2024, 2024-03-01
    r"(?:€|EUR)\s?\d[\d.,]*\d|(?:€|EUR)\s?\d|\d[\d.]*(?:,\d+)?\s?(?:€|EUR\b|Euro\b)",  # amounts
    r"(?:\+\d|\b0\d)[\d ()/.-]{4,}\d",  # phone numbers: +49 …, 0 …
    r"#\d+\b",  # a case number
]
_PROTECTED = re.compile("|".join(f"(?:{p})" for p in [_TAG, *_KEPT]))
_ENTITY_OR_TAG = re.compile(_TAG)
PLACEHOLDER = re.compile(r"<x\s+i\s*=\s*[\"'](\d+)[\"']\s*/?>(?:</x>)?")
_INFLECTION = r"(?:e|en|n|s|es|er|ern)?"
"""German endings after an office term ("Jobcenters", "Integrationskurse")."""


class Lost(Exception):
    """A translation lost, duplicated or invented a placeholder, or broke the Telegram HTML."""


@dataclass(frozen=True)
class Piece:
    text: str
    term: str | None = None
    """The glossary term this piece is (its explanation follows it in the target language)."""


@dataclass(frozen=True)
class Protected:
    """A text with its kept pieces swapped for placeholders."""

    wire: str
    """What the provider gets."""
    pieces: tuple[Piece, ...]
    markup: bool
    """The text has Telegram tags or entities, so it is HTML: the translation must be valid too."""
    words: bool
    """Something is left to translate (letters outside the kept pieces)."""


def protect(text: str, glossary: Glossary = NO_GLOSSARY, *, html: bool = False) -> Protected:
    """`text` with its kept pieces swapped for placeholders; with `html` it is Telegram HTML
    whatever it holds (an escaped text without a tag or an entity too), so that its translation
    is HTML again."""
    pattern = _pattern(tuple(glossary))
    terms = {term.casefold(): term for term in glossary}
    pieces: list[Piece] = []
    out: list[str] = []
    words = False
    last = 0
    for m in pattern.finditer(text):
        gap = text[last:m.start()]
        words = words or any(c.isalpha() for c in gap)
        out.append(_escape(gap))
        term = m.group("term") if "term" in pattern.groupindex else None
        pieces.append(Piece(m.group(0), _term(term, terms) if term else None))
        out.append(f'<x i="{len(pieces)}"/>')
        last = m.end()
    words = words or any(c.isalpha() for c in text[last:])
    out.append(_escape(text[last:]))
    markup = html or any(_ENTITY_OR_TAG.fullmatch(p.text) for p in pieces)
    return Protected("".join(out), tuple(pieces), markup, words)


def restore(answer: str, protected: Protected, target: str,
            glossary: Glossary = NO_GLOSSARY) -> str:
    """The translation with every piece back in its place; raises Lost."""
    found = [int(i) for i in PLACEHOLDER.findall(answer)]
    if sorted(found) != list(range(1, len(protected.pieces) + 1)):
        raise Lost("placeholders")
    out: list[str] = []
    last = 0
    for m in PLACEHOLDER.finditer(answer):
        out.append(_unescape(answer[last:m.start()], protected.markup))
        out.append(_piece(protected.pieces[int(m.group(1)) - 1], target, glossary,
                          protected.markup))
        last = m.end()
    out.append(_unescape(answer[last:], protected.markup))
    text = "".join(out)
    if protected.markup and telegram_html.problem(text) is not None:
        raise Lost("markup")
    return text


def _piece(piece: Piece, target: str, glossary: Glossary, markup: bool) -> str:
    explanation = glossary.get(piece.term, {}).get(target) if piece.term else None
    if not explanation:
        return piece.text
    return f"{piece.text} ({telegram_html.escape(explanation) if markup else explanation})"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _unescape(text: str, markup: bool) -> str:
    plain = html.unescape(text)
    return telegram_html.escape(plain) if markup else plain


def _term(written: str, terms: Mapping[str, str]) -> str:
    """The glossary term a match is, whatever its case and German ending."""
    key = written.casefold()
    while key not in terms:
        key = key[:-1]
    return terms[key]


_patterns: dict[tuple[str, ...], re.Pattern[str]] = {}


def _pattern(terms: tuple[str, ...]) -> re.Pattern[str]:
    """The kept pieces, the glossary's terms first (longest first: "Agentur für Arbeit" before
    "Arbeit"); compiled once per glossary."""
    found = _patterns.get(terms)
    if found is None:
        if len(_patterns) > 8:
            _patterns.clear()
        if terms:
            names = "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True))
            found = re.compile(rf"(?i:(?<!\w)(?P<term>(?:{names}){_INFLECTION})(?!\w))|"
                               + _PROTECTED.pattern)
        else:
            found = _PROTECTED
        _patterns[terms] = found
    return found
