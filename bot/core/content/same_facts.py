"""The cross-language check: every number, amount, phone number, URL and § of a German answer
stands in each translation too, and nothing else ("2,29 €" changed to "2,50 €" in German only,
a wrong phone number in one language). Numbers are compared by their digits only, so "1.000"
and "1,000", "2,29 €" and "€2.29", Persian "۲٫۲۹" and "2.29" are the same fact; a date by its
day and year ("1.3.2024" is "1 March 2024", whose month is a word); one-digit numbers are not
compared (languages write them as words: Arabic "سنتين" is "2 Jahre")."""
from __future__ import annotations

import re
import unicodedata
from collections import Counter

__all__ = ["fact_differences", "facts"]

_URL = re.compile(r"https?://[^\s<>\"']+")
_NUMBER = re.compile(r"\d+(?:[.,٫٬ ]\d+)*")  # "1.000", "2,29", "089 1234 5678", "۲٫۲۹"
_PARAGRAPH = re.compile(r"§+\s*(\d+\s*[a-z]?)")
_DATE = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b")  # German 1.3.2024
MIN_DIGITS = 2


def facts(text: str) -> Counter[str]:
    """The URLs, § and numbers (as their digits) of a text, each as often as it stands there."""
    found: Counter[str] = Counter()
    for url in _URL.findall(text):
        found[url.rstrip(".,;:)")] += 1
    text = _URL.sub(" ", text)
    for paragraph in _PARAGRAPH.findall(text):
        found["§" + paragraph.replace(" ", "")] += 1
    text = _PARAGRAPH.sub(" ", text)
    text = _DATE.sub(lambda date: f"{date.group(1)} / {date.group(3)}", text)
    for number in _NUMBER.findall(text):
        digits = "".join(str(unicodedata.digit(c)) for c in number if c.isdigit())
        if len(digits) >= MIN_DIGITS:
            found[digits] += 1
    return found


def fact_differences(german: str, translation: str) -> tuple[list[str], list[str]]:
    """What the translation lacks of the German's facts, and what it has that the German has not."""
    source, target = facts(german), facts(translation)
    return sorted((source - target).elements()), sorted((target - source).elements())
