"""Loading the content folder: every file parsed, validated and cross-checked, or nothing goes live.

Layout under the content root:
  faq/languages.yaml       languages and fallback chains
  faq/organisation.yaml    the office: name, phone, office hours
  faq/vocabularies.yaml    intake vocabularies (topic, residence status, German level ...)
  faq/canned-replies.yaml  ready answers counsellors send with one tap (optional)
  faq/entries/**/*.yaml    one FAQ entry per file
  faq/signals/<lang>.yaml  crisis phrases and requests for a human, per language
  faq/signals/examples/<lang>.yaml  messages that show a crisis, a request for a human or neither
  faq/concepts.yaml        meanings that questions share across entries and languages (optional)
  faq/glossary.yaml        office terms machine translation keeps, with explanations (optional)
  flows/*.yaml             one flow per file
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from bot.core.content import schema
from bot.core.content.checks import check
from bot.core.content.model import EMERGENCY_TOPIC, Content
from bot.core.content.parsed import Parsed
from bot.core.content.phrase_lists import (
    concept_phrases,
    courtesy_phrases,
    phrase_problems,
    signal_phrases,
)
from bot.core.content.problems import ContentError, Problem, Severity
from bot.core.content.source import (
    SourceFile,
    ambiguous_words,
    merged_list_items,
    plain_text,
    read_yaml,
)
from bot.core.content.validation import validate
from bot.core.i18n import DOMAIN, Catalogs
from bot.core.learned_signals import CALM, HUMAN, LearnedSignals
from bot.core.matcher import MatchDoc, Matcher
from bot.core.phrases import PhraseSet, words_of
from bot.core.signals import CrisisKind, Signals

SINGLE_FILES: dict[str, type[BaseModel] | None] = {
    "languages": schema.LanguageSettings,
    "organisation": schema.Organisation,
    "vocabularies": None,  # a mapping of vocabularies, validated one by one
}
CANNED_REPLIES = "canned-replies.yaml"
"""Optional: ready answers for counsellors, by name."""
CONCEPTS = "concepts.yaml"
GLOSSARY = "glossary.yaml"
"""Optional: shared meanings for the matcher, by name."""


def shown_path(path: Path) -> str:
    """How a file is named in messages: relative to the working folder when inside it."""
    try:
        return os.path.relpath(path) if not os.path.relpath(path).startswith("..") else str(path)
    except ValueError:
        return str(path)


def _read(path: Path, parsed: Parsed) -> SourceFile | None:
    parsed.digest.update(str(path).encode() + b"\0" + path.read_bytes())
    source, problems = read_yaml(path, shown_path(path))
    parsed.problems += problems
    if source is not None:
        parsed.problems += [
            Problem(source.path, line, f"this '- ' is indented more than the list item above "
                    f"it, so YAML reads it as part of that item ('{item}'); start every '- ' of "
                    f"the list in the same column")
            for line, item in merged_list_items(source)]
    return source


def _validated(model: type[BaseModel], source: SourceFile, data: Any, parsed: Parsed) -> Any:
    value, problems = validate(model, source, data)
    parsed.problems += problems
    if value is not None:
        parsed.problems += [
            Problem(source.path, source.line(keys), f"'{word}' is read as a yes/no value by many "
                    f"YAML tools; if you mean the text, put it in quotes: \"{word}\"")
            for keys, word in ambiguous_words(source) if _under(keys, data)]
    return value


def _under(keys: Sequence[Any], data: Any) -> bool:
    node = data
    for key in keys:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            return False
    return True


def parse_folder(root: Path) -> Parsed:
    """Read and validate every content file under `root` (no cross-file checks yet)."""
    parsed = Parsed()
    faq, flows = root / "faq", root / "flows"
    for folder in (faq, flows):
        if not folder.is_dir():
            parsed.problems.append(Problem(shown_path(folder), 1, "folder is missing"))
    for name, model in SINGLE_FILES.items():
        path = faq / f"{name}.yaml"
        if not path.is_file():
            if faq.is_dir():
                parsed.problems.append(Problem(shown_path(path), 1, "file is missing"))
            continue
        source = _read(path, parsed)
        if source is None:
            continue
        data = plain_text(source.data)
        if model is not None:
            value = _validated(model, source, data, parsed)
            if value is not None:
                setattr(parsed, name, (source, value))
        else:
            _parse_named(source, schema.Vocabulary, parsed.vocabularies, parsed,
                         "expected vocabularies by name, each like 'topic:' with 'label' and "
                         "'values' under it")
    canned = faq / CANNED_REPLIES
    source = _read(canned, parsed) if canned.is_file() else None
    if source is not None:
        _parse_named(source, schema.CannedReply, parsed.canned_replies, parsed,
                     "expected canned replies by name, each with 'title' and 'text' under it")
    concepts = faq / CONCEPTS
    source = _read(concepts, parsed) if concepts.is_file() else None
    if source is not None:
        _parse_named(source, schema.Concept, parsed.concepts, parsed,
                     "expected concepts by name, each with phrases per language under it")
    glossary = faq / GLOSSARY
    source = _read(glossary, parsed) if glossary.is_file() else None
    if source is not None:
        _parse_named(source, schema.GlossaryTerm, parsed.glossary, parsed,
                     "expected German terms, each with its explanation per language under it "
                     "(or {})")
    for path in sorted((faq / "entries").rglob("*.yaml")) if faq.is_dir() else []:
        _parse_document(path, schema.FaqEntry, parsed.entries, parsed)
    for path in sorted((faq / "signals").glob("*.yaml")) if faq.is_dir() else []:
        signals: list[tuple[SourceFile, schema.SignalPhrases]] = []
        _parse_document(path, schema.SignalPhrases, signals, parsed)
        if signals:
            parsed.signals[path.stem] = signals[0]
    for path in sorted((faq / "signals" / "examples").glob("*.yaml")) if faq.is_dir() else []:
        examples: list[tuple[SourceFile, schema.SignalExamples]] = []
        _parse_document(path, schema.SignalExamples, examples, parsed)
        if examples:
            parsed.examples[path.stem] = examples[0]
    for path in sorted(flows.rglob("*.yaml")) if flows.is_dir() else []:
        _parse_document(path, schema.Flow, parsed.flows, parsed)
    return parsed


def _parse_document(path: Path, model: type[BaseModel], into: list[Any], parsed: Parsed) -> None:
    source = _read(path, parsed)
    if source is None:
        return
    value = _validated(model, source, plain_text(source.data), parsed)
    if value is not None:
        into.append((source, value))


def _parse_named(source: SourceFile, model: type[BaseModel], into: dict[str, Any],
                 parsed: Parsed, shape: str) -> None:
    """A file that maps names to items of one kind (vocabularies, canned replies)."""
    data = plain_text(source.data)
    if not isinstance(data, dict):
        parsed.problems.append(Problem(source.path, 1, shape))
        return
    for name, item in data.items():
        scoped = _scoped(source, name)
        value = _validated(model, scoped, item, parsed)
        if value is not None:
            into[name] = (scoped, value)


def _scoped(source: SourceFile, key: str) -> SourceFile:
    """A view of one top-level key of `source`, so that its lines can be found."""
    return SourceFile(source.path, source.data[key], source.lines)


def recording_problems(root: Path, parsed: Parsed) -> list[Problem]:
    """A county's recording (`audio:` of an entry's text) must be an OGG file in the content
    folder: Telegram shows only OGG/Opus as a voice note."""
    problems = []
    for source, entry in parsed.entries:
        for lang, text in entry.text.items():
            if text.audio is None:
                continue
            path = (root / text.audio).resolve()
            where = source.line(("text", lang, "audio"))
            if not path.is_relative_to(root.resolve()) or not path.is_file():
                problems.append(Problem(source.path, where, f"recording {text.audio} not found "
                                        "in the content folder"))
            elif path.read_bytes()[:4] != b"OggS":
                problems.append(Problem(source.path, where, f"recording {text.audio} is no OGG "
                                        "file: convert it to OGG/Opus (e.g. ffmpeg -i in.mp3 "
                                        "-c:a libopus out.ogg)"))
    return problems


def load(root: Path, ui_dir: Path, retention_days: int = 90) -> tuple[Content | None,
                                                                      list[Problem]]:
    """The content under `root` and every problem found; no Content when there is an error.
    `retention_days` (the RETENTION_DAYS setting) is what the privacy texts promise."""
    parsed = parse_folder(root)
    parsed.problems += phrase_problems(parsed) + recording_problems(root, parsed)
    if parsed.languages and parsed.organisation and not any(
            p.severity is Severity.ERROR for p in parsed.problems):
        parsed.problems += check(parsed)
    if parsed.languages:
        parsed.problems += catalog_problems(*parsed.languages, ui_dir)
    problems = sorted(set(parsed.problems), key=lambda p: (p.path, p.line, p.message))
    if any(p.severity is Severity.ERROR for p in problems) or not (
            parsed.languages and parsed.organisation):
        return None, problems
    entries = {e.id: e for _, e in parsed.entries}
    content = Content(
        root=root,
        version=parsed.digest.hexdigest()[:12],
        languages=parsed.languages[1],
        organisation=parsed.organisation[1],
        vocabularies={name: v for name, (_, v) in parsed.vocabularies.items()},
        canned_replies={name: r for name, (_, r) in parsed.canned_replies.items()},
        glossary={term: dict(t.root) for term, (_, t) in parsed.glossary.items()},
        entries=entries,
        flows={f.id: f for _, f in parsed.flows},
        matcher=matcher(parsed),
        signals=Signals(signal_phrases(parsed), learned_signals(parsed)),
        ui=Catalogs(ui_dir),
        retention_days=retention_days,
    )
    return content, problems


def catalog_problems(source: SourceFile, settings: schema.LanguageSettings,
                     ui_dir: Path) -> list[Problem]:
    """Every language of the content needs its interface catalog (buttons, questions, notes);
    English needs none, its texts are the catalogs' own."""
    have = set(Catalogs(ui_dir).languages()) | {"en"}
    return [Problem(source.path, source.line(("languages", i)),
                    f"language '{lang}' has no interface catalog ({ui_dir.name}/{lang}/LC_MESSAGES/"
                    f"{DOMAIN}.po), so its people would get every button and message in English; "
                    f"create it with `pybabel init -i {ui_dir.name}/{DOMAIN}.pot -d {ui_dir.name} "
                    f"-D {DOMAIN} -l {lang}` and translate it")
            for i, lang in enumerate(settings.languages) if lang not in have]


