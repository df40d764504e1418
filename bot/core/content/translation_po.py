"""Content translations as gettext PO files (Babel), for translators working in Poedit or Weblate:
every text out with its German source (`lotse content export`), and translations back into the YAML
files with their status (`lotse content import`).

One message per text: msgctxt is its location (`faq/entries/…/x.yaml#text.answer`), msgid the German
source, msgstr the translation, `#.` the English version, and the `fuzzy` flag a machine translation
or an outdated one (made from an older German text, `bot.core.content.freshness`).
An entry's question variants are one message with one variant per line: they are the ways people
ask in each language, not a sentence-by-sentence translation, and their number differs per language.
Trailing line breaks of `|` blocks are left out of the PO and put back on import."""
from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from babel.core import UnknownLocaleError
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import PoFileError, read_po, write_po

from bot.core.content.freshness import (
    flow_languages,
    outdated_entry_languages,
    outdated_flow_languages,
)
from bot.core.content.loader import parse_folder
from bot.core.content.schema import LanguageSettings, Organisation
from bot.core.content.stamp import stamp
from bot.core.content.translatable import TranslatableText, Unit, Value, collect, set_status, status
from bot.core.content.yaml_roundtrip import YamlDocument
from bot.core.i18n import german_name

QUESTIONS_NOTE = ("One way of asking per line, as people really write it in your language "
                  "(lower case, typos welcome); the number of lines may differ from German.")
HEADER = """\
Lotse content texts: German source, {lang} translation.
Written by `lotse content export --lang {lang}`; read back by `lotse content import`.
Fuzzy = machine translation, or made from an older German text. Remove the fuzzy mark when a person has checked the text."""


class TranslationError(Exception):
    """The PO file or the language cannot be used; the message says why."""


def as_po(value: Value) -> str:
    """A YAML value as PO text: question variants one per line, no trailing line break."""
    return "\n".join(value) if isinstance(value, list) else value.rstrip("\n")


def from_po(text: TranslatableText, msgstr: str, like: Value | None) -> Value:
    """A PO translation as the YAML value for `text`; `like` is the text it replaces, or the
    German one, whose trailing line break it gets."""
    if text.field == "questions":
        return [line.strip() for line in msgstr.splitlines() if line.strip()]
    like_text = like if isinstance(like, str) else ""
    return msgstr.rstrip("\n") + like_text[len(like_text.rstrip("\n")):]


def _checked_lang(languages: LanguageSettings, lang: str) -> None:
    if lang == languages.default_language:
        raise TranslationError(f"{lang} is the source language: edit it in the YAML files")
    if lang not in languages.languages:
        raise TranslationError(f"{lang} is not one of the languages in faq/languages.yaml "
                               f"({', '.join(languages.languages)}); add it there first")


def export_catalog(root: Path, languages: LanguageSettings, lang: str,
                   organisation: Organisation, version: str) -> Catalog:
    """Every text of the content under `root` with its German source and `lang` translation;
    the header names Lotse's `version`, the language and the organisation as its team."""
    _checked_lang(languages, lang)
    docs, texts = collect(root, languages.default_language)
    outdated = outdated_files(root, languages.default_language, lang)
    try:
        catalog = Catalog(locale=lang, project="Lotse content", version=version, fuzzy=False,
                          header_comment="\n".join(f"# {line}" for line in
                                                   HEADER.format(lang=lang).splitlines()))
    except UnknownLocaleError as exc:
        raise TranslationError(f"{lang}: not a language code Babel knows") from exc
    _fill_header(catalog, lang, organisation, languages.default_language)
    for text in texts:
        doc = docs[text.file]
        translated = text.value(doc, lang)
        msgstr = as_po(translated) if translated else ""
        english = text.value(doc, "en") if lang != "en" else None
        notes = [QUESTIONS_NOTE] if text.field == "questions" else []
        if english:
            notes += [f"en: {line}" if i == 0 else line
                      for i, line in enumerate(as_po(english).split("\n"))]
        needs_work = bool(msgstr) and (status(doc, text, lang) == "machine" or
                                       (text.unit is not None and text.file in outdated))
        catalog.add(as_po(text.source), msgstr, context=text.location,
                    auto_comments=notes, locations=[(text.file, text.line)],
                    flags=("fuzzy",) if needs_work else ())
    return catalog


def _fill_header(catalog: Catalog, lang: str, organisation: Organisation, default: str) -> None:
    """What Babel would leave as placeholders (EMAIL@ADDRESS, LANGUAGE <LL@li.org>, FULL NAME,
    YEAR-MO-DA): the team is the language and the office (its name in the `default` language),
    the address its e-mail or website, or none; no translator yet (Poedit and Weblate fill in
    who saves the file)."""
    office = organisation.name[default]
    address = organisation.email or organisation.website or ""
    catalog.msgid_bugs_address = address
    catalog.language_team = f"{german_name(lang)}, {office}" + (f" <{address}>" if address else "")
    catalog.last_translator = ""
    catalog.revision_date = catalog.creation_date


def outdated_files(root: Path, default: str, lang: str) -> set[str]:
    """The entry and flow files (relative to `root`, with `/`) whose `lang` translation was made
    from an older German text."""
    parsed = parse_folder(root)
    base = root.resolve()
    found = {source.path for source, entry in parsed.entries
             if lang in outdated_entry_languages(entry, default)}
    found |= {source.path for source, flow in parsed.flows
              if lang in outdated_flow_languages(flow, default, flow_languages(flow))}
    return {Path(path).resolve().relative_to(base).as_posix() for path in found}


def write_catalog(catalog: Catalog, path: Path) -> None:
    out = io.BytesIO()
    write_po(out, catalog)
    path.write_bytes(out.getvalue())


