"""An FAQ entry's sections: the parts of an answer that apply only to some people, chosen by a
fact a flow asks (a vocabulary of faq/vocabularies.yaml, e.g. the residence status).

    text:
      de:
        answer: |
          What applies to everyone.

          {sections}

          What applies to everyone, after the section.
        sections:
          residence_status:
            asylum: Only for a person in the asylum procedure.
            asylum, duldung: For both (a key may name several values).
            default: For every value no key names.

A person whose fact is `duldung` is shown every section whose key names `duldung`, in file order;
a value that no key names gets `default`, if there is one. The German entry's sections are the
structure: a translation's section is looked up by the same vocabulary and key, and the German
one is shown where a translation lacks it."""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from bot.core.content.schema import FaqEntry

DEFAULT = "default"
"""The key of the section for the values no other key names ("unknown" too, when not named)."""
MARK = "{sections}"
"""Where in the common answer the sections go (on a line of its own)."""


def key_values(key: str) -> list[str]:
    """The values a section's key names: "asylum, duldung" -> ["asylum", "duldung"]."""
    return [part.strip() for part in key.split(",") if part.strip()]


def applying(keys: Iterable[str], value: str) -> list[str]:
    """The keys of the sections a person whose fact is `value` is shown, in order."""
    keys = list(keys)
    named = [key for key in keys if key != DEFAULT and value in key_values(key)]
    if named:
        return named
    return [DEFAULT] if DEFAULT in keys else []


def vocabularies(entry: FaqEntry, default: str) -> list[str]:
    """The vocabularies the entry's (German) sections are keyed by, in file order."""
    german = entry.text.get(default)
    return list(german.sections) if german is not None else []


def shown_keys(entry: FaqEntry, default: str, facts: Mapping[str, str]) -> dict[str, list[str]]:
    """Per vocabulary whose fact is known and has a section, the keys shown."""
    german = entry.text.get(default)
    if german is None:
        return {}
    shown: dict[str, list[str]] = {}
    for vocabulary, sections in german.sections.items():
        keys = applying(sections, facts[vocabulary]) if vocabulary in facts else []
        if keys:
            shown[vocabulary] = keys
    return shown


def choosable(entry: FaqEntry, default: str, vocabulary: str,
              values: Iterable[str]) -> list[str]:
    """Of a vocabulary's `values` (in its order), those that would be shown a section."""
    german = entry.text.get(default)
    sections = german.sections.get(vocabulary, {}) if german is not None else {}
    return [value for value in values if applying(sections, value)]


def section_text(entry: FaqEntry, default: str, lang: str, vocabulary: str, key: str) -> str:
    """One section in `lang`, or in the default language when the translation lacks it."""
    text = entry.text.get(lang)
    found = text.sections.get(vocabulary, {}).get(key) if text is not None else None
    return found if found is not None else entry.text[default].sections[vocabulary][key]


def german_texts(entry: FaqEntry, default: str) -> list[str]:
    """Every German section text as `vocabulary/key` and text, in file order (for the hash)."""
    german = entry.text.get(default)
    if german is None:
        return []
    return [part for vocabulary, sections in german.sections.items()
            for key, text in sections.items() for part in (f"{vocabulary}/{key}", text)]
