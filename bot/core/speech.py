"""Texts read aloud: a reply's Telegram HTML as the `Speech` a voice reads, plain text in parts,
the German office terms of faq/glossary.yaml marked to be read by a German voice (people meet
them in German on letters and doors: "Ausländerbehörde" read by an Arabic voice is not the word
they will hear at the counter)."""
from __future__ import annotations

import re
from collections.abc import Iterable

from bot.core import bidi, telegram_html
from bot.core.events import Speech

_URL = re.compile(r"https?://\S+")
_SPACE = re.compile(r"[ \t]+")
_BREAK = re.compile(r"\s*\n\s*")


def plain(html: str) -> str:
    """What a voice reads of `html`: the text Telegram shows, without direction marks and links,
    a line break as a pause (a full stop where the line has none)."""
    text = bidi.strip_marks(telegram_html.parse(html))
    text = _SPACE.sub(" ", _URL.sub("", text))
    lines = [line.strip() for line in _BREAK.split(text) if line.strip()]
    return " ".join(line if line[-1] in ".!?:;،؟።" else line + "." for line in lines)


def speech(html: str, language: str, german: str, terms: Iterable[str], unavailable: str,
           recording: str | None = None) -> Speech:
    """`html` to be read in `language`, the glossary `terms` in it (with German endings) in
    `german` (the content's default language)."""
    text = plain(html)
    found = sorted(terms, key=len, reverse=True)
    if language == german or not found:
        return Speech(((text, language),), language, unavailable, recording)
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(term) for term in found) + r")\w*",
                         re.IGNORECASE)
    parts: list[tuple[str, str]] = []
    at = 0
    for match in pattern.finditer(text):
        if match.start() > at:
            parts.append((text[at:match.start()], language))
        parts.append((match.group(0), german))
        at = match.end()
    if at < len(text):
        parts.append((text[at:], language))
    return Speech(tuple(parts), language, unavailable, recording)