def read_catalog(path: Path, lang: str | None) -> Catalog:
    """The PO file at `path`; its language from its `Language:` header, else `lang` (when both are
    given they must agree)."""
    try:
        with path.open("rb") as handle:
            catalog = read_po(handle, abort_invalid=True)
    except (OSError, ValueError, PoFileError, UnknownLocaleError) as exc:
        raise TranslationError(f"{path}: not a readable PO file ({exc})") from exc
    if catalog.locale is None:
        if lang is None:
            raise TranslationError(f"{path}: the file names no language; pass --lang")
        catalog.locale = lang
    elif lang is not None and catalog.locale_identifier != lang:
        raise TranslationError(f"{path}: the file is for {catalog.locale_identifier}, not {lang}")
    return catalog


@dataclass
class ImportResult:
    warnings: list[str] = field(default_factory=list)
    imported: int = 0
    """Messages whose translation was taken over (changed or not)."""
    changed_files: list[str] = field(default_factory=list)


@dataclass
class _Unit:
    """An entry-language or flow-language: what one status covers."""

    fuzzy: bool = False
    skipped: bool = False
    """A message of it could not be imported (its German changed): not marked reviewed."""


def import_catalog(root: Path, languages: LanguageSettings, catalog: Catalog,
                   po_name: str) -> ImportResult:
    """Write the catalog's non-empty translations into the YAML files under `root`, with status
    `machine` for fuzzy messages and `reviewed` otherwise, and stamp what was translated in full
    from the current German (`lotse content stamp`); only changed files are written."""
    lang = str(catalog.locale_identifier)
    _checked_lang(languages, lang)
    docs, texts = collect(root, languages.default_language)
    by_location = {text.location: text for text in texts}
    result = ImportResult()
    wanted: dict[str, tuple[Message, TranslatableText]] = {}
    units: dict[tuple[str, Unit], _Unit] = defaultdict(_Unit)
    for message in catalog:
        if not message.id or not message.string or not isinstance(message.string, str):
            continue  # untranslated (or a plural form, which content never has)
        where = f"{po_name}:{message.lineno}"
        text = by_location.get(message.context or "")
        if text is None:
            result.warnings.append(f"{where}: unknown location {message.context!r}: the text is no "
                                   f"longer in the content; skipped")
            continue
        unit = units[(text.file, text.unit)] if text.unit else _Unit()
        if message.id != as_po(text.source):
            unit.skipped = True
            result.warnings.append(f"{where}: the German text of {text.location} changed since the "
                                   f"export; skipped: the translation needs review")
            continue
        unit.fuzzy |= message.fuzzy
        wanted[text.location] = (message, text)
    _drop_incomplete_entries(docs, wanted, lang, po_name, result)
    for text in texts:  # in content order: an entry's title before its answer
        if text.location in wanted:
            _apply(docs[text.file], text, str(wanted[text.location][0].string), lang)
            result.imported += 1
    for (name, unit_kind), unit in units.items():
        if unit.fuzzy or not unit.skipped:
            set_status(docs[name], unit_kind, lang, "machine" if unit.fuzzy else "reviewed")
    result.changed_files = [name for name, doc in docs.items() if doc.save()]
    made_from_current = [docs[name].data["id"] for name in _fully_imported(texts, wanted, units)]
    if made_from_current:  # reviewed against the German they were exported from: current now
        stamped = {Path(path).resolve().relative_to(root.resolve()).as_posix()
                   for path in stamp(root, made_from_current, [lang])}
        result.changed_files = sorted(set(result.changed_files) | stamped)
    for name, doc in docs.items():
        if name in result.changed_files and not doc.exact:
            result.warnings.append(f"{name}: its indentation is not one Lotse knows how to keep; "
                                   f"the file was written in the standard layout")
    return result


def _fully_imported(texts: list[TranslatableText],
                    wanted: dict[str, tuple[Message, TranslatableText]],
                    units: dict[tuple[str, Unit], _Unit]) -> list[str]:
    """The files whose texts that the freshness hash covers (an entry's title, answer and
    sections, every text of a flow) were all imported, each from the German text as it is now,
    and none of whose messages is fuzzy: an outdated translation is exported fuzzy, and one the
    translator left fuzzy stays outdated."""
    hashed: dict[str, list[str]] = defaultdict(list)
    for text in texts:
        if text.unit == "flow" or (text.unit == "entry" and
                                   text.field not in (None, "questions")):
            hashed[text.file].append(text.location)
    fuzzy = {name for (name, _), unit in units.items() if unit.fuzzy}
    return [name for name, locations in hashed.items()
            if name not in fuzzy and all(location in wanted for location in locations)]


def _drop_incomplete_entries(docs: dict[str, YamlDocument],
                             wanted: dict[str, tuple[Message, TranslatableText]], lang: str,
                             po_name: str, result: ImportResult) -> None:
    """An entry's first text in `lang` needs a title and an answer; without both its texts are
    skipped (a half entry would not load)."""
    new_entries: dict[str, list[str]] = defaultdict(list)
    for location, (_, text) in wanted.items():
        if text.field and docs[text.file].data["text"].get(lang) is None:
            new_entries[text.file].append(location)
    for name, locations in new_entries.items():
        if {wanted[loc][1].field for loc in locations} >= {"title", "answer"}:
            continue
        for location in locations:
            result.warnings.append(f"{po_name}:{wanted[location][0].lineno}: {name} has no {lang} "
                                   f"text yet, so it needs both title and answer; skipped")
            del wanted[location]


def _apply(doc: YamlDocument, text: TranslatableText, msgstr: str, lang: str) -> None:
    current = text.value(doc, lang)
    value = from_po(text, msgstr, current if current is not None else text.source)
    if value != current:
        text.set_value(doc, lang, value)
