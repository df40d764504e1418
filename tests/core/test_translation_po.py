"""`lotse content export` / `import`: PO files for translators, on a copy of the shipped content.

The PO files are edited with Babel, as Poedit or Weblate would; the YAML files are compared byte
for byte, so that any change to formatting, comments or quoting shows up."""
from __future__ import annotations

import difflib
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po
from ruamel.yaml import YAML

from bot.config import REPO_ROOT
from bot.core.content.freshness import outdated_entry_languages
from bot.core.content.loader import load
from bot.core.content.schema import LanguageSettings, Organisation
from bot.core.content.translation_po import (
    ImportResult,
    TranslationError,
    export_catalog,
    import_catalog,
    read_catalog,
    write_catalog,
)
from content_cases import UI_DIR

pytestmark = pytest.mark.e2e  # `lotse content` processes, round trips of every content file

TRANSLATED = ["en", "ar", "fa", "ps", "uk", "ru", "tr", "ku", "ti"]
"""Every shipped language but German, the source."""
ENTRY = "faq/entries/language/integration-course.yaml"
ANSWER = f"{ENTRY}#text.answer"


@pytest.fixture()
def root(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    for folder in ("faq", "flows"):
        shutil.copytree(REPO_ROOT / folder, root / folder)
    return root


def languages(root: Path) -> LanguageSettings:
    return LanguageSettings(**yaml_data(root / "faq/languages.yaml"))


def files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*.yaml"))}


def export(root: Path, lang: str) -> Path:
    path = root.parent / f"{lang}.po"
    write_catalog(export_catalog(root, languages(root), lang, organisation(root), "1.0"), path)
    return path


def organisation(root: Path) -> Organisation:
    return Organisation(**yaml_data(root / "faq/organisation.yaml"))


def edit(po: Path, changes: Mapping[str, tuple[str | None, bool]]) -> None:
    """Set msgstr (None: keep it) and the fuzzy flag of the messages with these contexts."""
    with po.open("rb") as handle:
        catalog = read_po(handle)
    found = set()
    for message in catalog:
        if message.context in changes:
            text, fuzzy = changes[message.context]
            message.string = message.string if text is None else text
            message.flags.discard("fuzzy")
            if fuzzy:
                message.flags.add("fuzzy")
            found.add(message.context)
    assert found == set(changes)
    with po.open("wb") as handle:
        write_po(handle, catalog)


def run_import(root: Path, po: Path, lang: str | None = None) -> ImportResult:
    return import_catalog(root, languages(root), read_catalog(po, lang), po.name)


def contexts(po: Path, prefix: str) -> list[str]:
    with po.open("rb") as handle:
        return [m.context for m in read_po(handle) if m.context and m.context.startswith(prefix)]


def yaml_data(path: Path) -> dict:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def changed_lines(before: bytes, after: bytes) -> tuple[list[str], list[str]]:
    diff = list(difflib.ndiff(before.decode().splitlines(), after.decode().splitlines()))
    return ([line[2:] for line in diff if line.startswith("- ")],
            [line[2:] for line in diff if line.startswith("+ ")])


@pytest.mark.parametrize("lang", TRANSLATED)
def test_an_untouched_round_trip_leaves_every_file_byte_identical(root: Path, lang: str) -> None:
    before = files(root)
    result = run_import(root, export(root, lang))
    assert result.warnings == [] and result.changed_files == []
    assert result.imported > 150
    assert files(root) == before


def test_export_holds_source_translation_english_and_machine_flag(root: Path) -> None:
    with export(root, "ar").open("rb") as handle:
        catalog = read_po(handle)
    assert str(catalog.locale) == "ar"
    answer = catalog.get(catalog_id(catalog, ANSWER), context=ANSWER)
    source = yaml_data(root / ENTRY)["text"]
    assert answer.id == source["de"]["answer"].rstrip("\n")
    assert answer.string == source["ar"]["answer"].rstrip("\n")
    assert answer.fuzzy  # the shipped Arabic is a machine translation
    assert answer.auto_comments[0].startswith("en: The <b>integration course</b>")
    questions = catalog.get(catalog_id(catalog, f"{ENTRY}#text.questions"),
                            context=f"{ENTRY}#text.questions")
    assert questions.string.split("\n") == source["ar"]["questions"]
    assert len(questions.string.split("\n")) != len(questions.id.split("\n"))  # not 1:1
    wanted = {"faq/organisation.yaml#name", "faq/organisation.yaml#response_time",
              "faq/vocabularies.yaml#residence_status.values.duldung",
              "faq/canned-replies.yaml#documents.text", f"{ENTRY}#links.0.label",
              "flows/work.yaml#title", "flows/work.yaml#nodes.start.buttons.0.label",
              "flows/work.yaml#nodes.talk.text"}
    assert wanted <= {m.context for m in catalog}
    canned = catalog.get(catalog_id(catalog, "faq/canned-replies.yaml#documents.text"),
                         context="faq/canned-replies.yaml#documents.text")
    assert canned.string == yaml_data(root / "faq" / "canned-replies.yaml")["documents"]["text"]["ar"]


def catalog_id(catalog: Catalog, context: str) -> str:
    return next(m.id for m in catalog if m.context == context)


@pytest.mark.parametrize("fuzzy", [False, True])
def test_one_edited_answer_changes_exactly_that_answer(root: Path, fuzzy: bool) -> None:
    before = files(root)
    po = export(root, "ar")
    new_answer = "الفقرة الأولى عن <b>دورة الاندماج</b>.\n\nالفقرة الثانية."
    # Reviewing the entry means confirming all its Arabic texts; only the answer is rewritten.
    changes = {context: (None, fuzzy) for context in contexts(po, ENTRY)}
    changes[ANSWER] = (new_answer, fuzzy)
    edit(po, changes)
    result = run_import(root, po)
    assert result.warnings == []
    after = files(root)
    assert [name for name in after if after[name] != before[name]] == [ENTRY]
    removed, added = changed_lines(before[ENTRY], after[ENTRY])
    old_answer = yaml_data(REPO_ROOT / ENTRY)["text"]["ar"]["answer"]
    answer_lines = [f"      {line}" for line in new_answer.split("\n") if line]  # blank: kept
    if fuzzy:  # still a machine translation: only the answer's lines change
        assert added == answer_lines
    else:
        assert added == ["    status: reviewed", *answer_lines]
        assert removed[0] == "    status: machine"
    assert [line.strip() for line in removed if line.strip() and "status" not in line] == \
        [line for line in old_answer.split("\n") if line]
    ar = yaml_data(root / ENTRY)["text"]["ar"]
    assert ar["answer"] == new_answer + "\n"
    assert ar["status"] == ("machine" if fuzzy else "reviewed")
    assert load(root, UI_DIR)[0] is not None


def test_an_entry_is_reviewed_only_when_none_of_its_texts_is_fuzzy(root: Path) -> None:
    po = export(root, "ar")
    edit(po, {ANSWER: ("جواب جديد.", False)})  # title, questions, link label: still fuzzy
    run_import(root, po)
    ar = yaml_data(root / ENTRY)["text"]["ar"]
    assert ar["answer"] == "جواب جديد.\n" and ar["status"] == "machine"


def test_a_flow_is_reviewed_when_all_its_texts_are(root: Path) -> None:
    before = files(root)
    po = export(root, "tr")
    work = contexts(po, "flows/work.yaml#")
    edit(po, {context: (None, False) for context in work})
    run_import(root, po)
    after = files(root)
    assert [name for name in after if after[name] != before[name]] == ["flows/work.yaml"]
    removed, added = changed_lines(before["flows/work.yaml"], after["flows/work.yaml"])
    assert removed == [line.replace("tr: reviewed", "tr: machine") for line in added]
    assert added[0].startswith("status: {en: machine,") and "tr: reviewed" in added[0]

    edit(po, {work[0]: (None, True)})  # one text of the flow is a machine translation again
    run_import(root, po)
    assert files(root) == before


def test_a_stale_source_is_warned_about_and_skipped(root: Path) -> None:
    po = export(root, "ar")
    edit(po, {ANSWER: ("ترجمة جديدة.", False)})
    path = root / ENTRY
    path.write_text(path.read_text(encoding="utf-8").replace(
        "Der <b>Integrationskurs</b> ist ein Deutschkurs vom Staat",
        "Der <b>Integrationskurs</b> ist ein Deutschkurs des Bundes"), encoding="utf-8")
    before = files(root)
    result = run_import(root, po)
    lines = po.read_text(encoding="utf-8").splitlines()
    msgid_line = lines.index(f'msgctxt "{ANSWER}"') + 2  # 1-based: the msgid line
    assert result.warnings == [f"ar.po:{msgid_line}: the German text of {ANSWER} changed since "
                               "the export; skipped: the translation needs review"]
    assert files(root) == before


def test_an_unknown_location_is_warned_about_and_skipped(root: Path) -> None:
    po = export(root, "ar")
    with po.open("rb") as handle:
        catalog = read_po(handle)
    catalog.add("Alt", "قديم", context="faq/entries/work/gone.yaml#text.title")
    with po.open("wb") as handle:
        write_po(handle, catalog)
    before = files(root)
    result = run_import(root, po)
    assert len(result.warnings) == 1
    assert result.warnings[0].startswith("ar.po:")
    assert "unknown location 'faq/entries/work/gone.yaml#text.title'" in result.warnings[0]
    assert files(root) == before


def test_a_new_language_exports_empty_and_imports_partial_translations(root: Path) -> None:
    settings = root / "faq/languages.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace(
        "languages: [de, en,", "languages: [de, fr, en,"), encoding="utf-8")
    # a language goes nowhere without its crisis words (lotse content check: an error)
    signals = root / "faq/signals"
    (signals / "fr.yaml").write_text((signals / "en.yaml").read_text(encoding="utf-8"),
                                     encoding="utf-8")
    before = files(root)
    po = export(root, "fr")
    with po.open("rb") as handle:
        messages = [m for m in read_po(handle) if m.id]
    assert len(messages) > 150
    assert all(m.string == "" and not m.fuzzy for m in messages)

    label = "flows/work.yaml#nodes.start.buttons.0.label"
    costs = "faq/entries/language/integration-course-costs.yaml"
    edit(po, {
        label: ("Ai-je le droit de travailler ?", False),
        "faq/vocabularies.yaml#topic.values.work": ("Travail", False),
        f"{ENTRY}#text.title": ("Qu'est-ce qu'un cours d'intégration ?", True),
        ANSWER: ("Le <b>cours d'intégration</b> est un cours d'allemand.\n\nIl a deux parties.",
                 True),
        f"{ENTRY}#text.questions": ("c'est quoi un cours d'intégration\n\ncours integration", True),
        f"{costs}#text.title": ("Combien coûte le cours ?", False),  # no answer: skipped
    })
    result = run_import(root, po)
    assert len(result.warnings) == 1
    assert f"{costs} has no fr text yet, so it needs both title and answer" in result.warnings[0]
    after = files(root)
    assert sorted(name for name in after if after[name] != before[name]) == [
        ENTRY, "faq/vocabularies.yaml", "flows/work.yaml"]

    fr = yaml_data(root / ENTRY)["text"]["fr"]
    assert fr == {"status": "machine", "title": "Qu'est-ce qu'un cours d'intégration ?",
                  "answer": "Le <b>cours d'intégration</b> est un cours d'allemand.\n\n"
                            "Il a deux parties.\n",
                  "questions": ["c'est quoi un cours d'intégration", "cours integration"]}
    text = (root / ENTRY).read_text(encoding="utf-8")
    assert "  fr:\n    status: machine\n    title: Qu'est-ce qu'un cours d'intégration ?\n" \
           "    answer: |\n      Le <b>cours" in text
    # Flow-style mappings stay on one line; the flow's status is untouched (fr has no status,
    # and what was imported is not fuzzy: reviewed, the default).
    work = (root / "flows/work.yaml").read_text(encoding="utf-8")
    assert "ti: ክሰርሕ ይፍቀደለይ ድዩ?, fr: Ai-je le droit de travailler ?}\n" in work
    removed, added = changed_lines(before["flows/work.yaml"], after["flows/work.yaml"])
    assert len(removed) == len(added) == 1
    ui = root.parent / "translations"  # a language also needs its interface catalog
    shutil.copytree(UI_DIR, ui)
    shutil.copytree(ui / "en", ui / "fr")
    content, problems = load(root, ui)
    assert content is not None, problems
    assert content.entries["integration-course"].text["fr"].status == "machine"
    assert content.flows["work"].nodes["start"].buttons[0].label["fr"] == \
        "Ai-je le droit de travailler ?"


