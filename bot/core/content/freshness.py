"""Which translations are outdated: each translation records a short hash of the German (default
language) text it was made from (`translated_from`, written by `lotse content stamp`, never by
hand); when the German changes, its hash no longer matches and every other language is outdated."""
from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

from bot.core.content.schema import FaqEntry, Flow
from bot.core.content.sections import german_texts

HASH_LENGTH = 8
"""Hex digits kept: enough to tell two versions of one text apart, short enough to read."""


def text_hash(parts: list[str]) -> str:
    digest = hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()
    return digest[:HASH_LENGTH]


def entry_hash(entry: FaqEntry, default: str) -> str | None:
    """The hash of the entry's German title, answer and sections (the questions are not
    translated), or None when the entry has no German text."""
    german = entry.text.get(default)
    return None if german is None else text_hash([german.title, german.answer,
                                                  *german_texts(entry, default)])


def flow_hash(flow: Flow, default: str) -> str:
    """The hash of every German text of the flow (title, node texts, labels, errors), in order."""
    return text_hash([texts.get(default, "") for texts in localized_texts(
        flow.model_dump(exclude={"status", "translated_from"}))])


def outdated_entry_languages(entry: FaqEntry, default: str) -> list[str]:
    """The stamped languages whose text was not made from the entry's current German text (a
    translation without a stamp is not tracked yet)."""
    current = entry_hash(entry, default)
    return [lang for lang, text in entry.text.items() if lang != default and
            text.translated_from is not None and text.translated_from != current]


def outdated_flow_languages(flow: Flow, default: str, languages: set[str]) -> list[str]:
    """Of `languages` (those the flow has), the stamped ones not made from the flow's current
    German."""
    current = flow_hash(flow, default)
    return sorted(lang for lang in languages if lang != default and
                  flow.translated_from.get(lang, current) != current)


def flow_languages(flow: Flow) -> set[str]:
    """The languages in which every text of the flow exists."""
    found = [set(flow.title), *map(set, localized_texts(
        flow.model_dump(exclude={"title", "status", "translated_from"})))]
    return set.intersection(*found)


def localized_texts(value: Any) -> Iterator[dict[str, str]]:
    """Every `{lang: text}` mapping inside a dumped model, in file order."""
    if isinstance(value, dict):
        if value and all(isinstance(v, str) for v in value.values()) and \
                all(len(k) in (2, 3) for k in value):
            yield value
            return
        for item in value.values():
            yield from localized_texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from localized_texts(item)
