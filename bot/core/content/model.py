"""The loaded content: one immutable object holding every FAQ entry, flow and vocabulary."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.content.schema import (
    CannedReply,
    FaqEntry,
    Flow,
    LanguageSettings,
    Organisation,
    Vocabulary,
)
from bot.core.i18n import Catalogs
from bot.core.matcher import Matcher
from bot.core.signals import Signals

EMERGENCY_TOPIC = "emergency"
"""The topic of the entry with the numbers that help at once (shown on a crisis signal)."""


@dataclass(frozen=True)
class Localized:
    """A text chosen for a user: in `lang`, which is not `wanted` when it had to fall back."""

    text: str
    lang: str
    wanted: str

    @property
    def fell_back(self) -> bool:
        return self.lang != self.wanted


@dataclass(frozen=True)
class Content:
    root: Path
    version: str
    languages: LanguageSettings
    organisation: Organisation
    vocabularies: Mapping[str, Vocabulary]
    entries: Mapping[str, FaqEntry]
    flows: Mapping[str, Flow]
    canned_replies: Mapping[str, CannedReply]
    matcher: Matcher
    signals: Signals
    """Crises and requests for a human, read before anything else."""
    ui: Catalogs
    retention_days: int = 90
    """How long a closed case's personal data is kept (the RETENTION_DAYS setting)."""
    glossary: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """German office terms machine translation keeps → their explanation per language
    (faq/glossary.yaml, `bot.translation.protect`)."""
    voices: frozenset[str] = frozenset()
    """The languages a voice reads aloud (the installed voices, `bot.voice`; set by the service,
    not by the files): 🔊 is offered in these, and where the county recorded an entry."""

    def pick(self, texts: Mapping[str, str], lang: str) -> Localized:
        """`texts` in `lang`, or in the first language of its fallback chain that has it."""
        for code in self.languages.chain(lang):
            if code in texts:
                return Localized(texts[code], code, lang)
        code, text = next(iter(texts.items()))
        return Localized(text, code, lang)

    def entry_lang(self, entry: FaqEntry, lang: str) -> str:
        """The language in which `entry` is shown to a user of `lang`."""
        return next((c for c in self.languages.chain(lang) if c in entry.text),
                    next(iter(entry.text)))

    @property
    def emergency_entry(self) -> FaqEntry | None:
        """The entry with the numbers that help at once (topic `emergency`), if there is one."""
        return next((e for e in self.entries.values() if e.topic == EMERGENCY_TOPIC), None)

    @property
    def lingua_francas(self) -> tuple[str, ...]:
        """Languages people write in while reading another: the default language and English.
        The matcher counts their questions fully in every language."""
        return (self.languages.default_language, "en")

    def menu_flows(self) -> list[Flow]:
        return sorted((f for f in self.flows.values() if f.menu), key=lambda f: (f.order, f.id))

    def vocabulary_label(self, vocabulary: str, value: str, lang: str) -> str:
        vocab = self.vocabularies.get(vocabulary)
        if vocab is None or value not in vocab.values:
            return value
        return self.pick(vocab.values[value], lang).text

    def vocabulary_sentence(self, vocabulary: str, value: str) -> str | None:
        """The German sentence form of a value (`Vocabulary.sentence`), if it has one."""
        vocab = self.vocabularies.get(vocabulary)
        return vocab.sentence.get(value) if vocab else None
