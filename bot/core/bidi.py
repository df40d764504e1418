"""Right-to-left text done right: Arabic, Farsi, Pashto and Sorani lines start right-to-left even
when they begin with a Latin word or a number, and phone numbers keep their digit order."""
from __future__ import annotations

import re

from bot.core.i18n import is_rtl

RLM = "\u200f"
LRI, PDI = "\u2066", "\u2069"
_PHONE = re.compile(r"\+?\d[\d \-/]{4,}\d")


def for_rtl(text: str) -> str:
    """`text` marked for a right-to-left reader; plain for everyone else is the caller's choice."""
    text = _PHONE.sub(lambda m: f"{LRI}{m.group(0)}{PDI}", text)
    return "\n".join(RLM + line if line else line for line in text.split("\n"))


def for_locale(text: str, locale: str) -> str:
    """`text` as a reader of `locale` gets it: marked (`for_rtl`) when the language is written
    right to left, else unchanged."""
    return for_rtl(text) if is_rtl(locale) else text


def strip_marks(text: str) -> str:
    """`text` without the marks `for_rtl` adds (for comparing what a person typed)."""
    return text.replace(RLM, "").replace(LRI, "").replace(PDI, "")