def test_the_language_comes_from_the_po_header_and_must_fit(root: Path) -> None:
    po = export(root, "ar")
    assert str(read_catalog(po, None).locale) == "ar"
    with pytest.raises(TranslationError, match="the file is for ar, not fa"):
        read_catalog(po, "fa")
    with pytest.raises(TranslationError, match="de is the source language"):
        export_catalog(root, languages(root), "de", organisation(root), "1.0")


def run_cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "DATABASE_URL": "sqlite:///unused.sqlite3"}
    return subprocess.run([sys.executable, "-m", "bot", "content", *args, "--root", str(root)],
                          cwd=root.parent, env=env, capture_output=True, text=True, timeout=120)


def test_cli_export_then_import_reports_skipped_messages_and_checks(root: Path) -> None:
    exported = run_cli(root, "export", "--lang", "uk")
    assert exported.returncode == 0, exported.stderr
    po = root.parent / "content-uk.po"
    assert "content-uk.po: " in exported.stderr and "machine translations" in exported.stderr
    header = dict(read_catalog(po, None).mime_headers)
    assert header["Project-Id-Version"] == f"Lotse content {metadata.version('lotse')}"
    assert header["Language"] == "uk"
    assert header["Language-Team"] == ("Ukrainisch, Integrationskoordination im Landratsamt "
                                       "München <https://www.landkreis-muenchen.de>")
    for placeholder in ("VERSION", "EMAIL@ADDRESS", "FULL NAME", "LANGUAGE", "LL@li.org",
                        "YEAR", "PROJECT", "ORGANIZATION"):
        assert placeholder not in po.read_text(encoding="utf-8").split("\n\n")[0], placeholder
    edit(po, {ANSWER: ("Нова відповідь.", False)})
    path = root / ENTRY
    path.write_text(path.read_text(encoding="utf-8").replace("Der <b>Integrationskurs</b>",
                                                             "Der <b>Kurs</b>"), encoding="utf-8")
    imported = run_cli(root, "import", str(po))
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.startswith(f"{po}:")
    assert "changed since the export" in imported.stdout
    assert "0 file(s) changed" in imported.stderr
    # the German edit made the nine other languages of the entry outdated: the check says so
    # (besides the three unconfirmed values of the shipped example organisation)
    assert "0 error(s), 13 warning(s)" in imported.stderr