def matcher(parsed: Parsed) -> Matcher:
    """The FAQ matcher over what `parsed` read (its languages read): the entries' docs, the
    concepts and the courtesy words."""
    assert parsed.languages is not None
    return Matcher(match_docs(entry for _, entry in parsed.entries),
                   mixed_langs=(parsed.languages[1].default_language, "en"),
                   concepts=PhraseSet(concept_phrases(parsed)),
                   courtesy=PhraseSet(courtesy_phrases(parsed)))


def learned_signals(parsed: Parsed) -> LearnedSignals:
    """The model learned from every language's examples, with every entry's title and questions
    as calm examples (the emergency entry's excepted)."""
    labelled: list[tuple[str, str]] = []
    for _, examples in parsed.examples.values():
        labelled += [(kind, text) for kind, texts in examples.crisis.items() for text in texts]
        labelled += [(HUMAN, text) for text in examples.human]
        labelled += [(CALM, text) for text in examples.calm]
    labelled += [(CALM, doc.text) for doc in match_docs(entry for _, entry in parsed.entries)]
    return LearnedSignals(((label, words_of(text)) for label, text in labelled),
                          [kind.value for kind in CrisisKind])


def load_or_raise(root: Path, ui_dir: Path, retention_days: int = 90) -> Content:
    return or_raise(*load(root, ui_dir, retention_days))


def or_raise(content: Content | None, problems: Sequence[Problem]) -> Content:
    """What `load` returned: the content, or its errors raised as a `ContentError`."""
    if content is None:
        raise ContentError([p for p in problems if p.severity is Severity.ERROR])
    return content


def match_docs(entries: Any) -> list[MatchDoc]:
    """What the matcher searches: each entry's title and question variants, per language. The
    emergency entry is not among them: a crisis is for the signals (`bot.core.signals`) to see,
    and a question that merely shares its words ("emergency course") must get its own answer."""
    return [MatchDoc(entry.id, lang, text)
            for entry in entries if entry.topic != EMERGENCY_TOPIC
            for lang, texts in entry.text.items()
            for text in (texts.title, *texts.questions)]
