"""`Parsed`: what the loader read from the content folder, each model with its file, before the
content is built. The checks across files read it too, so it lives apart from the loader (which
runs them)."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from bot.core.content import schema
from bot.core.content.problems import Problem
from bot.core.content.source import SourceFile


@dataclass
class Parsed:
    """What was read, each model with the file it came from (for line numbers in later checks)."""

    problems: list[Problem] = field(default_factory=list)
    languages: tuple[SourceFile, schema.LanguageSettings] | None = None
    organisation: tuple[SourceFile, schema.Organisation] | None = None
    vocabularies: dict[str, tuple[SourceFile, schema.Vocabulary]] = field(default_factory=dict)
    canned_replies: dict[str, tuple[SourceFile, schema.CannedReply]] = field(
        default_factory=dict)
    entries: list[tuple[SourceFile, schema.FaqEntry]] = field(default_factory=list)
    flows: list[tuple[SourceFile, schema.Flow]] = field(default_factory=list)
    signals: dict[str, tuple[SourceFile, schema.SignalPhrases]] = field(default_factory=dict)
    """By language (the file's name)."""
    examples: dict[str, tuple[SourceFile, schema.SignalExamples]] = field(default_factory=dict)
    """Signal examples by language (the file's name)."""
    concepts: dict[str, tuple[SourceFile, schema.Concept]] = field(default_factory=dict)
    glossary: dict[str, tuple[SourceFile, schema.GlossaryTerm]] = field(default_factory=dict)
    digest: Any = field(default_factory=hashlib.sha256)