def test_a_file_in_another_indentation_keeps_it(root: Path) -> None:
    path = root / ENTRY
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 1_000_000
    yaml.indent(mapping=2, sequence=2, offset=0)  # `questions:` then `- item` at the same column
    data = yaml.load(path.read_text(encoding="utf-8"))
    with path.open("w", encoding="utf-8") as handle:
        yaml.dump(data, handle)
    before = path.read_bytes()
    assert b"\n    questions:\n    - " in before
    po = export(root, "ar")
    edit(po, {f"{ENTRY}#text.title": ("عنوان جديد", True)})
    result = run_import(root, po)
    assert result.warnings == []
    removed, added = changed_lines(before, path.read_bytes())
    assert added == ["    title: عنوان جديد"] and len(removed) == 1


@pytest.mark.parametrize("reviewed_in_full", [True, False])
def test_an_import_reviewed_against_the_current_german_is_current_again(
        root: Path, reviewed_in_full: bool) -> None:
    path = root / ENTRY
    path.write_text(path.read_text(encoding="utf-8").replace("Der <b>Integrationskurs</b>",
                                                             "Der <b>Kurs</b>"), encoding="utf-8")

    def outdated() -> list[str]:
        content, _ = load(root, UI_DIR)
        assert content is not None
        entry = content.entries["integration-course"]
        return outdated_entry_languages(entry, content.languages.default_language)

    assert "ar" in outdated()
    po = export(root, "ar")  # the outdated Arabic comes out fuzzy, beside the new German
    changes = {context: (None, not reviewed_in_full) for context in contexts(po, ENTRY)}
    changes[ANSWER] = ("الدورة: جزء لغوي وجزء توجيهي.", not reviewed_in_full)
    edit(po, changes)
    run_import(root, po)
    assert ("ar" in outdated()) is not reviewed_in_full  # left fuzzy: still outdated
    assert "en" in outdated()  # the other languages were not imported


