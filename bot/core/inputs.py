"""Validating values a person types when a flow asks for one (a postcode, a number, a year)."""
from __future__ import annotations

import datetime as dt
import re

from bot.core.content.schema import InputFormat
from bot.core.i18n import N_

_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
MAX_TEXT = 500

HINTS: dict[InputFormat, str] = {
    "text": N_("Please write a short answer."),
    "number": N_("Please write a number, for example 3."),
    "postcode": N_("Please write the five digits of your postcode, for example 85521."),
    "year": N_("Please write a year with four digits, for example 2023."),
}


def ascii_digits(text: str) -> str:
    """Arabic-Indic and Persian digits as 0-9, spaces removed."""
    return text.translate(_DIGITS).replace(" ", "").strip()


def parse(kind: InputFormat, text: str) -> str | None:
    """The value to store, normalised, or None when `text` does not fit."""
    text = text.strip()
    if kind == "text":
        return text[:MAX_TEXT] if text else None
    digits = ascii_digits(text)
    if kind == "number":
        return digits if re.fullmatch(r"\d{1,6}", digits) else None
    if kind == "postcode":
        return digits if re.fullmatch(r"\d{5}", digits) else None
    if re.fullmatch(r"\d{4}", digits) and 1900 <= int(digits) <= dt.date.today().year + 1:
        return digits
    return None