def test_each_section_is_a_text_of_its_own(root: Path) -> None:
    permit = "faq/entries/work/work-permit.yaml"
    duldung = f"{permit}#text.sections.residence_status.duldung"
    po = export(root, "ar")
    assert f"{permit}#text.sections.residence_status.asylum, duldung" in contexts(po, permit)
    before = files(root)
    edit(po, {duldung: ("<b>Duldung:</b> نص جديد (§ 60a، § 60b).", True)})
    assert run_import(root, po).warnings == []
    removed, added = changed_lines(before[permit], files(root)[permit])
    assert added == ["          <b>Duldung:</b> نص جديد (§ 60a، § 60b)."] and len(removed) == 1
    ar = yaml_data(root / permit)["text"]["ar"]["sections"]["residence_status"]
    assert ar["duldung"] == "<b>Duldung:</b> نص جديد (§ 60a، § 60b).\n"
    assert load(root, UI_DIR)[0] is not None

    settings = root / "faq/languages.yaml"  # a new language's first section is created too
    settings.write_text(settings.read_text(encoding="utf-8").replace(
        "languages: [de, en,", "languages: [de, fr, en,"), encoding="utf-8")
    po = export(root, "fr")
    edit(po, {f"{permit}#text.title": ("Puis-je travailler ?", False),
              f"{permit}#text.answer": ("Cela dépend de votre statut.", False),
              duldung: ("<b>Duldung :</b> en général oui.", False)})
    run_import(root, po)
    fr = yaml_data(root / permit)["text"]["fr"]
    assert fr["sections"] == {"residence_status": {"duldung": "<b>Duldung :</b> en général oui.\n"}}
